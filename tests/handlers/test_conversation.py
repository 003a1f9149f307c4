"""Many people's updates at once: each commits on its own terms, one person's stay in order."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from handlers.conversation import ConversationRunner, Outcome
from handlers.registry import COMMANDS
from handlers.turn import HandlerConfig, Turn
from handlers.values import Inbound, Kind
from storage.db import Database
from storage.demo import seed_demo
from storage.models import ChannelIdentity, Conversation, InboundEvent, OutboxMessage


def command(user: str, update: str, name: str) -> Inbound:
    return Inbound(channel="zalo", user_id=user, update_id=update, kind=Kind.COMMAND,
                   command=name)


async def outbox_texts(db: Database) -> dict[str, list[str]]:
    async with db.transaction() as session:
        rows = (await session.execute(
            select(ChannelIdentity.external_id, OutboxMessage.payload)
            .join(ChannelIdentity, ChannelIdentity.id == OutboxMessage.identity_id)
            .order_by(OutboxMessage.id)
        )).all()
    texts: dict[str, list[str]] = {}
    for user, payload in rows:
        texts.setdefault(user, []).append(str(payload.get("text", "")))
    return texts


async def test_a_failing_handler_rolls_back_only_its_own_update_among_many_at_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.transaction() as session:
        await seed_demo(session)

    async def changes_then_fails(turn: Turn) -> None:
        turn.go("broken", "half-way")
        turn.say("never sent")
        raise RuntimeError("a bug in a handler")

    # /help works before consent, so the failing handler is reached by someone new.
    monkeypatch.setitem(COMMANDS, "help", changes_then_fails)
    runner = ConversationRunner(db, HandlerConfig(default_locale="en"))
    updates = [command(f"user{n}", f"u{n}", "help" if n == 3 else "start") for n in range(8)]
    outcomes = await asyncio.gather(*(runner.handle(update) for update in updates))

    assert outcomes == [Outcome.FAILED if n == 3 else Outcome.HANDLED for n in range(8)]
    texts = await outbox_texts(db)
    assert texts["user3"] == [
        "Sorry, something went wrong on our side and nothing was changed. "
        "Please try again, or type /menu."
    ]
    assert all(texts[f"user{n}"] for n in range(8) if n != 3)
    async with db.transaction() as session:
        flows = dict((await session.execute(
            select(ChannelIdentity.external_id, Conversation.flow)
            .join(Conversation, Conversation.identity_id == ChannelIdentity.id)
        )).all())
        recorded = set((await session.execute(select(InboundEvent.external_id))).scalars())
    assert flows.get("user3") is None
    assert all(flows[f"user{n}"] == "onboarding" for n in range(8) if n != 3)
    # The failed update is recorded too: a redelivery would not fail again and again.
    assert recorded == {f"u{n}" for n in range(8)}


async def test_one_persons_updates_sent_at_once_are_handled_in_the_order_they_came(
    db: Database,
) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    runner = ConversationRunner(db, HandlerConfig(default_locale="en"))
    script = [
        Inbound(channel="zalo", user_id="an", update_id="a1", kind=Kind.COMMAND, command="start"),
        Inbound(channel="zalo", user_id="an", update_id="a2", kind=Kind.CHOICE,
                choice="consent:yes"),
        Inbound(channel="zalo", user_id="an", update_id="a3", kind=Kind.TEXT, text="2"),
    ]
    others = [command(f"other{n}", f"o{n}", "start") for n in range(10)]
    outcomes = await asyncio.gather(
        *(runner.handle(update) for pair in zip(script, others, strict=False) for update in pair),
        *(runner.handle(update) for update in others[len(script):]),
    )

    assert set(outcomes) == {Outcome.HANDLED}
    async with db.transaction() as session:
        conversation = (await session.execute(
            select(Conversation)
            .join(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
            .where(ChannelIdentity.external_id == "an")
        )).scalar_one()
    # Consent was taken before the hamlet was typed: the person is now asked their name.
    assert (conversation.flow, conversation.step, conversation.version) == (
        "onboarding", "name", 3
    )


async def test_an_update_delivered_twice_at_once_is_handled_once(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    runner = ConversationRunner(db, HandlerConfig())
    update = command("twice", "t1", "start")
    outcomes = await asyncio.gather(runner.handle(update), runner.handle(update))

    assert sorted(outcomes) == [Outcome.DUPLICATE, Outcome.HANDLED]
    async with db.transaction() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.version == 1


async def test_arrivals_are_recorded_between_turns_of_a_long_group_not_after_it(
    sqlite_db: Database,
) -> None:
    """On SQLite's one write lock, recording what just arrived is what lets the platform send
    the next batch: a group of other people's turns commits early to let it in."""
    async with sqlite_db.transaction() as session:
        await seed_demo(session)
    runner = ConversationRunner(sqlite_db, HandlerConfig())
    turns = [asyncio.create_task(runner.handle(command(f"p{n}", f"turn-{n}", "help")))
             for n in range(30)]
    for _ in range(3):
        await asyncio.sleep(0)  # the group starts its first turns
    arrived = await runner.accept([command("newcomer", "arrival", "help")])
    outcomes = await asyncio.gather(*turns, *(task for task in arrived if task))
    assert outcomes == [Outcome.HANDLED] * 31
    async with sqlite_db.transaction() as session:
        ids = dict((await session.execute(
            select(InboundEvent.external_id, InboundEvent.id))).tuples().all())
    later_turns = [n for n in range(30) if ids[f"turn-{n}"] > ids["arrival"]]
    assert later_turns, "the arrival waited for the whole group"
    assert len(later_turns) < 30, "the arrival went before the group started"
    texts = await outbox_texts(sqlite_db)
    assert all(len(texts[f"p{n}"]) >= 1 for n in range(30)) and texts["newcomer"]


async def test_a_change_that_fails_only_when_written_is_blamed_on_its_own_update(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group writes its turns' changes late: a bad row surfaces in a later person's turn,
    or at the commit, and still only its own update fails."""
    async with db.transaction() as session:
        await seed_demo(session)

    async def adds_a_duplicate(turn: Turn) -> None:
        turn.db.add(ChannelIdentity(channel=turn.inbound.channel, external_id="user0",
                                    created_at=turn.now))
        turn.say("never sent")

    monkeypatch.setitem(COMMANDS, "help", adds_a_duplicate)
    runner = ConversationRunner(db, HandlerConfig(default_locale="en"))
    updates = [command(f"user{n}", f"u{n}", "help" if n == 3 else "start") for n in range(8)]
    first = await runner.handle(updates[0])  # user0 exists before the others come
    outcomes = await asyncio.gather(*(runner.handle(update) for update in updates[1:]))

    assert [first, *outcomes] == [Outcome.FAILED if n == 3 else Outcome.HANDLED
                                  for n in range(8)]
    texts = await outbox_texts(db)
    assert texts["user3"] == [
        "Sorry, something went wrong on our side and nothing was changed. "
        "Please try again, or type /menu."
    ]
    assert all(texts[f"user{n}"] for n in range(8) if n != 3)
