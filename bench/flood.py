"""Benchmark: a neighbour's reply while one person floods the bot with 500 messages.

    python -m bench.flood [--messages 500] [--rounds 5]
    BENCH_DATABASE_URL=postgresql+asyncpg://... python -m bench.flood   (PostgreSQL too)

The real `cutri run` process talks to a fake Telegram server in a process of its own
(`bench.fake_telegram`), with pacing raised out of the way (10,000/s, 100/s per chat) and at the
defaults (30/s overall, 1/s per chat), which the fake enforces; each in both of Telegram's
modes:

- polling: the bot long-polls `getUpdates`, which hands over one queue in arrival order, at
  most 100 updates a call, the next batch only once the last is confirmed;
- webhook: the fake pushes updates to the bot as Telegram does, each chat's in order and one at
  a time, different chats side by side (up to 40 connections).

In each run:

- quiet: a neighbour sends /help, `rounds` times, each answered before the next;
- flood: a new person queues `messages` messages in one burst, and the neighbour's /help comes
  right behind them; `rounds` times, each with a new flooder.

Figures: the neighbour's latency from queueing to their first reply, p50 and worst, quiet and
under the flood, and their ratio (the goal: at most 2×); and how many replies the flooders got.
For polling, the platform's floor: how long a client that does nothing but fetch and confirm
takes to receive the neighbour's update behind the flood (no bot can answer sooner).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.inbound import Fake
from bench.population import prepare_database
from storage.demo import seed_demo
from tests.e2e.process import BotProcess

NEIGHBOUR = 610_000_001
FIRST_FLOODER = 620_000_000
PACINGS = {"raised": (10_000.0, 100.0), "default": (30.0, 1.0)}
MODES = ("polling", "webhook")
PATIENCE_SECONDS = 120.0
SECRET = "flood-webhook-secret"


@dataclass
class Figures:
    name: str
    quiet: list[float] = field(default_factory=list)
    flooded: list[float] = field(default_factory=list)
    flooder_replies: list[int] = field(default_factory=list)
    floor: float | None = None  # polling: when a bare client sees the neighbour's update
    note: str = ""

    def ratio(self) -> float:
        if not self.quiet or not self.flooded:
            return float("nan")
        return statistics.median(self.flooded) / statistics.median(self.quiet)


async def reply_after(fake: Fake, chat: int, seen: int, queued_at: float) -> float:
    """Seconds from `queued_at` to the chat's reply number `seen` (0-based)."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        times = (await fake.replies()).get(chat, [])
        if len(times) > seen:
            return times[seen] - queued_at
        await asyncio.sleep(0.02)
    raise RuntimeError(f"chat {chat} got no reply within {PATIENCE_SECONDS} s")


async def replies_of(fake: Fake, chat: int) -> int:
    return len((await fake.replies()).get(chat, []))


async def measure(fake: Fake, figures: Figures, messages: int, rounds: int) -> None:
    # A first /help, not counted: the first reply of a process pays for loading what it needs.
    seen = await replies_of(fake, NEIGHBOUR)
    await reply_after(fake, NEIGHBOUR, seen, await fake.burst([{"user": NEIGHBOUR,
                                                                 "text": "/help"}]))
    await asyncio.sleep(1.5)
    for _ in range(rounds):
        seen = await replies_of(fake, NEIGHBOUR)
        queued_at = await fake.burst([{"user": NEIGHBOUR, "text": "/help"}])
        figures.quiet.append(await reply_after(fake, NEIGHBOUR, seen, queued_at))
        await asyncio.sleep(1.5)  # the neighbour's own per-chat pace is not what is measured
    for round_ in range(rounds):
        flooder = FIRST_FLOODER + round_
        flood = [{"user": flooder, "text": f"alo alo {n}"} for n in range(messages)]
        seen = await replies_of(fake, NEIGHBOUR)
        queued_at = await fake.burst([*flood, {"user": NEIGHBOUR, "text": "/help"}])
        figures.flooded.append(await reply_after(fake, NEIGHBOUR, seen, queued_at))
        await asyncio.sleep(1.5)
        figures.flooder_replies.append(await replies_of(fake, flooder))


async def fetch_floor(fake: Fake, messages: int, rounds: int) -> float:
    """Median seconds from queueing a flood plus the neighbour's /help to a client that only
    fetches and confirms (`getUpdates`, 100 a call) holding the neighbour's update."""
    method = f"{fake.base_url}/bot{fake.token}/getUpdates"
    waits = []
    offset = 0
    async with aiohttp.ClientSession() as http:
        for round_ in range(rounds):
            flood = [{"user": FIRST_FLOODER - 1 - round_, "text": f"alo {n}"}
                     for n in range(messages)]
            queued_at = await fake.burst([*flood, {"user": NEIGHBOUR, "text": "/help"}])
            seen = False
            while not seen:
                async with http.post(method, json={"offset": offset, "timeout": 10}) as answer:
                    updates = (await answer.json())["result"]
                for update in updates:
                    offset = update["update_id"] + 1
                    seen = seen or update["message"]["from"]["id"] == NEIGHBOUR
            waits.append(time.monotonic() - queued_at)
        async with http.post(method, json={"offset": offset, "timeout": 0}):
            pass  # confirms the last batch
    return statistics.median(waits)


async def run(workdir: Path, url: str, engine: str, pacing: str, mode: str, messages: int,
              rounds: int) -> Figures:
    rate, per_chat = PACINGS[pacing]
    figures = Figures(f"{engine}, {mode}, pacing {pacing} ({rate:g}/s, {per_chat:g}/s per chat)")
    db = await prepare_database(url)
    async with db.transaction() as session:
        await seed_demo(session)
    await db.dispose()
    fake = Fake(rate=rate, per_chat_rate=per_chat)
    await fake.start()
    if mode == "polling":
        figures.floor = await fetch_floor(fake, messages, rounds)
    stats: dict[str, object] = {}
    bot = BotProcess(
        workdir, DATABASE_URL=url, TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_URL=fake.base_url, TELEGRAM_RATE=str(rate),
        TELEGRAM_PER_CHAT_RATE=str(per_chat), OUTBOX_POLL_SECONDS="0.2",
        # The product's defaults (the test harness raises them out of the way).
        INBOUND_PER_MINUTE=os.environ.get("INBOUND_PER_MINUTE", "20"),
        INBOUND_BURST=os.environ.get("INBOUND_BURST", "10"),
        LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    )
    if mode == "webhook":
        bot.env |= {"TELEGRAM_WEBHOOK_URL": bot.url, "TELEGRAM_WEBHOOK_SECRET": SECRET}
    try:
        await bot.start()
        await measure(fake, figures, messages, rounds)
        stats = {key: value for key, value in (await fake.stats()).items()
                 if key in ("rate_limited", "retry_window_violations")}
    except RuntimeError:
        print(bot.log()[-3000:], file=sys.stderr)
        raise
    finally:
        try:
            await bot.stop()
        except AssertionError:
            figures.note = "did not stop within 15 s of SIGTERM"
            await bot.kill()
        await fake.stop()
    print(f"  {figures.name}: quiet {figures.quiet}, flooded {figures.flooded}, flooders got "
          f"{figures.flooder_replies} replies; fake: {stats}", file=sys.stderr, flush=True)
    return figures


def print_table(results: list[Figures], messages: int) -> None:
    print(f"\nA neighbour's /help while one person sends {messages} messages at once "
          f"({os.cpu_count()} cores); seconds from queueing to the first reply")
    header = (f"{'run':<62} {'quiet p50':>9} {'flood p50':>9} {'flood max':>9} {'ratio':>6} "
              f"{'floor':>6} {'flooder got':>11}")
    print(header)
    print("-" * len(header))
    for r in results:
        floor = "" if r.floor is None else f"{r.floor:.3f}"
        print(f"{r.name:<62} {statistics.median(r.quiet):>9.3f} "
              f"{statistics.median(r.flooded):>9.3f} {max(r.flooded):>9.3f} "
              f"{r.ratio():>6.2f} {floor:>6} {statistics.median(r.flooder_replies):>11.0f}")
    print("floor: the platform's alone, a client that only fetches the neighbour's update "
          "behind the flood (polling)")
    for r in results:
        if r.note:
            print(f"  {r.name}: {r.note}")


async def main_async(messages: int, rounds: int, modes: list[str], workdir: Path) -> None:
    results = []
    for engine in ("SQLite", "PostgreSQL"):
        for mode in modes:
            for pacing in PACINGS:
                # A fresh folder (and SQLite file) per run: the fake's update ids start again.
                folder = workdir / f"{engine}-{mode}-{pacing}"
                folder.mkdir()
                url = (f"sqlite+aiosqlite:///{folder / 'cutri.db'}" if engine == "SQLite"
                       else os.environ.get("BENCH_DATABASE_URL", ""))
                if not url:
                    continue
                print(f"  {engine}, {mode}, pacing {pacing}...", file=sys.stderr, flush=True)
                results.append(await run(folder, url, engine, pacing, mode, messages, rounds))
    print_table(results, messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mode", choices=MODES, action="append",
                        help="polling or webhook (default: both)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cutri-flood-") as folder:
        asyncio.run(main_async(args.messages, args.rounds, args.mode or list(MODES),
                               Path(folder)))


if __name__ == "__main__":
    main()
