"""Benchmark: how many inbound updates per second the conversation core handles.

Each update is recorded, the sender's conversation locked, the onboarding handler run and its
replies queued, in one transaction. The baseline, measured in the same run on the same
database, is the least any update costs: one transaction that only records the update. The
ratio tells how much the handlers add, whatever the machine's speed today.

    python -m bench.handling [--updates 2000] [--users 50]
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test python -m bench.handling
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.population import prepare_database
from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from handlers.values import Inbound, Kind
from storage.db import Database
from storage.demo import seed_demo
from storage.inbound import record_inbound

SCRIPT = [
    {"kind": Kind.COMMAND, "command": "start"},
    {"kind": Kind.CHOICE, "choice": "consent:yes"},
    {"kind": Kind.TEXT, "text": "2"},
    {"kind": Kind.TEXT, "text": "Nguyễn Văn An"},
    {"kind": Kind.CHOICE, "choice": "phone:skip"},
    {"kind": Kind.COMMAND, "command": "mydata"},
]


async def prepare(url: str) -> Database:
    db = await prepare_database(url)
    async with db.transaction() as session:
        await seed_demo(session)
    return db


async def timed(
    count: int, users: int, one: Callable[[int, int], Awaitable[object]]
) -> list[float]:
    """Run `count` calls spread over `users` concurrent people, in order per person."""
    latencies: list[float] = []

    async def person(user: int) -> None:
        for step in range(user, count, users):
            started = time.perf_counter()
            await one(user, step)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(person(user) for user in range(users)))
    return latencies


async def measure(url: str, updates: int, users: int) -> None:
    db = await prepare(url)
    runner = ConversationRunner(db, HandlerConfig())

    async def baseline(user: int, step: int) -> None:
        async with db.transaction() as session:
            await record_inbound(session, "bench", f"base-{step}", "text")

    async def handle(user: int, step: int) -> None:
        fields = SCRIPT[(step // users) % len(SCRIPT)]
        await runner.handle(
            Inbound(channel="zalo", user_id=f"user-{user}", update_id=f"u-{step}", **fields)
        )

    started = time.perf_counter()
    base = await timed(updates, users, baseline)
    base_seconds = time.perf_counter() - started
    started = time.perf_counter()
    real = await timed(updates, users, handle)
    real_seconds = time.perf_counter() - started
    await db.dispose()
    engine = "PostgreSQL" if not url.startswith("sqlite") else "SQLite"
    print(f"{engine}: {updates} updates from {users} people at once")
    print(f"  baseline (record only): {updates / base_seconds:8.0f} updates/s, "
          f"p95 {percentile(base, 95) * 1000:6.1f} ms")
    print(f"  full handling:          {updates / real_seconds:8.0f} updates/s, "
          f"p50 {percentile(real, 50) * 1000:6.1f} ms, p95 {percentile(real, 95) * 1000:6.1f} ms")
    print(f"  handling / baseline throughput: {base_seconds / real_seconds:.2f}")


def percentile(values: list[float], rank: int) -> float:
    return statistics.quantiles(values, n=100)[rank - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(measure(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}",
                            args.updates, args.users))
    pg = os.environ.get("BENCH_DATABASE_URL")
    if pg:
        asyncio.run(measure(pg, args.updates, args.users))
    else:
        print("PostgreSQL: skipped (set BENCH_DATABASE_URL)")


if __name__ == "__main__":
    main()
