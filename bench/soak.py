"""Soak test: three `cutri run` replicas behind a load balancer, killed one after another.

    BENCH_REDIS_URL=redis://127.0.0.1:6379/12 python -m bench.soak \\
        [--people 2000] [--broadcast 10000] [--kill-every 30] [--redis-restart-at 300]
        [--pg-restart-at 600] [--keep DIR] [--fake-here] [--shared-postgres]

Three replicas in webhook mode share PostgreSQL and Redis; the fake Telegram server (in a
process of its own unless `--fake-here`: tests/soak/remote_fake.py) limits the bot token to 30
messages/s overall and 1/s per chat and answers 429 past that; a round-robin balancer on
loopback (tests/soak/balancer.py) spreads the updates over the replicas. `--people` residents
onboard and send a petition each, by webhook, some of their updates sent two at a time (they
land on different replicas), while a commune-wide broadcast to `--broadcast` other residents
goes out. Every `--kill-every` seconds one replica (in turn) is SIGKILLed and started again.
With `--redis-restart-at`, Redis (a `redis-server` of the soak's own, when one is on PATH) is
killed at that second and started again a few seconds later. The soak runs on a PostgreSQL
cluster of its own (tests/soak/postgres.py, made with the machine's server binaries; the
machine's own server is never restarted); with `--pg-restart-at` it is restarted for real at
that second (`pg_ctl restart -m fast`), and the replicas are not restarted for it. Where no
such cluster can be made (or `--shared-postgres`), the soak runs on BENCH_DATABASE_URL (emptied
first) and only cuts every connection of the replicas (`pg_terminate_backend`); the figures say
which of the two happened.

What each resident should receive is learnt first from one resident who goes through the
same steps one at a time. Figures: updates acknowledged and never handled (lost updates),
messages that never arrived (lost messages: a resident's missing replies, a broadcast
recipient without the announcement, outbox rows not sent), residents whose replies came in
another order than the calibration's, 429 answers, messages sent twice (per kill, against the
dispatcher's window OUTBOX_WINDOW), and the rate achieved while the broadcast went out,
divided by 30.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from bench.population import (
    prepare_database,
    queue_commune_broadcast,
    release_broadcast,
    seed_population,
)
from bot.telegram import WEBHOOK_PATH
from storage.db import Database
from storage.encryption import Keyring, use_keyring
from tests.e2e.process import BotProcess, free_port, listening
from tests.fakes.telegram import FakeTelegram
from tests.soak.balancer import RoundRobin
from tests.soak.postgres import PrivatePostgres
from tests.soak.remote_fake import LocalTelegram, RemoteTelegram, Results, TelegramView

RATE = 30
PER_CHAT_RATE = 1
REPLICAS = 3
# The dispatcher's repeat window (bot/settings.py `outbox_window`): sends in flight plus sends
# not yet recorded never exceed it, so one kill repeats at most this many messages.
WINDOW = 50
FIRST_RESIDENT = 700_000_000
CALIBRATION_RESIDENT = 699_999_999
SECRET = "soak-webhook-secret"
CONTENT = "Đèn đường ấp Tân Dân hư đã hai tuần, tối đi lại nguy hiểm <gấp> & cần sửa"
NAME = "Nguyễn Văn An"
# Each step: what the resident sends back to back, (kind, value): "press" a button by part
# of its label, or "text". Two at once reach two replicas; a text typed right after a press
# must be handled after it.
SCRIPT: list[list[tuple[str, str]]] = [
    [("text", "/start")],
    [("press", "Đồng ý"), ("text", "Ấp Tân Dân")],
    [("text", NAME), ("text", "Bỏ qua")],
    [("press", "Gửi kiến nghị")],
    [("press", "Giao thông")],
    [("text", CONTENT)],
    [("press", "Bỏ qua")],
    [("press", "Bỏ qua")],
    [("press", "giấu tên")],
    [("press", "✅ Gửi")],
]
_CODE = re.compile(r"KN-\d{4}-\d+")
# How long a resident waits for one step's replies: behind 30 messages/s, many wait long.
STEP_PATIENCE = 900.0
REDIS_DOWN_SECONDS = 5.0


@dataclass
class Soak:
    people: int = 2000
    broadcast: int = 10_000
    kill_every: float = 30.0
    max_kills: int | None = None
    redis_restart_at: float | None = None
    pg_restart_at: float | None = None
    # The fake Telegram in a process of its own (see tests/soak/remote_fake.py).
    fake_apart: bool = False
    # A cluster of the soak's own when one can be made (always, with `pg_restart_at`: only
    # there can PostgreSQL be restarted); otherwise `database_url`.
    private_postgres: bool = True
    database_url: str = ""
    redis_url: str = ""
    workdir: Path = Path()
    seed: int = 16


@dataclass
class Figures:
    people: int = 0
    broadcast: int = 0
    updates_acknowledged: int = 0
    lost_updates: int = 0
    lost_replies: int = 0
    missed_broadcast: int = 0
    unsent_rows: int = 0
    out_of_order_people: int = 0
    out_of_order_replies: int = 0
    stuck_people: int = 0
    rate_limited: int = 0
    retry_window_violations: int = 0
    kills: int = 0
    repeats: int = 0
    repeats_per_kill: float = 0.0
    send_rate_ratio: float = 0.0
    broadcast_rate_ratio: float = 0.0
    seconds: float = 0.0
    began: float = 0.0
    redis_restarted: bool = False
    # How PostgreSQL was troubled: "" (not), "restarted" (the soak's own cluster) or
    # "connections cut" (pg_terminate_backend, when no cluster of its own could be made).
    pg_trouble: str = ""
    pg_terminated: int = 0
    pg_private: str = ""  # which server the run used, and why not a private one
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Seconds from the start of the run: what happened, and when 429s were answered.
    events: list[tuple[float, str]] = field(default_factory=list)
    rate_limited_at: list[tuple[float, str]] = field(default_factory=list)
    # While the broadcast went out: the seconds of the run that sent under 80% of the pace.
    slow_seconds: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def lost_messages(self) -> int:
        return self.lost_replies + self.missed_broadcast + self.unsent_rows

    def report(self) -> str:
        lines = [
            f"soak: {self.people} residents conversing, broadcast to {self.broadcast}, "
            f"{REPLICAS} replicas, {self.kills} kills, {self.seconds:.0f} s",
            f"  updates acknowledged {self.updates_acknowledged}, lost updates "
            f"{self.lost_updates}",
            f"  lost messages {self.lost_messages} (replies {self.lost_replies}, broadcast "
            f"{self.missed_broadcast}, outbox rows not sent {self.unsent_rows}); residents stuck "
            f"{self.stuck_people}",
            f"  out-of-order replies: {self.out_of_order_replies} in {self.out_of_order_people} "
            f"residents",
            f"  429 answers {self.rate_limited} (sent inside a retry_after: "
            f"{self.retry_window_violations})",
            f"  repeats {self.repeats}: {self.repeats_per_kill:.1f} per kill (window "
            f"{WINDOW} per kill)",
            f"  sending rate while the broadcast went out / {RATE}: "
            f"{self.send_rate_ratio:.2f} (the broadcast's own share: "
            f"{self.broadcast_rate_ratio:.2f})",
        ]
        if self.redis_restarted:
            lines.append("  Redis was killed and started again during the run")
        if self.pg_private:
            lines.append(f"  PostgreSQL: {self.pg_private}")
        if self.pg_trouble == "restarted":
            lines.append("  PostgreSQL was restarted during the run (pg_ctl restart -m fast); "
                         "the replicas were not")
        elif self.pg_trouble:
            lines.append(f"  PostgreSQL was not restarted: {self.pg_terminated} connections of "
                         "the replicas were cut (pg_terminate_backend)")
        if self.events:
            lines.append("  events: " + ", ".join(f"{at:.0f} s {what}" for at, what in self.events))
        if self.rate_limited_at:
            seconds = Counter(f"{at:.0f} s {key}" for at, key in self.rate_limited_at)
            lines.append("  429 at: " + ", ".join(f"{when} ×{count}"
                                                   for when, count in sorted(seconds.items())))
        if self.slow_seconds:
            slow = sum(last - first + 1 for first, last, _sent in self.slow_seconds)
            lines.append(f"  {slow} seconds under 80% of the pace: " + ", ".join(
                f"{first}-{last} s ({sent} sent)" if last > first else f"{first} s ({sent})"
                for first, last, sent in self.slow_seconds[:40]))
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"  fake Telegram refused: {line}" for line in self.violations[:5]]
        return "\n".join(lines)


class OwnRedis:
    """A `redis-server` of the soak's own on a free port, to kill and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)
        if not await listening(self.port):
            raise AssertionError("redis-server did not start")

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()


@contextlib.asynccontextmanager
async def fake_telegram(apart: bool) -> AsyncIterator[TelegramView]:
    """The fake Telegram limiting the token, in a process of its own or in this one."""
    if apart:
        async with RemoteTelegram(RATE, PER_CHAT_RATE) as remote:
            yield remote
        return
    async with FakeTelegram(rate_limits=True, global_rate=RATE,
                            per_chat_rate=PER_CHAT_RATE) as fake:
        yield LocalTelegram(fake)


def normalised(message: dict[str, Any]) -> str:
    return _CODE.sub("KN-…", str(message.get("text", message.get("caption", ""))))


def find_button(messages: list[dict[str, Any]], label: str) -> tuple[int, str]:
    for message in reversed(messages):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for key in row:
                if label in key["text"]:
                    return int(message["message_id"]), str(key["callback_data"])
    raise LookupError(label)


class Resident:
    """One resident going through SCRIPT against `expected`, the calibration's replies."""

    def __init__(self, chat: int, telegram: TelegramView,
                 deliver: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        self.chat = chat
        self.telegram = telegram
        self.deliver = deliver
        self.kept: list[dict[str, Any]] = []  # the replies, each once
        self.seen = 0
        self.repeats = 0
        self.out_of_order = 0
        self.stuck = False

    def take_new(self, expected: list[str] | None) -> None:
        messages = self.telegram.messages_for(self.chat)
        for message in messages[self.seen:]:
            self.seen += 1
            text_ = normalised(message)
            if expected is None or (len(self.kept) < len(expected)
                                    and expected[len(self.kept)] == text_):
                self.kept.append(message)
            elif any(normalised(kept) == text_ for kept in self.kept):
                self.repeats += 1
            else:
                self.out_of_order += 1

    async def wait_for(self, count: int, expected: list[str] | None, patience: float) -> bool:
        deadline = time.monotonic() + patience
        while True:
            self.take_new(expected)
            if len(self.kept) >= count:
                return True
            if self.out_of_order or time.monotonic() > deadline:
                return False
            with contextlib.suppress(AssertionError):
                await self.telegram.wait_for(self.chat, self.seen + 1,
                                             min(5.0, deadline - time.monotonic() + 0.1))

    async def send_step(self, step: list[tuple[str, str]]) -> None:
        updates = []
        for kind, value in step:
            if kind == "press":
                message_id, data = find_button(self.kept, value)
                updates.append(await self.telegram.press(self.chat, data, message_id))
            else:
                updates.append(await self.telegram.text(self.chat, value))
        for update in updates:
            await self.deliver(update)

    async def converse(self, expected: list[str], ends: list[int]) -> None:
        for step, end in zip(SCRIPT, ends, strict=True):
            try:
                await self.send_step(step)
            except LookupError:
                self.stuck = True
                return
            if not await self.wait_for(end, expected, STEP_PATIENCE):
                self.stuck = True
                return


async def calibrate(resident: Resident, settled: Callable[[int], Awaitable[bool]],
                    ) -> tuple[list[str], list[int]]:
    """One resident, one update at a time: what each step answers, once everything is sent."""
    ends: list[int] = []
    for step in SCRIPT:
        for kind, value in step:
            await resident.send_step([(kind, value)])
            deadline = time.monotonic() + 120
            while not await settled(resident.chat):
                if time.monotonic() > deadline:
                    raise AssertionError(f"calibration step {value!r} was not answered")
                await asyncio.sleep(0.1)
            with contextlib.suppress(AssertionError):  # a fake apart: fetch what it holds
                await resident.telegram.wait_for(resident.chat, resident.seen + 1, 0.0)
            resident.take_new(None)
        ends.append(len(resident.kept))
    return [normalised(message) for message in resident.kept], ends


async def replica_settled(db: Database, chat: int) -> bool:
    """Every update of `chat` handled and every message queued to it sent."""
    async with db.engine.connect() as connection:
        waiting = await connection.scalar(text(
            "SELECT count(*) FROM inbound_events WHERE handled_at IS NULL"))
        unsent = await connection.scalar(text(
            "SELECT count(*) FROM outbox o JOIN channel_identities i ON i.id = o.identity_id"
            " WHERE i.external_id = :chat AND o.status IN ('pending', 'sending')"),
            {"chat": str(chat)})
    return bool(waiting == 0 and unsent == 0)


async def poll_until(check: Callable[[], Any], seconds: float, *, until: Any = True) -> None:
    """Until `check()` (awaited if need be) gives `until`, or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value == until or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.5)


async def cut_connections(db: Database) -> int:
    """What a PostgreSQL restart does to the replicas: every connection to the database cut."""
    async with db.engine.connect() as connection:
        cut = await connection.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        await connection.commit()
    return int(cut or 0)


async def run_soak(soak: Soak, *, log: Callable[[str], None] = print) -> Figures:
    figures = Figures(people=soak.people, broadcast=soak.broadcast)
    chance = random.Random(soak.seed)
    keyring = Keyring.generate()
    use_keyring(keyring)  # the broadcast and the checks read what the replicas write
    own_redis = OwnRedis() if soak.redis_restart_at is not None and OwnRedis.available() else None
    redis_url = soak.redis_url
    if own_redis is not None:
        await own_redis.start()
        redis_url = own_redis.url
    elif soak.redis_restart_at is not None:
        figures.notes.append("no redis-server on PATH: Redis was not restarted")
    await flush_redis(redis_url)
    private: PrivatePostgres | None = None
    figures.pg_private = "the server of the database URL given (asked for)"
    if soak.private_postgres:
        private, why_not = PrivatePostgres.find()
        if private is None:
            figures.pg_private = f"the server of the database URL given ({why_not})"
    database_url = soak.database_url
    if private is not None:
        try:
            await private.start()
        except RuntimeError as error:
            await private.stop()
            private = None
            figures.pg_private = (f"the server of the database URL given (a cluster of the "
                                  f"soak's own did not start: {str(error)[:200]})")
        else:
            database_url = private.url
            figures.pg_private = f"a cluster of the soak's own ({private.bindir})"
    alive: list[BotProcess] = []
    try:
        if not database_url:
            raise RuntimeError("no PostgreSQL: no cluster of the soak's own, no database URL")
        return await _run_soak(soak, figures, chance, keyring, own_redis, redis_url,
                               database_url, private, alive, log)
    finally:
        for bot in alive:  # cut short (an error, SIGTERM): no replica outlives the soak
            await bot.kill()
        if private is not None:
            await private.stop()
        if own_redis is not None:
            await own_redis.kill()


async def _run_soak(soak: Soak, figures: Figures, chance: random.Random, keyring: Keyring,
                    own_redis: OwnRedis | None, redis_url: str, database_url: str,
                    private: PrivatePostgres | None, alive: list[BotProcess],
                    log: Callable[[str], None]) -> Figures:
    db = await prepare_database(database_url)
    population = await seed_population(db, soak.broadcast)
    broadcast_id = await queue_commune_broadcast(db, population, hold=True)
    acknowledged: set[int] = set()
    started = time.monotonic()
    async with fake_telegram(soak.fake_apart) as telegram:
        await telegram.remember_chats(population.chat_ids)
        ports = [free_port() for _ in range(REPLICAS)]
        async with RoundRobin([f"http://127.0.0.1:{port}" for port in ports]) as balancer:
            replicas = [replica(soak.workdir / f"replica-{index}", port, telegram, balancer,
                                database_url, redis_url, keyring)
                        for index, port in enumerate(ports)]
            alive += replicas
            await asyncio.gather(*(bot.start() for bot in replicas))

            webhook = balancer.url + WEBHOOK_PATH

            async def deliver(update: dict[str, Any]) -> None:
                # Telegram delivers an update again until a webhook answers 200.
                while True:
                    try:
                        status = await telegram.deliver(update, webhook, SECRET)
                    except (aiohttp.ClientError, TimeoutError):
                        status = 0
                    if status == 200:
                        acknowledged.add(int(update["update_id"]))
                        return
                    await asyncio.sleep(1.0)

            calibration = Resident(CALIBRATION_RESIDENT, telegram, deliver)
            expected, ends = await calibrate(calibration,
                                             lambda chat: replica_settled(db, chat))
            log(f"calibrated: {len(expected)} replies over {len(SCRIPT)} steps")
            residents = [Resident(FIRST_RESIDENT + index, telegram, deliver)
                         for index in range(soak.people)]
            before = await telegram.sent_count()
            began = figures.began = time.monotonic()
            await release_broadcast(db, broadcast_id)
            conversations = [asyncio.create_task(resident.converse(expected, ends))
                             for resident in residents]
            broadcast_chats = population.chat_ids

            async def all_done() -> bool:
                return (all(task.done() for task in conversations)
                        and await telegram.reached(broadcast_chats[0], len(broadcast_chats))
                        == len(broadcast_chats))

            troubles = asyncio.create_task(make_trouble(
                soak, replicas, own_redis, private, db, all_done, figures, log, chance))
            progress = asyncio.create_task(report_progress(
                telegram, residents, conversations, before, began, log))
            try:
                await asyncio.gather(*conversations)
                await poll_until(all_done, STEP_PATIENCE)
            finally:
                for task in (troubles, progress):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            # The last messages recorded as sent, then a clean stop.
            await poll_until(lambda: unsent_rows(db), 60, until=0)
            for bot in replicas:
                await bot.stop(30)
            figures.seconds = time.monotonic() - began
        results = await telegram.results()
        sends = results.sent_chats[before:]
        figures.updates_acknowledged = len(acknowledged)
        figures.lost_updates = await unhandled(db, acknowledged)
        figures.unsent_rows = await unsent_rows(db)
        figures.lost_replies = sum(len(expected) - len(r.kept) for r in residents
                                   if not r.out_of_order)
        figures.out_of_order_people = sum(1 for r in residents if r.out_of_order)
        figures.out_of_order_replies = sum(r.out_of_order for r in residents)
        figures.stuck_people = sum(1 for r in residents if r.stuck)
        received = Counter(sends)
        figures.missed_broadcast = sum(1 for chat in broadcast_chats if not received[chat])
        figures.repeats = (sum(max(0, received[chat] - 1) for chat in broadcast_chats)
                           + sum(r.repeats for r in residents))
        figures.repeats_per_kill = figures.repeats / max(1, figures.kills)
        figures.rate_limited = results.rate_limited_count
        figures.retry_window_violations = results.retry_window_violations
        figures.violations = results.violations
        figures.rate_limited_at = rate_limited_at(results, began)
        figures.send_rate_ratio, figures.broadcast_rate_ratio = send_rates(
            results, before, set(broadcast_chats))
        figures.slow_seconds = slow_seconds(results, before, set(broadcast_chats), began)
        for bot in replicas:
            text_ = bot.log()
            if "Traceback" in text_:
                figures.notes.append(f"a traceback in {bot.log_path}")
    await db.dispose()
    log(f"done in {time.monotonic() - started:.0f} s")
    return figures


async def report_progress(telegram: TelegramView, residents: list[Resident],
                          conversations: list[asyncio.Task[None]], before: int, began: float,
                          log: Callable[[str], None]) -> None:
    """A line every 30 s: a long run shows it is moving."""
    while True:
        await asyncio.sleep(30)
        done = sum(1 for task in conversations if task.done())
        sent, rate_limited = await telegram.progress()
        log(f"{time.monotonic() - began:.0f} s: {sent - before} sent, "
            f"{done}/{len(residents)} residents done, {rate_limited} × 429")


def replica(workdir: Path, port: int, telegram: TelegramView, balancer: RoundRobin,
            database_url: str, redis_url: str, keyring: Keyring) -> BotProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    bot = BotProcess(
        workdir,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ENCRYPTION_KEYS=keyring.dumps().strip(),
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.base_url,
        TELEGRAM_WEBHOOK_URL=balancer.url,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_RATE=str(RATE),
        TELEGRAM_PER_CHAT_RATE=str(PER_CHAT_RATE),
        OUTBOX_WINDOW=str(WINDOW),
        OUTBOX_LEASE_SECONDS="10",
        INBOX_STALE_SECONDS="30",
        LOG_LEVEL="WARNING",
    )
    bot.port = port
    bot.env["HTTP_PORT"] = str(port)
    return bot


async def make_trouble(soak: Soak, replicas: list[BotProcess], own_redis: OwnRedis | None,
                       private: PrivatePostgres | None, db: Database,
                       done: Callable[[], Awaitable[bool]],
                       figures: Figures, log: Callable[[str], None],
                       chance: random.Random) -> None:
    """Kill a replica every `kill_every` seconds (and start it again); Redis and PostgreSQL
    trouble once each at their second."""
    began = time.monotonic()
    next_kill = began + soak.kill_every if soak.kill_every > 0 else float("inf")
    redis_at = began + soak.redis_restart_at if soak.redis_restart_at is not None else None
    pg_at = began + soak.pg_restart_at if soak.pg_restart_at is not None else None
    next_check = 0.0
    while True:
        now = time.monotonic()
        if now >= next_check:
            if await done():
                return
            next_check = now + 2.0
        if now >= next_kill and (soak.max_kills is None or figures.kills < soak.max_kills):
            bot = replicas[figures.kills % len(replicas)]
            await bot.kill()
            figures.kills += 1
            figures.events.append((now - figures.began, f"replica {bot.port} killed"))
            log(f"{now - began:.0f} s: replica {bot.port} killed")
            await asyncio.sleep(chance.uniform(0.0, 1.0))
            await bot.start()
            next_kill = time.monotonic() + soak.kill_every
        if redis_at is not None and now >= redis_at and own_redis is not None:
            redis_at = None
            await own_redis.kill()
            figures.events.append((now - figures.began, "Redis killed"))
            log(f"{now - began:.0f} s: Redis killed")
            await asyncio.sleep(REDIS_DOWN_SECONDS)
            await own_redis.start()
            figures.redis_restarted = True
            figures.events.append((time.monotonic() - figures.began, "Redis back"))
            log("Redis started again")
        if pg_at is not None and now >= pg_at:
            pg_at = None
            if private is not None:
                await private.restart()
                figures.pg_trouble = "restarted"
                figures.events.append((now - figures.began, "PostgreSQL restarted"))
                log(f"{now - began:.0f} s: PostgreSQL restarted")
            else:
                figures.pg_terminated = await cut_connections(db)
                figures.pg_trouble = "connections cut"
                figures.events.append((now - figures.began, "PostgreSQL connections cut"))
                log(f"{now - began:.0f} s: {figures.pg_terminated} PostgreSQL connections cut")
        await asyncio.sleep(0.2)


async def flush_redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


async def unhandled(db: Database, acknowledged: set[int]) -> int:
    async with db.engine.connect() as connection:
        handled = set((await connection.execute(text(
            "SELECT external_id FROM inbound_events WHERE channel = 'telegram'"
            " AND handled_at IS NOT NULL"))).scalars())
    return sum(1 for update_id in acknowledged if str(update_id) not in handled)


async def unsent_rows(db: Database) -> int:
    async with db.engine.connect() as connection:
        return int(await connection.scalar(text(
            "SELECT count(*) FROM outbox WHERE status <> 'sent'")) or 0)


def _timed_sends(results: Results) -> list[tuple[float, int]]:
    """(when, chat) of each message sent: the calls that sent, beside the fake's list."""
    times = [call["time"] for call in results.calls
             if call["status"] == 200 and _sends(call["method"])]
    return list(zip(times, results.sent_chats, strict=False))


def _sends(method: str) -> bool:
    """The calls the fake lists in `sent` (one entry each: no albums here)."""
    lower = method.lower()
    if lower.startswith("send"):
        return lower != "sendchataction"
    return lower.startswith(("copymessage", "forwardmessage", "editmessage"))


def send_rates(results: Results, before: int, broadcast_chats: set[int],
               ) -> tuple[float, float]:
    """Messages a second while the broadcast went out (its first send to its last), all and
    the broadcast's own, each divided by the token's limit."""
    pairs = _timed_sends(results)[before:]
    window = [stamp for stamp, chat in pairs if chat in broadcast_chats]
    if len(window) < 2:
        return 0.0, 0.0
    first, last = window[0], window[-1]
    inside = sum(1 for stamp, _chat in pairs if first <= stamp <= last)
    seconds = max(last - first, 1e-9)
    return inside / seconds / RATE, len(window) / seconds / RATE


def rate_limited_at(results: Results, began: float) -> list[tuple[float, str]]:
    """When each 429 was answered (seconds of the run), to whom, and how many sends the fake
    took in the second before it and to that chat in the three before (a burst overall, or
    one chat's)."""
    sends = [(call["time"], call["chat_id"]) for call in results.calls
             if call["status"] == 200 and _sends(call["method"])]
    found: list[tuple[float, str]] = []
    for call in results.calls:
        if call["status"] != 429:
            continue
        at, chat = call["time"], call["chat_id"]
        who = "resident" if int(chat or 0) >= CALIBRATION_RESIDENT else "broadcast"
        if len(found) < 20:
            overall = sum(1 for stamp, _chat in sends if at - 1 <= stamp < at)
            own = ", ".join(f"{stamp - at:.2f}" for stamp, other in sends
                            if other == chat and at - 3 <= stamp < at)
            who += f" ({overall} sends in the second before; to the chat at [{own}] s)"
        found.append((at - began, who))
    return found


def slow_seconds(results: Results, before: int, broadcast_chats: set[int], began: float,
                 ) -> list[tuple[int, int, int]]:
    """The whole seconds of the run (from `began`) between the broadcast's first and last send
    that sent under 80% of the pace, joined into runs: (first, last, messages sent in them).
    Where the rate went: a kill, Redis or PostgreSQL away, a machine too busy."""
    pairs = _timed_sends(results)[before:]
    window = [stamp for stamp, chat in pairs if chat in broadcast_chats]
    if len(window) < 2:
        return []
    per_second = Counter(int(stamp - began) for stamp, _chat in pairs)
    runs: list[tuple[int, int, int]] = []
    for second in range(int(window[0] - began) + 1, int(window[-1] - began)):
        sent = per_second[second]
        if sent >= 0.8 * RATE:
            continue
        if runs and runs[-1][1] == second - 1:
            first, _last, total = runs[-1]
            runs[-1] = (first, second, total + sent)
        else:
            runs.append((second, second, sent))
    return runs


async def cancelled_by_sigterm(work: Awaitable[Figures]) -> Figures:
    """`work`, cancelled by SIGTERM as by Ctrl-C: its clean-up runs (replicas, PostgreSQL and
    Redis of its own stopped)."""
    task = asyncio.ensure_future(work)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--broadcast", type=int, default=10_000)
    parser.add_argument("--kill-every", type=float, default=30.0)
    parser.add_argument("--redis-restart-at", type=float, default=None)
    parser.add_argument("--pg-restart-at", type=float, default=None,
                        help="restart PostgreSQL (the soak's own cluster) at this second")
    parser.add_argument("--shared-postgres", action="store_true",
                        help="run on BENCH_DATABASE_URL, not a cluster of the soak's own "
                             "(PostgreSQL's connections are then cut, not restarted)")
    parser.add_argument("--fake-here", action="store_true",
                        help="run the fake Telegram in this process (by default a process of "
                             "its own, so that the residents' work never delays its calls)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the replicas' logs here")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "")
    redis_url = os.environ.get("BENCH_REDIS_URL", "")
    private = not args.shared_postgres and PrivatePostgres.find()[0] is not None
    if not private and not database_url.startswith("postgresql"):
        sys.exit("set BENCH_DATABASE_URL (PostgreSQL, emptied first): no cluster of the "
                 "soak's own can be made here")
    if not redis_url:
        sys.exit("set BENCH_REDIS_URL")
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="cutri-soak-"))
    soak = Soak(people=args.people, broadcast=args.broadcast, kill_every=args.kill_every,
                redis_restart_at=args.redis_restart_at, pg_restart_at=args.pg_restart_at,
                private_postgres=private, fake_apart=not args.fake_here,
                database_url=database_url, redis_url=redis_url,
                workdir=workdir)
    figures = asyncio.run(cancelled_by_sigterm(run_soak(soak)))
    print(figures.report())
    print(json.dumps({"lost_updates": figures.lost_updates,
                      "lost_messages": figures.lost_messages,
                      "out_of_order": figures.out_of_order_replies,
                      "rate_limited": figures.rate_limited,
                      "repeats_per_kill": round(figures.repeats_per_kill, 1),
                      "send_rate_ratio": round(figures.send_rate_ratio, 3)}))
    if args.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
