"""Several replicas on one PostgreSQL: one person's updates are handled in the order they were
recorded, whichever replica recorded each, and what a dead replica left waiting is taken over.

Each replica is a `ConversationRunner` with a `Database` (a connection pool) of its own, as in
separate processes. A replica "busy" with a person holds its in-process lock for them: their
update is recorded and waits, as it would behind a slow handler or a dead process.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql_text

from handlers.conversation import ConversationRunner, Outcome
from handlers.turn import HandlerConfig
from handlers.values import Inbound, Kind
from storage.db import Database
from storage.inbound import Arrival, earlier_arrivals, record_arrivals, take_arrival
from storage.models import ChannelIdentity, Conversation, InboundEvent
from tests.factories import demo


def start(user_id: str, update_id: str) -> Inbound:
    return Inbound(channel="telegram", user_id=user_id, update_id=update_id,
                   kind=Kind.COMMAND, command="start")


def agree(user_id: str, update_id: str) -> Inbound:
    return Inbound(channel="telegram", user_id=user_id, update_id=update_id,
                   kind=Kind.CHOICE, choice="consent:yes")


def help_from(user_id: str, update_id: str) -> Inbound:
    return Inbound(channel="telegram", user_id=user_id, update_id=update_id,
                   kind=Kind.COMMAND, command="help")


@pytest.fixture
async def replicas(db: Database) -> AsyncIterator[tuple[Database, Database]]:
    if db.is_sqlite:
        pytest.skip("SQLite serves one process")
    await demo(db)
    other = Database(db.url)
    yield db, other
    await other.dispose()


async def waiting(db: Database) -> list[InboundEvent]:
    async with db.transaction() as session:
        return list((await session.execute(
            select(InboundEvent).order_by(InboundEvent.id))).scalars())


async def flow_of(db: Database, user_id: str) -> tuple[str | None, str | None]:
    async with db.transaction() as session:
        conversation = (await session.execute(
            select(Conversation).join(ChannelIdentity)
            .where(ChannelIdentity.external_id == user_id))).scalar_one()
        return conversation.flow, conversation.step


async def test_a_later_update_on_another_replica_waits_for_the_earlier_one(
    replicas: tuple[Database, Database],
) -> None:
    first_db, second_db = replicas
    first = ConversationRunner(first_db, HandlerConfig())
    second = ConversationRunner(second_db, HandlerConfig())
    # /start reaches the first replica, which is busy with this person; the consent press,
    # sent right after, reaches the second.
    async with first.locks.hold(("telegram", "8001")):
        (started,) = await first.accept([start("8001", "s1")])
        (agreed,) = await second.accept([agree("8001", "s2")])
        assert agreed is not None and await agreed == Outcome.HANDLED
        # The second replica handled /start first: the press found the consent question.
        assert await flow_of(second_db, "8001") == ("onboarding", "hamlet")
    assert started is not None and await started == Outcome.DUPLICATE
    assert all(event.handled_at is not None for event in await waiting(first_db))


async def test_an_update_is_not_taken_while_an_earlier_one_of_the_person_waits(
    replicas: tuple[Database, Database],
) -> None:
    db, _other = replicas

    def arrival(inbound: Inbound) -> Arrival:
        return Arrival(inbound.channel, inbound.update_id, str(inbound.kind),
                       {"user_id": inbound.user_id, "update_id": inbound.update_id})

    async with db.transaction() as session:
        earlier, later, someone_else = await record_arrivals(session, [
            arrival(start("8002", "a1")), arrival(agree("8002", "a2")),
            arrival(start("8003", "b1"))])
    assert earlier and later and someone_else
    async with db.transaction() as session:
        assert not await take_arrival(session, later)
        assert [row_id for row_id, _ in await earlier_arrivals(session, later)] == [earlier]
        assert await take_arrival(session, someone_else)  # another person is not held up
        assert await take_arrival(session, earlier)
        assert await take_arrival(session, later)
        assert not await take_arrival(session, later)  # once


async def test_updates_spread_over_two_replicas_are_handled_in_recorded_order(
    replicas: tuple[Database, Database],
) -> None:
    first_db, second_db = replicas
    runners = [ConversationRunner(first_db, HandlerConfig()),
               ConversationRunner(second_db, HandlerConfig())]
    chance = random.Random(16)
    people = [str(8100 + index) for index in range(12)]
    tasks: list[asyncio.Task[Outcome]] = []

    async def send(user_id: str) -> None:
        for number in range(6):
            runner = chance.choice(runners)
            (task,) = await runner.accept([help_from(user_id, f"{user_id}-{number}")])
            assert task is not None
            tasks.append(task)
            await asyncio.sleep(0)

    await asyncio.gather(*(send(user_id) for user_id in people))
    outcomes = await asyncio.gather(*tasks)
    # Handled where it arrived, or by the other replica before a later one (then "duplicate"
    # where it arrived); never failed.
    assert set(outcomes) <= {Outcome.HANDLED, Outcome.DUPLICATE}
    events = await waiting(first_db)
    assert all(event.handled_at is not None for event in events)
    for user_id in people:
        mine = sorted((event for event in events if event.external_id.startswith(user_id)),
                      key=lambda event: event.id)
        handled = [event.handled_at for event in mine]
        assert handled == sorted(handled), user_id  # type: ignore[type-var]


async def test_what_a_dead_replica_left_waiting_is_taken_over_by_one_living_replica(
    replicas: tuple[Database, Database],
) -> None:
    first_db, second_db = replicas
    dead = ConversationRunner(first_db, HandlerConfig())
    async with dead.locks.hold(("telegram", "8004")):
        await dead.accept([start("8004", "d1"), agree("8004", "d2")])
        await dead.stop(0)
    living = [ConversationRunner(first_db, HandlerConfig()),
              ConversationRunner(second_db, HandlerConfig())]
    # Not stale yet: left alone (its replica may only be slow).
    assert await living[0].resume_stale(timedelta(minutes=5)) == 0
    async with first_db.transaction() as session:
        await session.execute(sql_text(
            "UPDATE inbound_events SET received_at = received_at - interval '10 minutes'"))
    taken = await asyncio.gather(*(runner.resume_stale(timedelta(minutes=5))
                                   for runner in living))
    assert sorted(taken) == [0, 2]  # claimed by one of them, not both
    for runner in living:
        await runner.stop(60)
    assert all(event.handled_at is not None for event in await waiting(first_db))
    assert await flow_of(first_db, "8004") == ("onboarding", "hamlet")


async def test_one_process_on_sqlite_takes_nothing_over(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("the SQLite case")
    await demo(db)
    runner = ConversationRunner(db, HandlerConfig())
    async with runner.locks.hold(("telegram", "8005")):
        await runner.accept([start("8005", "e1")])
        assert await runner.resume_stale(timedelta(0)) == 0
    await runner.stop(60)
    assert all(event.handled_at is not None for event in await waiting(db))
