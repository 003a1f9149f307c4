"""Benchmark: inbound updates per second of the real `cutri run` against a bare aiogram echo bot.

    python -m bench.inbound [--people 500] [--only echo,sqlite,postgresql] [--py-spy DIR]
        [--keep DIR]  (BENCH_LOG_LEVEL=INFO for the bot's log, kept with --keep)
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test_a python -m bench.inbound

For each bot - the echo bot of `bench.echo_bot` (the baseline), `cutri run` on SQLite, and
`cutri run` on PostgreSQL when BENCH_DATABASE_URL is set (emptied first) - a fresh fake Telegram
server runs in a process of its own with pacing raised out of the way (10,000/s overall,
100/s per chat, on both sides), and the bot long-polls it. Every person runs the onboarding a
real villager goes through: /start, the consent button, the hamlet typed as a number, a name,
the "skip phone" button, /mydata; all people's updates are queued in one burst, each person's in
order, the people shuffled together.

Figures per bot: updates/s from the burst being queued to the last reply seen, the ratio to
the echo bot of the same run, CPU seconds of the bot process per 1,000 updates (utime + stime
from /proc), p50/p95 latency from the burst to each update's first reply, peak RSS (VmHWM),
and RSS at rest after start. Which reply answers which update is known from a calibration
person run first, one update at a time: how many messages each step of the script gets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.broadcast import cpu_seconds, memory_mb
from bench.population import prepare_database
from storage.demo import seed_demo
from tests.e2e.process import ROOT, BotProcess

RATE = 10_000
PER_CHAT_RATE = 100
FIRST_USER = 600_000_000
CALIBRATION_USER = 599_999_999
# A step counts as answered once no new reply came for this long.
QUIET_SECONDS = 0.5
IDLE_SECONDS = 2.0
# The burst is over when no reply came for this long (the time is not counted).
STALLED_SECONDS = 30.0
PATIENCE_SECONDS = 300.0
SCRIPT: list[dict[str, str]] = [
    {"text": "/start"},
    {"data": "consent:yes"},
    {"text": "2"},
    {"text": "Nguyễn Văn An"},
    {"data": "phone:skip"},
    {"text": "/mydata"},
]


@dataclass
class Result:
    name: str
    updates: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    latencies: tuple[float, ...] = ()
    peak_rss_mb: float = 0.0
    idle_rss_mb: float = 0.0
    finished: bool = False
    note: str = ""

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_per_1000(self) -> float:
        return 1000 * self.cpu_seconds / self.updates if self.updates else 0.0


def percentile(values: tuple[float, ...], rank: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100)[rank - 1]


async def rss_at_rest(pid: int) -> float:
    """RSS once the started process stopped working (imports done, polling): at most 60 s."""
    await asyncio.sleep(IDLE_SECONDS)
    for _ in range(120):
        before = cpu_seconds(pid)
        await asyncio.sleep(0.5)
        if cpu_seconds(pid) - before < 0.05:
            break
    return memory_mb(pid, "VmRSS")


class Fake:
    """`bench.fake_telegram --control` as a child process."""

    def __init__(self, *, rate: float = RATE, per_chat_rate: float = PER_CHAT_RATE) -> None:
        self.rate = rate
        self.per_chat_rate = per_chat_rate
        self.process: asyncio.subprocess.Process | None = None
        self.base_url = self.token = self.control_url = ""
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.fake_telegram", "--rate", str(self.rate),
            "--per-chat-rate", str(self.per_chat_rate), "--control",
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("the fake Telegram server did not start")
        info = json.loads(line)
        self.base_url, self.token = info["base_url"], info["token"]
        self.control_url = info["control_url"]
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))

    async def burst(self, updates: list[dict[str, Any]]) -> float:
        assert self.http is not None
        async with self.http.post(self.control_url + "/burst", json=updates) as response:
            response.raise_for_status()
            return float((await response.json())["queued_at"])

    async def replies(self) -> dict[int, list[float]]:
        assert self.http is not None
        async with self.http.get(self.control_url + "/replies") as response:
            response.raise_for_status()
            return {int(chat): times for chat, times in (await response.json()).items()}

    async def stats(self) -> dict[str, Any]:
        assert self.http is not None
        async with self.http.get(self.base_url + "/_fake/stats") as response:
            response.raise_for_status()
            stats: dict[str, Any] = await response.json()
            return stats

    async def sent(self) -> int:
        return int((await self.stats())["sent"])

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.process is not None and self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


class EchoBot:
    """`bench.echo_bot` as a child process."""

    def __init__(self, workdir: Path, token: str, api_url: str) -> None:
        self.log_path = workdir / "echo.log"
        self.env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
                    "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api_url}
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.echo_bot", cwd=ROOT, env=self.env, stdout=log,
            stderr=log,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def stop(self) -> int:
        if self.process is None or self.process.returncode is not None:
            return 0
        self.process.terminate()
        try:
            return await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()


def interleave(people: int, seed: int = 17) -> list[dict[str, Any]]:
    """Every person's script in order: each round one step of everyone, people shuffled.

    A person's next update comes a few hundred updates after their last, as when many people
    go through the same questions at once (and never in the same `getUpdates` batch).
    """
    rng = random.Random(seed)
    updates = []
    for step in SCRIPT:
        order = list(range(people))
        rng.shuffle(order)
        updates.extend({"user": FIRST_USER + person, **step} for person in order)
    for n, update in enumerate(updates):
        update["n"] = n
    return updates


async def calibrate(fake: Fake) -> list[int]:
    """How many messages each step of the script gets, one update at a time."""
    counts: list[int] = []
    seen = 0
    for n, step in enumerate(SCRIPT):
        await fake.burst([{"user": CALIBRATION_USER, "n": n, **step}])
        deadline = time.monotonic() + 60
        last_change = time.monotonic()
        now_seen = seen
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            got = len((await fake.replies()).get(CALIBRATION_USER, []))
            if got != now_seen:
                now_seen, last_change = got, time.monotonic()
            elif got > seen and time.monotonic() - last_change >= QUIET_SECONDS:
                break
        if now_seen == seen:
            raise RuntimeError(f"no reply to calibration step {n} ({step})")
        counts.append(now_seen - seen)
        seen = now_seen
    return counts


async def burst(fake: Fake, pid: int, people: int, result: Result) -> None:
    counts = await calibrate(fake)
    print(f"  {result.name}: replies per step {counts}; burst of {people * len(SCRIPT)}",
          file=sys.stderr, flush=True)
    updates = interleave(people)
    expected_per_chat = sum(counts)
    await asyncio.sleep(0.5)
    baseline_sent = await fake.sent()
    cpu_before = cpu_seconds(pid)
    queued_at = await fake.burst(updates)
    deadline = time.monotonic() + PATIENCE_SECONDS
    shown = last_change = time.monotonic()
    sent = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now_sent = await fake.sent() - baseline_sent
        if now_sent != sent:
            sent, last_change = now_sent, time.monotonic()
        if sent >= expected_per_chat * people:
            result.finished = True
            break
        if sent and time.monotonic() - last_change >= STALLED_SECONDS:
            # Fewer replies than calibrated: some update was answered differently.
            result.note = (f"{expected_per_chat * people - sent} replies fewer than "
                           "calibrated (an update answered out of order?)")
            result.finished = True
            break
        if time.monotonic() - shown >= 10:
            shown = time.monotonic()
            print(f"  {result.name}: {sent} of {expected_per_chat * people} replies",
                  file=sys.stderr, flush=True)
    # The last replies are in; the bot's CPU until then is what handling the burst cost.
    result.cpu_seconds = cpu_seconds(pid) - cpu_before
    result.peak_rss_mb = memory_mb(pid, "VmHWM")
    replies = await fake.replies()
    stats = await fake.stats()
    if stats["failed_calls"] or stats["violations"]:
        result.note += (f" failed calls {stats['failed_calls']}, refused "
                        f"{stats['violation_samples']}")
    offsets = [sum(counts[:k]) for k in range(len(SCRIPT))]
    latencies: list[float] = []
    last = queued_at
    handled = 0
    for person in range(people):
        times = replies.get(FIRST_USER + person, [])
        for offset in offsets:
            if offset < len(times):
                latencies.append(times[offset] - queued_at)
                handled += 1
        if times:
            last = max(last, max(times))
    result.updates = len(updates) if result.finished else handled
    result.seconds = last - queued_at
    result.latencies = tuple(latencies)
    if not result.finished:
        result.note += f"only {handled} of {len(updates)} updates answered in time"


async def run_echo(workdir: Path, people: int) -> Result:
    result = Result("aiogram echo bot")
    fake = Fake()
    await fake.start()
    bot = EchoBot(workdir, fake.token, fake.base_url)
    try:
        await bot.start()
        result.idle_rss_mb = await rss_at_rest(bot.pid)
        await burst(fake, bot.pid, people, result)
    finally:
        await bot.stop()
        await fake.stop()
    return result


async def run_cutri(workdir: Path, url: str, name: str, people: int,
                    py_spy: Path | None) -> Result:
    result = Result(name)
    db = await prepare_database(url)
    async with db.transaction() as session:
        await seed_demo(session)
    await db.dispose()
    fake = Fake()
    await fake.start()
    bot = BotProcess(
        workdir, DATABASE_URL=url, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.base_url,
        TELEGRAM_RATE=str(RATE), TELEGRAM_PER_CHAT_RATE=str(PER_CHAT_RATE),
        OUTBOX_POLL_SECONDS="0.2", LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    )
    spy: asyncio.subprocess.Process | None = None
    try:
        await bot.start()
        result.idle_rss_mb = await rss_at_rest(bot.pid)
        if py_spy is not None:
            out = py_spy / f"{name.replace(' ', '-')}.txt"
            spy = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(bot.pid),
                "--format", "raw", "-o", str(out), "--nonblocking", "--gil",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        await burst(fake, bot.pid, people, result)
    finally:
        if spy is not None and spy.returncode is None:
            spy.send_signal(2)
            await spy.wait()
        stopped = await bot.stop()
        if stopped != 0:
            result.note += f" exited with {stopped}, log {bot.log_path}"
        await fake.stop()
    return result


def print_table(results: list[Result], people: int) -> None:
    echo = next((r for r in results if r.name.startswith("aiogram")), None)
    print(f"\nInbound burst: {people * len(SCRIPT)} updates from {people} people "
          f"({os.cpu_count()} cores), fake Telegram at {RATE}/s, {PER_CHAT_RATE}/s per chat")
    header = (f"{'bot':<22} {'updates/s':>9} {'× echo':>7} {'CPU s/1000':>10} {'p50 s':>7} "
              f"{'p95 s':>7} {'peak RSS MB':>11} {'idle RSS MB':>11}")
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = f"{r.rate / echo.rate:7.2f}" if echo is not None and echo.rate else f"{'-':>7}"
        print(f"{r.name:<22} {r.rate:>9.1f} {ratio} {r.cpu_per_1000:>10.2f} "
              f"{percentile(r.latencies, 50):>7.2f} {percentile(r.latencies, 95):>7.2f} "
              f"{r.peak_rss_mb:>11.1f} {r.idle_rss_mb:>11.1f}")
    for r in results:
        if r.note:
            print(f"  {r.name}: {r.note.strip()}")


async def main_async(people: int, only: set[str], workdir: Path, py_spy: Path | None) -> None:
    results = []
    if "echo" in only:
        results.append(await run_echo(workdir, people))
    if "sqlite" in only:
        url = f"sqlite+aiosqlite:///{workdir / 'cutri.db'}"
        results.append(await run_cutri(workdir, url, "cutri run, SQLite", people, py_spy))
    pg = os.environ.get("BENCH_DATABASE_URL", "")
    if "postgresql" in only and pg:
        results.append(await run_cutri(workdir, pg, "cutri run, PostgreSQL", people, py_spy))
    print_table(results, people)
    if "postgresql" in only and not pg:
        print("  cutri run, PostgreSQL: skipped (set BENCH_DATABASE_URL)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--only", default="echo,sqlite,postgresql")
    parser.add_argument("--py-spy", type=Path, help="record a raw py-spy profile into this folder")
    parser.add_argument("--keep", type=Path, help="keep databases and logs in this folder")
    args = parser.parse_args()
    only = set(args.only.split(","))
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        asyncio.run(main_async(args.people, only, args.keep, args.py_spy))
        return
    with tempfile.TemporaryDirectory(prefix="cutri-inbound-") as folder:
        asyncio.run(main_async(args.people, only, Path(folder), args.py_spy))


if __name__ == "__main__":
    main()
