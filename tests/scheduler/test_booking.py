"""How far ahead a dispatcher books its channel's pace, and what that costs when it dies or
when the database stops recording its sends for a while (a PostgreSQL restart)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text as sql_text

from bot.telegram import TelegramChannel
from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from handlers.values import Reply
from scheduler.delivery import Delivery
from scheduler.dispatcher import Channel, Dispatcher
from scheduler.pacing import Pacer
from scheduler.shared_pacing import SharedPacer, token_key
from storage.conversations import ensure_identity
from storage.db import Database
from storage.messaging.outbox import enqueue_message
from tests.fakes.telegram import FakeTelegram

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
FIRST_CHAT = 760_000


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set (CI sets it)")
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


async def queue_one_each(db: Database, telegram: FakeTelegram, count: int) -> None:
    """One message for each of `count` people (a broadcast's shape)."""
    chats = [FIRST_CHAT + n for n in range(count)]
    for chat in chats:
        telegram.text(chat, "xin chào")
    async with db.transaction() as session:
        for chat in chats:
            identity = await ensure_identity(session, "telegram", str(chat))
            enqueue_message(session, identity, Reply(text=f"thông báo {chat}").to_payload())


async def test_a_dispatcher_that_dies_leaves_few_slots_of_the_shared_pace_unused(
    db: Database, redis: Redis,
) -> None:
    if db.is_sqlite:
        pytest.skip("one process on SQLite: nobody shares its pace")
    rate = 20.0
    prefix = token_key("telegram", f"{uuid.uuid4()}")
    await redis.set(f"{prefix}:known", "1", ex=600)  # no pause for a pace Redis forgot
    async with FakeTelegram() as telegram:
        await queue_one_each(db, telegram, 60)
        channel = TelegramChannel(telegram.token, ConversationRunner(db, HandlerConfig()),
                                  api_url=telegram.base_url)
        pace = SharedPacer(redis, prefix, rate, per_chat_rate=1)
        dispatcher = Dispatcher(db, {"telegram": Channel(channel, pace)})
        running = asyncio.create_task(dispatcher.run(asyncio.Event()))
        for _ in range(600):
            if telegram.sent:
                break
            await asyncio.sleep(0.05)
        assert telegram.sent
        # SIGKILL: what it booked in Redis stays booked, and nobody sends in those slots.
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await channel.close()
    survivor = SharedPacer(redis, prefix, rate, per_chat_rate=1)
    # The survivor's first slot comes after everything the dead one booked: a hand of 60 rows
    # booked at once would hold it three seconds, a tenth of the time between two kills.
    assert await survivor.overall_slot() <= 1.0


class HeldRecording:
    """A Telegram sender whose first send locks the outbox from another connection for a while,
    as a database restart stops the dispatcher recording its sends."""

    def __init__(self, channel: TelegramChannel, db: Database, seconds: float) -> None:
        self.channel = channel
        self.db = db
        self.seconds = seconds
        self.holding: asyncio.Task[None] | None = None
        self._locked = asyncio.Event()

    async def send(self, chat_id: str, payload: dict[str, Any]) -> Delivery:
        if self.holding is None:
            self.holding = asyncio.create_task(self._hold())
            await self._locked.wait()
        return await self.channel.send(chat_id, payload)

    async def _hold(self) -> None:
        async with self.db.engine.connect() as connection:
            await connection.execute(sql_text("LOCK TABLE outbox IN EXCLUSIVE MODE"))
            self._locked.set()
            await asyncio.sleep(self.seconds)
            await connection.commit()


async def test_sends_held_while_their_recording_waits_go_out_at_the_pace_not_at_once(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("a PostgreSQL lock stands for a PostgreSQL restart")
    rate = 5.0
    async with FakeTelegram(rate_limits=True, global_rate=rate, per_chat_rate=100) as telegram:
        await queue_one_each(db, telegram, 30)
        recording = Database(db.url)
        channel = TelegramChannel(telegram.token, ConversationRunner(db, HandlerConfig()),
                                  api_url=telegram.base_url)
        sender = HeldRecording(channel, recording, seconds=3.0)
        # The window fills after four sends and stays full while the outbox is locked; the
        # sends behind it must not keep the slots that pass meanwhile and go all at once.
        dispatcher = Dispatcher(db, {"telegram": Channel(sender, Pacer(rate, per_chat_rate=100,
                                                                       burst=1))}, window=4)
        while await dispatcher.dispatch_once():
            pass
        assert sender.holding is not None
        await sender.holding
        await channel.close()
        await recording.dispose()
    assert len(telegram.sent) == 30
    assert telegram.rate_limited_count == 0


class Stalling:
    """A Telegram sender in a process that, after its third send, cannot run for a while (a
    machine busier than it has cores): the event loop is blocked, nothing else runs."""

    def __init__(self, channel: TelegramChannel, seconds: float) -> None:
        self.channel = channel
        self.seconds = seconds
        self.sends = 0

    async def send(self, chat_id: str, payload: dict[str, Any]) -> Delivery:
        self.sends += 1
        if self.sends == 3:
            time.sleep(self.seconds)  # noqa: ASYNC251 - the stall is the point
        return await self.channel.send(chat_id, payload)


async def test_sends_whose_slots_went_by_while_the_replicas_stalled_do_not_go_at_once(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite is for one process: one dispatcher per database file")
    rate = 10.0
    pace = Pacer(rate, per_chat_rate=100, burst=1)  # one token's pace, as Redis shares it
    async with FakeTelegram(rate_limits=True, global_rate=rate, per_chat_rate=100) as telegram:
        await queue_one_each(db, telegram, 60)
        channel = TelegramChannel(telegram.token, ConversationRunner(db, HandlerConfig()),
                                  api_url=telegram.base_url)
        sender = Stalling(channel, seconds=2.5)
        # Three replicas, each with half a second of the pace booked ahead: together more
        # than the platform's burst of a second, all late at once when the machine stalls.
        databases = [db, Database(db.url), Database(db.url)]
        dispatchers = [Dispatcher(database, {"telegram": Channel(sender, pace)})
                       for database in databases]
        stop = asyncio.Event()
        runs = [asyncio.create_task(dispatcher.run(stop)) for dispatcher in dispatchers]
        for _ in range(1200):
            if len(telegram.sent) >= 60:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*runs)
        await channel.close()
        for database in databases[1:]:
            await database.dispose()
    # The slots of the stalled seconds are lost; sent late, their messages would have landed
    # at once with the next ones, past the platform's burst.
    assert len(telegram.sent) == 60
    assert telegram.rate_limited_count == 0
