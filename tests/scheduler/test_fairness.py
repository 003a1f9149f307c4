"""One person's backlog never holds up another person's messages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.telegram import TelegramChannel
from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from scheduler.dispatcher import Channel, Dispatcher
from scheduler.pacing import Pacer
from storage.db import Database
from storage.models import OutboxMessage
from tests.fakes.telegram import FakeTelegram
from tests.scheduler.test_dispatcher import queue

FLOODER = 640001
NEIGHBOUR = 640002


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.remember_chats([FLOODER, NEIGHBOUR])
        yield fake


async def test_a_neighbour_is_answered_while_one_chat_works_through_its_backlog(
    db: Database, telegram: FakeTelegram
) -> None:
    # 60 replies to one person, queued first; at this per-chat pace at most the first three
    # (the pacer's burst) can leave during the test, the fourth not for 1,000 seconds. The
    # overall pace keeps the dispatcher's hand (50 rows) smaller than the backlog.
    await queue(db, *[f"trả lời {n}" for n in range(60)], chat=FLOODER)
    await queue(db, "Chào bác, đây là phần hướng dẫn.", chat=NEIGHBOUR)
    runner = ConversationRunner(db, HandlerConfig())
    channel = TelegramChannel(telegram.token, runner, api_url=telegram.base_url)
    pacer = Pacer(10, per_chat_rate=0.001)
    dispatcher = Dispatcher(db, {"telegram": Channel(channel, pacer)}, poll_seconds=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    try:
        await telegram.wait_for(NEIGHBOUR, 1, timeout=30)
    finally:
        stop.set()
        async with asyncio.timeout(30):
            await running  # the flooder's next turn, 1,000 s away, does not delay stopping
        await channel.close()
    received = telegram.texts_for(FLOODER)
    assert 1 <= len(received) <= 3
    assert received == [f"trả lời {n}" for n in range(len(received))]
    async with db.transaction() as session:
        statuses = list((await session.execute(
            select(OutboxMessage.status).order_by(OutboxMessage.id))).scalars())
    # What was not sent went back to pending at the stop, ready for the next start.
    sent = len(received)
    assert statuses == ["sent"] * sent + ["pending"] * (60 - sent) + ["sent"]
