"""One person flooding the bot: one polite "please slow down", the rest recorded, not handled."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from handlers.conversation import ConversationRunner, Outcome
from handlers.inbound_limit import InboundLimit
from handlers.turn import HandlerConfig
from handlers.values import Inbound, Kind
from storage.db import Database
from storage.models import ChannelIdentity, InboundEvent, OutboxMessage
from tests.chat import Chat
from tests.factories import demo

BURST = 10


async def replies_to(db: Database, user_id: str) -> list[str]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.payload).join(
                ChannelIdentity, ChannelIdentity.id == OutboxMessage.identity_id
            ).where(ChannelIdentity.external_id == user_id).order_by(OutboxMessage.id)
        )
        return [str(payload.get("text", "")) for payload in rows.scalars()]


async def test_a_flood_gets_one_warning_and_the_neighbour_is_still_answered(db: Database) -> None:
    await demo(db)
    runner = ConversationRunner(db, HandlerConfig(), limit=InboundLimit(BURST, burst=BURST))
    flood = [asyncio.ensure_future(runner.handle(Inbound(
        channel="telegram", user_id="5001", update_id=f"f{n}", kind=Kind.TEXT,
        text=f"alo alo {n}"))) for n in range(200)]
    neighbour = asyncio.ensure_future(runner.handle(Inbound(
        channel="telegram", user_id="5002", update_id="n1", kind=Kind.COMMAND, command="help")))
    outcomes = await asyncio.gather(*flood)
    assert outcomes[:BURST] == [Outcome.HANDLED] * BURST
    assert set(outcomes[BURST:]) == {Outcome.LIMITED}
    assert await neighbour == Outcome.HANDLED
    async with db.transaction() as session:
        recorded = await session.scalar(select(func.count()).select_from(InboundEvent))
    assert recorded == 201  # every update is recorded: a redelivery is still recognised
    flooder = await replies_to(db, "5001")
    warnings = [text for text in flooder if "nhanh quá" in text]
    assert len(warnings) == 1 and flooder[-1] == warnings[0]
    assert await replies_to(db, "5002")


async def test_without_a_flood_a_person_writing_steadily_is_never_limited(db: Database) -> None:
    await demo(db)
    runner = ConversationRunner(db, HandlerConfig(), limit=InboundLimit(BURST, burst=BURST))
    chat = Chat(db, user_id="5003", runner=runner)
    for _ in range(BURST):
        await chat.send("/help")
        assert chat.last_outcome == Outcome.HANDLED
