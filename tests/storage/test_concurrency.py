"""One person's updates are handled one at a time; many people's at once, on both engines."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from handlers.conversation import ConversationRunner, Outcome
from handlers.turn import HandlerConfig
from handlers.values import Inbound, Kind
from storage.db import Database
from storage.demo import seed_demo
from storage.models import Conversation, InboundEvent, OutboxMessage


def inbound(user: str, n: int, **fields: object) -> Inbound:
    return Inbound(channel="zalo", user_id=user, update_id=f"{user}-{n}", **fields)  # type: ignore[arg-type]


async def test_fifty_people_writing_at_once_are_all_answered(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    runner = ConversationRunner(db, HandlerConfig())
    users = [f"user{n:03d}" for n in range(50)]
    outcomes = await asyncio.gather(
        *(runner.handle(inbound(user, 1, kind=Kind.TEXT, text="Xin chào")) for user in users)
    )
    assert outcomes == [Outcome.HANDLED] * 50
    async with db.transaction() as session:
        rows = list((await session.execute(select(OutboxMessage))).scalars())
    assert len({row.chat_id for row in rows}) == 50


async def test_two_processes_handle_one_persons_updates_one_after_the_other(
    db: Database,
) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    # Two runners over two engines behave like two replicas: only the database serialises them.
    other = Database(db.url)
    first = ConversationRunner(db, HandlerConfig())
    second = ConversationRunner(other, HandlerConfig())
    updates = [inbound("same-person", n, kind=Kind.COMMAND, command="start") for n in range(10)]
    outcomes = await asyncio.gather(
        *((first if n % 2 else second).handle(update) for n, update in enumerate(updates))
    )
    await other.dispose()
    assert outcomes == [Outcome.HANDLED] * 10
    async with db.transaction() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
        events = list((await session.execute(select(InboundEvent))).scalars())
    # Every update bumped the version exactly once: none read a stale row.
    assert conversation.version == 10
    assert len(events) == 10
