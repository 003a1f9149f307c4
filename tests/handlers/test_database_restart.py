"""PostgreSQL going away in the middle of a turn (a restart, a cut connection): the update is
not apologised for as if its handler had failed; it stays recorded and is handled once the
database is back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql_text

from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from handlers.values import Inbound, Kind
from storage.db import Database
from storage.inbound import sender_key
from storage.models import Conversation, InboundEvent, OutboxMessage
from tests.factories import demo

USER = "9001"


async def test_a_turn_cut_by_the_database_going_away_is_handled_again_not_apologised_for(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("a PostgreSQL server that goes away")
    await demo(db)
    runner = ConversationRunner(db, HandlerConfig())
    holder = Database(db.url)
    try:
        async with holder.engine.connect() as held:
            async with runner.locks.hold(("telegram", USER)):
                (task,) = await runner.accept([Inbound(
                    channel="telegram", user_id=USER, update_id="r1", kind=Kind.COMMAND,
                    command="start")])
                assert task is not None
                # Another replica handles this person: the update waits for them in a
                # transaction of its own, on the lock...
                await held.execute(sql_text("SELECT pg_advisory_lock(:key)"),
                                   {"key": sender_key("telegram", USER)})
                await held.commit()
            # ... when the server ends its connection, as a restart does.
            for _ in range(600):
                cut = await held.scalar(sql_text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND NOT granted"))
                await held.commit()
                if cut:
                    break
                await asyncio.sleep(0.05)
            assert cut == 1
            await held.execute(sql_text("SELECT pg_advisory_unlock_all()"))
            await held.commit()
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver calls it
            await task
    finally:
        await holder.dispose()
    async with db.transaction() as session:
        waiting = (await session.execute(select(InboundEvent.handled_at))).scalars().all()
        queued = (await session.execute(select(OutboxMessage.id))).scalars().all()
    assert waiting == [None]  # still recorded, still to handle
    assert queued == []  # no apology
    # The database is back: the update is taken up again (as `resume_stale` does for a
    # living replica), and handled as if nothing had happened.
    assert await runner.resume_stale(timedelta(0)) == 1
    for _ in range(600):
        async with db.transaction() as session:
            done = (await session.execute(select(InboundEvent.handled_at))).scalar_one()
        if done is not None:
            break
        await asyncio.sleep(0.05)
    await runner.stop(5)
    async with db.transaction() as session:
        turns = (await session.execute(select(Conversation.version))).scalars().all()
        replies = (await session.execute(select(OutboxMessage.id))).scalars().all()
    assert turns == [1]  # the conversation moved on: a turn, not an apology
    assert replies
