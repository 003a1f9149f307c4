"""Benchmark: one commune-wide broadcast through the real `cutri run` process, per Telegram rate.

    python -m bench.broadcast [--recipients 10000] [--rates 30,1000] [--database-url URL]

A database (a SQLite file in a temporary folder, or PostgreSQL from `--database-url` /
`BENCH_DATABASE_URL`, emptied first) gets the demo commune, an office person and N consenting
Telegram residents, and one broadcast queued by `queue_broadcast`. For each rate the broadcast
is sent again from scratch: a fake Bot API server enforcing that rate (global, and 1/s per
chat) runs in a process of its own, the real bot is started against it, and once it answers
`/health` the held rows are released. The run ends when every recipient has the message and
every row is settled.

Figures per rate, as the fake saw them: achieved rate (messages / seconds from the first to
the last send) and its share of the configured rate, 429s answered, sends inside a retry window,
missing and duplicate recipients; and of the bot process: CPU seconds per 1000 messages
(utime + stime from /proc, from release to the end) and peak RSS (VmHWM); and, for
comparison, its CPU and memory while idle just before the release.

At 30/s, 10,000 recipients take about six minutes: try `--recipients 1000` first. Short runs
overstate the rate: the bot's pacer may start with a burst of a tenth of a second's worth and
the fake tolerates a second's worth, which a few hundred messages do not average out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.population import (
    outbox_counts,
    prepare_database,
    queue_commune_broadcast,
    release_broadcast,
    reset_broadcast,
    seed_population,
)
from storage.db import Database
from tests.e2e.process import ROOT, BotProcess

POLL_SECONDS = 0.5
# How long the started bot is watched with nothing to send: its fixed cost (polling the
# outbox, long-polling Telegram), which weighs on the CPU per message at low rates.
IDLE_SECONDS = 3.0
# A run that has not finished in this many times its ideal duration (plus a minute) is stuck.
PATIENCE = 3.0


@dataclass
class Result:
    rate: float
    recipients: int
    sent: int = 0
    seconds: float = 0.0
    release_to_last: float = 0.0
    rate_limited: int = 0
    retry_window_violations: int = 0
    violations: int = 0
    failed_calls: dict[str, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    idle_rss_mb: float = 0.0
    idle_cpu_share: float = 0.0
    peak_rss_mb: float = 0.0
    pauses: dict[str, float] = field(default_factory=dict)
    missing: int = 0
    duplicates: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    finished: bool = False

    @property
    def achieved(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def share(self) -> float:
        return self.achieved / self.rate

    @property
    def cpu_per_1000(self) -> float:
        return 1000 * self.cpu_seconds / self.sent if self.sent else 0.0


# -- the bot process, seen from /proc ----------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may contain spaces; the fields after its closing parenthesis do not.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int, key: str) -> float:
    """A /proc/<pid>/status figure in MiB: VmHWM (peak resident) or VmRSS (resident now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the fake Telegram server, in its own process ----------------------------------------------


class FakeServer:
    """`bench.fake_telegram` as a child process, driven over its control routes."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.process: asyncio.subprocess.Process | None = None
        self.base_url = ""
        self.token = ""
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.fake_telegram", "--rate", str(self.rate),
            "--per-chat-rate", "1",
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("the fake Telegram server did not start")
        info = json.loads(line)
        self.base_url, self.token = info["base_url"], info["token"]
        self.http = aiohttp.ClientSession(self.base_url)

    async def remember_chats(self, chat_ids: list[int]) -> None:
        assert self.http is not None
        async with self.http.post("/_fake/chats", json=chat_ids) as response:
            response.raise_for_status()

    async def stats(self, *, per_chat: bool = False) -> dict[str, Any]:
        assert self.http is not None
        params = {"per_chat": "1"} if per_chat else {}
        async with self.http.get("/_fake/stats", params=params) as response:
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.process is not None and self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # its end of input: it stops
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


# -- one run -------------------------------------------------------------------------------


async def run_at_rate(
    db: Database, url: str, workdir: Path, broadcast_id: int, chat_ids: list[int], rate: float
) -> Result:
    result = Result(rate=rate, recipients=len(chat_ids))
    await reset_broadcast(db, broadcast_id, hold=True)
    fake = FakeServer(rate)
    await fake.start()
    bot = BotProcess(
        workdir,
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_URL=fake.base_url,
        TELEGRAM_RATE=str(rate),
        TELEGRAM_PER_CHAT_RATE="1",
        OUTBOX_POLL_SECONDS="0.2",
        LOG_LEVEL="WARNING",
    )
    try:
        await fake.remember_chats(chat_ids)
        await bot.start()
        idle_from = cpu_seconds(bot.pid)
        await asyncio.sleep(IDLE_SECONDS)
        result.idle_rss_mb = memory_mb(bot.pid, "VmRSS")
        cpu_before = cpu_seconds(bot.pid)
        result.idle_cpu_share = (cpu_before - idle_from) / IDLE_SECONDS
        released = time.monotonic()
        await release_broadcast(db, broadcast_id)
        deadline = released + PATIENCE * len(chat_ids) / rate + 60
        stats = await fake.stats()
        shown = 0.0
        while stats["chats_reached"] < len(chat_ids) and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            stats = await fake.stats()
            if sys.stderr.isatty() or time.monotonic() - shown >= 30:
                shown = time.monotonic()
                end = "" if sys.stderr.isatty() else "\n"
                print(f"\r  {rate:g}/s: {stats['chats_reached']:>6} of {len(chat_ids)} "
                      "reached", end=end, file=sys.stderr, flush=True)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        # Everyone has it; wait for the bot to record that (its last settle), briefly.
        for _ in range(100):
            result.statuses = await outbox_counts(db, broadcast_id)
            if result.statuses.get("sent", 0) == len(chat_ids):
                break
            await asyncio.sleep(0.1)
        result.finished = stats["chats_reached"] == len(chat_ids)
        result.cpu_seconds = cpu_seconds(bot.pid) - cpu_before
        result.peak_rss_mb = memory_mb(bot.pid, "VmHWM")
        stopped = await bot.stop()
        if stopped != 0:
            print(f"  the bot exited with {stopped}; log: {bot.log_path}", file=sys.stderr)
        final = await fake.stats(per_chat=True)
    finally:
        await bot.stop()
        await fake.stop()
    counts = Counter({int(chat): n for chat, n in final["per_chat"].items()})
    expected = set(chat_ids)
    result.sent = final["sent"]
    if final["first_send_at"] is not None:
        result.seconds = final["last_send_at"] - final["first_send_at"]
        # The fake's clock is monotonic like ours and on the same machine.
        result.release_to_last = final["last_send_at"] - released
    result.rate_limited = final["rate_limited"]
    result.retry_window_violations = final["retry_window_violations"]
    result.violations = final["violations"]
    result.failed_calls = final["failed_calls"]
    result.pauses = final["pauses"]
    result.missing = sum(1 for chat in expected if counts[chat] == 0)
    result.duplicates = sum(n - 1 for chat, n in counts.items() if n > 1 and chat in expected)
    strays = sum(n for chat, n in counts.items() if chat not in expected)
    if strays:
        print(f"  {strays} message(s) went to chats outside the audience", file=sys.stderr)
    if final["violation_samples"]:
        print(f"  refused by the fake: {final['violation_samples']}", file=sys.stderr)
    return result


def print_table(results: list[Result], engine: str) -> None:
    print(f"\nBroadcast through `cutri run` ({engine}, {os.cpu_count()} cores), "
          "figures as the fake Telegram server saw them:")
    header = (f"{'rate/s':>7} {'recipients':>10} {'sent':>6} {'achieved/s':>10} {'share':>6} "
              f"{'first→last s':>12} {'429s':>5} {'in retry win':>12} {'CPU s/1000':>10} "
              f"{'peak RSS MB':>11} {'missing':>7} {'dupes':>5}  outbox")
    print(header)
    print("-" * len(header))
    for r in results:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(r.statuses.items()))
        print(f"{r.rate:>7g} {r.recipients:>10} {r.sent:>6} {r.achieved:>10.1f} "
              f"{r.share:>6.1%} {r.seconds:>12.2f} {r.rate_limited:>5} "
              f"{r.retry_window_violations:>12} {r.cpu_per_1000:>10.3f} {r.peak_rss_mb:>11.1f} "
              f"{r.missing:>7} {r.duplicates:>5}  {statuses}")
    for r in results:
        notes = []
        if not r.finished:
            notes.append("did NOT reach every recipient in time")
        if r.failed_calls:
            notes.append(f"failed calls by status {r.failed_calls}")
        if r.violations:
            notes.append(f"{r.violations} call(s) refused as invalid")
        notes.append(f"release → last send {r.release_to_last:.2f} s")
        notes.append(f"idle before release: RSS {r.idle_rss_mb:.1f} MB, "
                     f"CPU {r.idle_cpu_share:.1%} of a core")
        if r.pauses.get("count"):
            notes.append(f"sending paused ≥ 0.1 s {r.pauses['count']:g} times, "
                         f"{r.pauses['seconds']:.2f} s in all, longest {r.pauses['longest']:.2f} s")
        print(f"  {r.rate:g}/s: " + "; ".join(notes))


async def main_async(url: str, recipients: int, rates: list[float], workdir: Path) -> None:
    engine = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    started = time.perf_counter()
    db = await prepare_database(url)
    population = await seed_population(db, recipients)
    broadcast_id = await queue_commune_broadcast(db, population, hold=True)
    print(f"seeded {recipients} residents and queued the broadcast on {engine} "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    results = []
    try:
        for rate in rates:
            results.append(await run_at_rate(db, url, workdir, broadcast_id,
                                             population.chat_ids, rate))
    finally:
        await db.dispose()
    print_table(results, engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rates", default="30,1000", help="comma-separated messages/s")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="PostgreSQL URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",") if rate.strip()]
    with tempfile.TemporaryDirectory(prefix="cutri-bench-") as folder:
        workdir = Path(folder)
        url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        asyncio.run(main_async(url, args.recipients, rates, workdir))


if __name__ == "__main__":
    main()
