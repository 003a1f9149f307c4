"""Several dispatchers on one database share the outbox: every row goes out once, in order."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select

from bot.telegram import TelegramChannel
from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from handlers.values import Reply
from scheduler.dispatcher import Channel, Dispatcher
from scheduler.pacing import Pacer
from storage.conversations import ensure_identity
from storage.db import Database
from storage.messaging.outbox import enqueue_message
from storage.models import OutboxMessage
from tests.fakes.telegram import FakeTelegram

CHATS = [730000 + n for n in range(300)]
PER_CHAT = 4


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
