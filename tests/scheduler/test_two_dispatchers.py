"""Several dispatchers on one database share the outbox: every row goes out once, in order."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import Callable

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from bot.telegram import TelegramChannel
from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from handlers.values import Reply
from scheduler.dispatcher import Channel, Dispatcher
from scheduler.pacing import Pace, Pacer
from scheduler.shared_pacing import SharedPacer, token_key
from storage.conversations import ensure_identity
from storage.db import Database
from storage.messaging.outbox import enqueue_message
from storage.models import OutboxMessage
from tests.fakes.telegram import FakeTelegram

CHATS = [730000 + n for n in range(300)]
PER_CHAT = 4
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
# The token's limit in the pace tests: high enough to be quick, the same for server and pace.
RATE = 100.0


async def test_three_dispatchers_deliver_each_row_once_in_order(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite is for one process: one dispatcher per database file")
    async with FakeTelegram() as telegram:
        for chat in CHATS:
            telegram.text(chat, "xin chào")
        async with db.transaction() as session:
            for chat in CHATS:
                identity = await ensure_identity(session, "telegram", str(chat))
                for n in range(PER_CHAT):
                    enqueue_message(session, identity, Reply(text=f"tin {n}").to_payload())
        others = [Database(db.url), Database(db.url)]
        dispatchers, channels = [], []
        for database in (db, *others):
            channel = TelegramChannel(telegram.token, ConversationRunner(database, HandlerConfig()),
                                      api_url=telegram.base_url)
            channels.append(channel)
            dispatchers.append(Dispatcher(
                database, {"telegram": Channel(channel, Pacer(2000, per_chat_rate=100))},
                batch_seconds=0.05,
            ))
        stop = asyncio.Event()
        runs = [asyncio.create_task(d.run(stop)) for d in dispatchers]
        for _ in range(200):
            if len(telegram.sent) >= PER_CHAT * len(CHATS):
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*runs)
        for channel in channels:
            await channel.close()
        for other in others:
            await other.dispose()
        per_chat = Counter(message["chat_id"] for message in telegram.sent)
        assert set(per_chat.values()) == {PER_CHAT}, "a row went out twice or not at all"
        in_order = [f"tin {n}" for n in range(PER_CHAT)]
        out_of_order = [chat for chat in CHATS if telegram.texts_for(chat) != in_order]
        assert out_of_order == [], "a recipient read a later message first"
    async with db.transaction() as session:
        statuses = set((await session.execute(select(OutboxMessage.status))).scalars())
    assert statuses == {"sent"}


async def run_three(db: Database, telegram: FakeTelegram, pace: Callable[[], Pace],
                    until: Callable[[], bool]) -> None:
    """Three dispatchers, each its own database pool and pace, until `until()` or 60 s."""
    others = [Database(db.url), Database(db.url)]
    dispatchers, channels = [], []
    for database in (db, *others):
        channel = TelegramChannel(telegram.token, ConversationRunner(database, HandlerConfig()),
                                  api_url=telegram.base_url)
        channels.append(channel)
        dispatchers.append(Dispatcher(database, {"telegram": Channel(channel, pace())},
                                      batch_seconds=0.5))
    stop = asyncio.Event()
    runs = [asyncio.create_task(d.run(stop)) for d in dispatchers]
    for _ in range(600):
        if until():
            break
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*runs)
    for channel in channels:
        await channel.close()
    for other in others:
        await other.dispose()


async def queue_two_each(db: Database, telegram: FakeTelegram, chats: list[int]) -> None:
    for chat in chats:
        telegram.text(chat, "xin chào")
    async with db.transaction() as session:
        for chat in chats:
            identity = await ensure_identity(session, "telegram", str(chat))
            for n in range(2):
                enqueue_message(session, identity, Reply(text=f"tin {n}").to_payload())


def too_many_requests(telegram: FakeTelegram) -> int:
    return sum(1 for call in telegram.calls if call["status"] == 429)


async def test_three_replicas_sharing_the_pace_in_redis_never_exceed_the_tokens_limit(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite is for one process: one dispatcher per database file")
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set (CI sets it)")
    chats = [740000 + n for n in range(200)]
    redis = Redis.from_url(REDIS_URL)
    prefix = token_key("telegram", f"{uuid.uuid4()}")
    async with FakeTelegram(rate_limits=True, global_rate=RATE, per_chat_rate=100) as telegram:
        await queue_two_each(db, telegram, chats)
        await run_three(db, telegram,
                        lambda: SharedPacer(redis, prefix, RATE, per_chat_rate=100),
                        lambda: len(telegram.sent) >= 2 * len(chats))
        assert len(telegram.sent) == 2 * len(chats)
        assert too_many_requests(telegram) == 0
    await redis.aclose()


async def test_three_replicas_pacing_alone_earn_429s_from_the_same_limit(db: Database) -> None:
    # The check above can fail: each replica keeping the token's rate alone sends three times it.
    if db.is_sqlite:
        pytest.skip("SQLite is for one process: one dispatcher per database file")
    # A limit low enough that three replicas reach three times it even on a busy machine.
    rate = 20.0
    chats = [750000 + n for n in range(200)]
    async with FakeTelegram(rate_limits=True, global_rate=rate, per_chat_rate=100) as telegram:
        await queue_two_each(db, telegram, chats)
        await run_three(db, telegram, lambda: Pacer(rate, per_chat_rate=100),
                        lambda: too_many_requests(telegram) > 0)
        assert too_many_requests(telegram) > 0
