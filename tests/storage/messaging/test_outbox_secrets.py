"""One-time secrets (invite links, codes to join accounts) leave no copy in the outbox."""

from __future__ import annotations

from sqlalchemy import select

from storage.conversations import ensure_identity
from storage.db import Database
from storage.messaging.outbox import enqueue_message, mark_dead, mark_sent_rows
from storage.models import OutboxMessage


async def test_a_secret_payload_is_emptied_once_sent_or_given_up(db: Database) -> None:
    async with db.transaction() as session:
        identity = await ensure_identity(session, "telegram", "5005")
        rows = [
            enqueue_message(session, identity, {"text": "/start inv-abc", "secret": True}),
            enqueue_message(session, identity, {"text": "/start inv-def", "secret": True}),
            enqueue_message(session, identity, {"text": "Xin chào"}),
        ]
        await session.flush()
        ids = [row.id for row in rows]
    async with db.transaction() as session:
        stored = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
                  ).scalars().all()
        assert stored[0].payload == {"text": "/start inv-abc"} and stored[0].secret
        await mark_sent_rows(session, [ids[0], ids[2]])
        await mark_dead(session, ids[1], error="400 Bad Request")
    async with db.transaction() as session:
        payloads = (await session.execute(
            select(OutboxMessage.payload).order_by(OutboxMessage.id))).scalars().all()
    assert list(payloads) == [{}, {}, {"text": "Xin chào"}]
