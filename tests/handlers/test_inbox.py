"""The inbox: an update is recorded as it arrives and handled afterwards, even after a restart."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy import text as sql_text

from handlers.conversation import ConversationRunner, Outcome
from handlers.inbound_limit import InboundLimit
from handlers.turn import HandlerConfig
from handlers.values import Inbound, Kind
from storage.db import Database
from storage.models import ChannelIdentity, InboundEvent, OutboxMessage
from tests.factories import demo

PHONE = "0912345678"


def text(user_id: str, update_id: str, words: str) -> Inbound:
    return Inbound(channel="telegram", user_id=user_id, update_id=update_id, kind=Kind.TEXT,
                   text=words)


def help_from(user_id: str, update_id: str) -> Inbound:
    return Inbound(channel="telegram", user_id=user_id, update_id=update_id,
                   kind=Kind.COMMAND, command="help")


async def events(db: Database) -> list[InboundEvent]:
    async with db.transaction() as session:
        return list((await session.execute(
            select(InboundEvent).order_by(InboundEvent.id))).scalars())


async def replies_to(db: Database, user_id: str) -> int:
    async with db.transaction() as session:
        rows = await session.execute(select(OutboxMessage.id).join(
            ChannelIdentity, ChannelIdentity.id == OutboxMessage.identity_id,
        ).where(ChannelIdentity.external_id == user_id))
        return len(rows.all())


async def test_accepting_returns_once_recorded_without_waiting_for_the_handling(
    db: Database,
) -> None:
    await demo(db)
    runner = ConversationRunner(db, HandlerConfig())
    # The person's turn is taken (a long handler, say): their update can only be recorded.
    async with runner.locks.hold(("telegram", "7001")):
        (task,) = await runner.accept([help_from("7001", "u1")])
        (event,) = await events(db)
        assert event.handled_at is None and event.payload is not None
        assert task is not None and not task.done()
    assert await task == Outcome.HANDLED
    (event,) = await events(db)
    assert event.handled_at is not None and event.payload is None  # its text is not kept
    assert await replies_to(db, "7001")


async def test_what_was_recorded_before_a_stop_is_handled_once_after_the_restart(
    db: Database,
) -> None:
    await demo(db)
    first = ConversationRunner(db, HandlerConfig())
    async with first.locks.hold(("telegram", "7002")):
        await first.accept([help_from("7002", "u1"), text("7002", "u2", "đèn đường hư")])
        await first.stop(0)  # SIGTERM, or a crash: nothing of theirs was handled
    assert [event.handled_at for event in await events(db)] == [None, None]
    assert await replies_to(db, "7002") == 0

    restarted = ConversationRunner(db, HandlerConfig())
    assert await restarted.resume() == 2
    await restarted.stop(60)
    assert all(event.handled_at is not None for event in await events(db))
    handled_once = await replies_to(db, "7002")
    assert handled_once > 0
    # The platform delivers the same updates again: recognised, not handled twice.
    assert await restarted.accept([help_from("7002", "u1")]) == [None]
    assert await restarted.resume() == 0
    assert await replies_to(db, "7002") == handled_once


async def test_a_flood_past_the_limit_is_recorded_on_arrival_and_never_queued(
    db: Database,
) -> None:
    await demo(db)
    runner = ConversationRunner(db, HandlerConfig(), limit=InboundLimit(5, burst=5))
    tasks = await runner.accept([text("7003", f"f{n}", f"alo {n}") for n in range(100)])
    # Five handled, one told to slow down, the rest only recorded.
    assert sum(task is not None for task in tasks) == 6
    await asyncio.gather(*(task for task in tasks if task is not None))
    recorded = await events(db)
    assert len(recorded) == 100 and all(event.handled_at for event in recorded)
    assert all(event.payload is None for event in recorded)


async def test_an_update_waiting_in_the_inbox_is_encrypted(db: Database) -> None:
    await demo(db)
    runner = ConversationRunner(db, HandlerConfig())
    contact = Inbound(channel="telegram", user_id="7004", update_id="c1", kind=Kind.CONTACT,
                      phone=PHONE, phone_verified=True)
    async with runner.locks.hold(("telegram", "7004")):
        await runner.accept([contact])
        async with db.transaction() as session:
            stored = (await session.execute(sql_text(
                "SELECT payload FROM inbound_events WHERE external_id = 'c1'"))).scalar_one()
    # Read through the model, it is the update; as stored, the phone is not in it.
    (event,) = await events(db)
    assert event.payload is not None and PHONE in event.payload
    assert stored is not None and PHONE not in stored
    await runner.stop(60)
