"""The outbox dispatcher against the fake Telegram server: order, retries, blocked chats, leases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.telegram import TelegramChannel
from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from handlers.values import Reply
from scheduler.dispatcher import Channel, Dispatcher
from scheduler.pacing import Pacer
from storage.conversations import ensure_identity
from storage.db import Database
from storage.messaging.outbox import claim_due_rows, enqueue_message
from storage.models import ChannelIdentity, OutboxMessage
from storage.models.base import utcnow
from tests.fakes.telegram import FakeTelegram

CHAT = 620001


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.text(CHAT, "xin chào")  # the bot may only write to people who wrote first
        yield fake


async def queue(db: Database, *texts: str, chat: int = CHAT) -> None:
    async with db.transaction() as session:
        identity = await ensure_identity(session, "telegram", str(chat))
        for text in texts:
            enqueue_message(session, identity, Reply(text=text).to_payload())


def dispatcher_for(db: Database, telegram: FakeTelegram) -> tuple[Dispatcher, TelegramChannel]:
    runner = ConversationRunner(db, HandlerConfig())
    channel = TelegramChannel(telegram.token, runner, api_url=telegram.base_url)
    pacer = Pacer(1000, per_chat_rate=100)
    return Dispatcher(db, {"telegram": Channel(channel, pacer)}, max_attempts=3), channel


async def drain(dispatcher: Dispatcher, *, rounds: int = 20) -> None:
    for _ in range(rounds):
        await dispatcher.dispatch_once()


async def due_now(db: Database) -> None:
    """Skip the backoff wait, as if its time had come."""
    async with db.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(not_before=utcnow() - timedelta(seconds=1))
        )


async def statuses(db: Database) -> list[str]:
    async with db.transaction() as session:
        query = select(OutboxMessage.status).order_by(OutboxMessage.id)
        return list((await session.execute(query)).scalars())


async def test_messages_to_one_person_arrive_in_order(db: Database,
                                                      telegram: FakeTelegram) -> None:
    await queue(db, *[f"tin {n}" for n in range(1, 8)])
    dispatcher, channel = dispatcher_for(db, telegram)
    await drain(dispatcher)
    await channel.close()
    assert telegram.texts_for(CHAT) == [f"tin {n}" for n in range(1, 8)]
    assert await statuses(db) == ["sent"] * 7


async def test_a_server_error_is_retried_and_later_messages_wait(db: Database,
                                                                telegram: FakeTelegram) -> None:
    await queue(db, "một", "hai")
    telegram.fail_next("sendMessage", 502)
    dispatcher, channel = dispatcher_for(db, telegram)
    await dispatcher.dispatch_once()
    assert telegram.texts_for(CHAT) == []
    assert await statuses(db) == ["pending", "pending"]
    await due_now(db)
    await drain(dispatcher)
    await channel.close()
    assert telegram.texts_for(CHAT) == ["một", "hai"]


async def test_retry_after_is_obeyed(db: Database, telegram: FakeTelegram) -> None:
    await queue(db, "một")
    telegram.fail_next("sendMessage", 429, retry_after=30)
    dispatcher, channel = dispatcher_for(db, telegram)
    await drain(dispatcher, rounds=5)
    async with db.transaction() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
    await channel.close()
    assert row.status == "pending"
    assert row.not_before > utcnow() + timedelta(seconds=25)
    assert telegram.retry_window_violations == 0


async def test_a_blocked_chat_marks_the_person_unreachable(db: Database,
                                                           telegram: FakeTelegram) -> None:
    await queue(db, "một")
    telegram.block(CHAT)
    dispatcher, channel = dispatcher_for(db, telegram)
    await drain(dispatcher, rounds=3)
    await channel.close()
    async with db.transaction() as session:
        identity = (await session.execute(select(ChannelIdentity))).scalar_one()
    assert await statuses(db) == ["failed"]
    assert identity.unreachable_at is not None


async def test_a_message_that_keeps_failing_ends_dead_with_its_reason(
    db: Database, telegram: FakeTelegram
) -> None:
    await queue(db, "một")
    telegram.fail_next("sendMessage", 500, times=10)
    dispatcher, channel = dispatcher_for(db, telegram)
    for _ in range(4):
        await dispatcher.dispatch_once()
        await due_now(db)
    await channel.close()
    async with db.transaction() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
    assert row.status == "dead" and row.last_error and "gave up" in row.last_error


async def test_a_lease_left_by_a_crashed_dispatcher_returns_the_row(db: Database,
                                                                   telegram: FakeTelegram) -> None:
    await queue(db, "một")
    async with db.transaction() as session:
        claimed = await claim_due_rows(session, lease_seconds=60)
    assert len(claimed) == 1
    # The dispatcher died here. Until the lease runs out, nobody else takes the row...
    async with db.transaction() as session:
        assert await claim_due_rows(session) == []
    # ...and after it, the row is due again.
    async with db.transaction() as session:
        later = await claim_due_rows(session, now=utcnow() + timedelta(seconds=61))
    assert [row.id for row in later] == [claimed[0].id]


async def test_long_texts_are_split_never_cut(db: Database, telegram: FakeTelegram) -> None:
    text = "\n".join(f"Dòng {n}: đường làng ấp Tân Dân bị hỏng <>&" for n in range(400))
    await queue(db, text)
    dispatcher, channel = dispatcher_for(db, telegram)
    await drain(dispatcher, rounds=3)
    await channel.close()
    received = telegram.texts_for(CHAT)
    assert len(received) > 1
    assert "\n".join(received).split() == text.split()
    assert telegram.violations == []


async def test_a_send_booked_before_a_429_waits_for_the_pause_instead_of_adding_to_it(
    db: Database,
) -> None:
    # The platform allows one message every four seconds overall; the bot paces at one a
    # second, so its second send earns a 429 (retry after 3 s) and its third, booked before
    # that answer, falls inside the retry window unless it books again behind the pause. The
    # bot has a second to read the 429, however busy the machine.
    chats = [CHAT + n for n in range(3)]
    async with FakeTelegram(rate_limits=True, global_rate=0.25) as telegram:
        for chat in chats:
            telegram.text(chat, "xin chào")
            await queue(db, f"tin {chat}", chat=chat)
        runner = ConversationRunner(db, HandlerConfig())
        channel = TelegramChannel(telegram.token, runner, api_url=telegram.base_url)
        pacer = Pacer(1, per_chat_rate=100, burst=1)
        dispatcher = Dispatcher(db, {"telegram": Channel(channel, pacer)}, max_attempts=3)
        await dispatcher.dispatch_once()
        await channel.close()
    assert telegram.rate_limited_count >= 1
    assert telegram.retry_window_violations == 0
    assert len(telegram.sent) >= 2
