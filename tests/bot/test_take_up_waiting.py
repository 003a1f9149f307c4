"""A replica starting on PostgreSQL takes up what was left waiting: everything when it is
alone, and beside living replicas only what waited long (the rest is in their hands)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import take_up_waiting
from handlers.conversation import ConversationRunner, Outcome
from handlers.turn import HandlerConfig
from handlers.values import Inbound, Kind
from storage.db import Database
from storage.models import InboundEvent
from tests.factories import demo

STALE = timedelta(seconds=30)


def start(user_id: str, update_id: str) -> Inbound:
    return Inbound(channel="telegram", user_id=user_id, update_id=update_id,
                   kind=Kind.COMMAND, command="start")


async def test_a_replica_started_beside_a_living_one_leaves_its_fresh_updates_to_it(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite serves one process")
    await demo(db)
    living_db = Database(db.url, replica=True)
    living = ConversationRunner(living_db, HandlerConfig())
    started = Database(db.url, replica=True)
    newcomer = ConversationRunner(started, HandlerConfig())
    try:
        # The living replica recorded an update and is about to handle it (it is busy with
        # this person a moment longer) when another replica starts.
        async with living.locks.hold(("telegram", "8101")):
            (task,) = await living.accept([start("8101", "u1")])
            assert await take_up_waiting(started, newcomer, STALE) == 0
        assert task is not None and await task == Outcome.HANDLED
    finally:
        await newcomer.stop(5)
        await started.dispose()
        await living_db.dispose()


async def test_a_replica_started_alone_takes_up_everything_left_waiting(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite serves one process")
    await demo(db)
    dead = Database(db.url, replica=True)
    runner = ConversationRunner(dead, HandlerConfig())
    async with runner.locks.hold(("telegram", "8102")):
        await runner.accept([start("8102", "u2")])
        # The process dies with it unhandled: nothing of it runs, its connections close.
        await runner.stop(0)
    await dead.dispose()
    restarted = Database(db.url, replica=True)
    alone = ConversationRunner(restarted, HandlerConfig())
    # A command line tool (here the test's own connection) is no replica: it holds no update.
    async with db.engine.connect() as tool:
        await tool.execute(select(1))
        assert await take_up_waiting(restarted, alone, STALE) == 1
    for _ in range(600):
        async with db.transaction() as session:
            handled = (await session.execute(select(InboundEvent.handled_at))).scalar_one()
        if handled is not None:
            break
        await asyncio.sleep(0.05)
    await alone.stop(5)
    await restarted.dispose()
    assert handled is not None
