"""The dispatcher running as in production (`run(stop)` in a task) through a Telegram outage,
a user who blocked the bot, and a 429 with `retry_after`.

The outage is a 60-second storm of 502s replayed ten times faster: it lasts 6 s of wall time,
every backoff delay is a tenth of production's (`backoff_seconds` with base 0.2 s and cap 60 s
instead of 2 s and 10 min; the dispatcher looks the function up at call time, so the test swaps
it without touching the dispatcher) and the send rates are ten times higher. The rows therefore
go through as many failed attempts during the storm as they would in a real one, against the
real `max_attempts`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from bot.telegram import TelegramChannel
from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from handlers.values import Reply
from scheduler import dispatcher as dispatcher_module
from scheduler.dispatcher import Channel, Dispatcher
from scheduler.pacing import Pacer
from storage.conversations import ensure_identity
from storage.db import Database
from storage.messaging.outbox import count_by_status, enqueue_message
from storage.models import ChannelIdentity, OutboxMessage
from tests.fakes.telegram import FakeTelegram

TIME_SCALE = 0.1
STORM_SECONDS = 60 * TIME_SCALE
MAX_ATTEMPTS = 12  # the production default (OUTBOX_MAX_ATTEMPTS)
RATE = 100.0  # messages/s overall (fake and pacer); 1/s per chat
FIRST_CHAT = 730_000


@pytest.fixture
def scaled_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    original = dispatcher_module.backoff_seconds

    def scaled(attempt: int) -> float:
        return original(attempt, base=2.0 * TIME_SCALE, cap=600.0 * TIME_SCALE)

    monkeypatch.setattr(dispatcher_module, "backoff_seconds", scaled)


async def queue(db: Database, messages: dict[int, list[str]]) -> None:
    """Queue `texts` for each chat, in order."""
    async with db.transaction() as session:
        for chat, texts in messages.items():
            identity = await ensure_identity(session, "telegram", str(chat))
            for text in texts:
                enqueue_message(session, identity, Reply(text=text).to_payload())


@asynccontextmanager
async def running_dispatcher(
    db: Database, telegram: FakeTelegram, *, rate: float = RATE, per_chat_rate: float = 1
) -> AsyncIterator[Dispatcher]:
    """A dispatcher paced like the fake's limits, running until the block ends."""
    channel = TelegramChannel(telegram.token, ConversationRunner(db, HandlerConfig()),
                              api_url=telegram.base_url)
    pacer = Pacer(rate, per_chat_rate=per_chat_rate)
    dispatcher = Dispatcher(db, {"telegram": Channel(channel, pacer)}, poll_seconds=0.05,
                            max_attempts=MAX_ATTEMPTS)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        yield dispatcher
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await channel.close()


async def settled(db: Database, done: Callable[[dict[str, int]], bool], *,
                  seconds: float) -> dict[str, int]:
    """Poll the outbox until `done(counts by status)` holds, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        async with db.transaction() as session:
            counts = await count_by_status(session)
        if done(counts) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.1)


async def end_storm_once_retried(db: Database, telegram: FakeTelegram, *, seconds: float,
                                 attempts: int) -> float:
    """End the 502 storm after `seconds`, and not before a row has failed `attempts` times.

    A busy machine makes fewer tries in the same seconds: the storm then lasts longer, so the
    rows always go through several rounds of backoff, as in a real outage. Returns when
    (monotonic clock) the storm ended.
    """
    await asyncio.sleep(seconds)
    # A bound for liveness only (a dispatcher that never retries), generous for a busy machine.
    deadline = time.monotonic() + 120
    while True:
        async with db.transaction() as session:
            tried = max((await session.execute(select(OutboxMessage.attempts))).scalars())
        if tried >= attempts:
            break
        assert time.monotonic() < deadline, f"no row was tried {attempts} times"
        await asyncio.sleep(0.05)
    telegram.fail_for("sendMessage", 502, 0)
    return time.monotonic()


def all_sent(total: int) -> Callable[[dict[str, int]], bool]:
    return lambda counts: counts.get("sent", 0) == total


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(rate_limits=True, global_rate=RATE, per_chat_rate=1) as fake:
        yield fake


async def test_a_sixty_second_outage_ends_with_every_message_delivered_once_and_none_dead(
    db: Database, scaled_backoff: None
) -> None:
    # 300 people with one message each and 10 with three, whose order must survive retries.
    messages = {FIRST_CHAT + n: [f"thông báo {n}"] for n in range(300)}
    messages |= {FIRST_CHAT + 1000 + n: [f"tin {n}.{k}" for k in range(3)] for n in range(10)}
    total = sum(len(texts) for texts in messages.values())
    await queue(db, messages)
    # The rates are sped up like the clock, or pacing the failed attempts would take ten
    # times its real share of the storm and the rows would see fewer retries than in life.
    rate, per_chat_rate = RATE / TIME_SCALE, 1 / TIME_SCALE
    async with FakeTelegram(rate_limits=True, global_rate=rate,
                            per_chat_rate=per_chat_rate) as telegram:
        telegram.remember_chats(messages)
        telegram.fail_for("sendMessage", 502, 10 * STORM_SECONDS)
        async with running_dispatcher(db, telegram, rate=rate, per_chat_rate=per_chat_rate):
            storm_ends = await end_storm_once_retried(db, telegram, seconds=STORM_SECONDS,
                                                      attempts=3)
            counts = await settled(db, all_sent(total), seconds=40)

    assert counts == {"sent": total}, counts  # nothing dead, nothing left behind
    for chat, texts in messages.items():
        assert telegram.texts_for(chat) == texts, chat  # exactly once each, in order
    async with db.transaction() as session:
        attempts = list((await session.execute(select(OutboxMessage.attempts))).scalars())
    assert max(attempts) < MAX_ATTEMPTS
    failed = [call for call in telegram.calls if call["status"] == 502]
    delivered = [call for call in telegram.calls
                 if call["method"] == "sendMessage" and call["status"] == 200]
    # The storm was real: every first try failed, and nothing got through before it passed.
    assert len(failed) >= len(messages)
    assert min(call["time"] for call in delivered) >= storm_ends - 0.01
    assert telegram.rate_limited_count == 0 and telegram.violations == []


async def test_a_blocked_user_is_marked_unreachable_and_skipped_while_others_get_theirs(
    db: Database, telegram: FakeTelegram
) -> None:
    blocked = FIRST_CHAT + 7
    messages = {FIRST_CHAT + n: [f"thông báo {n}", f"nhắc lại {n}"] for n in range(40)}
    telegram.remember_chats(messages)
    telegram.block(blocked)
    await queue(db, messages)
    others = sum(len(texts) for chat, texts in messages.items() if chat != blocked)

    async with running_dispatcher(db, telegram):
        counts = await settled(
            db, lambda c: c.get("sent", 0) == others and c.get("failed", 0) == 2, seconds=30
        )

    assert counts == {"sent": others, "failed": 2}
    async with db.transaction() as session:
        identity = (
            await session.execute(
                select(ChannelIdentity).where(ChannelIdentity.external_id == str(blocked))
            )
        ).scalar_one()
        errors = set(
            (
                await session.execute(
                    select(OutboxMessage.last_error).where(
                        OutboxMessage.identity_id == identity.id
                    )
                )
            ).scalars()
        )
    assert identity.unreachable_at is not None
    assert errors == {"Forbidden: bot was blocked by the user"}
    # One refused send taught the dispatcher; the second message was not even tried.
    tried = [c for c in telegram.calls if c["params"].get("chat_id") == blocked]
    assert [c["status"] for c in tried] == [403]
    for chat, texts in messages.items():
        assert telegram.texts_for(chat) == ([] if chat == blocked else texts)


async def test_retry_after_on_429_is_obeyed_before_that_chat_is_written_again(
    db: Database, telegram: FakeTelegram
) -> None:
    messages = {FIRST_CHAT + n: [f"thông báo {n}"] for n in range(60)}
    telegram.remember_chats(messages)
    await queue(db, messages)
    telegram.fail_next("sendMessage", 429, retry_after=2)

    async with running_dispatcher(db, telegram):
        counts = await settled(db, all_sent(len(messages)), seconds=30)

    assert counts == {"sent": len(messages)}
    assert telegram.rate_limited_count == 1
    assert telegram.retry_window_violations == 0
    refused = next(c for c in telegram.calls if c["status"] == 429)
    chat = refused["params"]["chat_id"]
    retried = [c for c in telegram.calls if c["params"].get("chat_id") == chat
               and c["status"] == 200]
    assert len(retried) == 1 and retried[0]["time"] >= refused["time"] + 2
    for chat_id, texts in messages.items():
        assert telegram.texts_for(chat_id) == texts
