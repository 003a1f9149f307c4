"""Claiming outbox rows: each recipient's messages leave in order, even across dispatchers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.values import Reply
from storage.conversations import ensure_identity
from storage.db import Database
from storage.messaging.outbox import (
    REPLY,
    ROUTINE,
    URGENT,
    claim_due_rows,
    enqueue_message,
    postpone_row,
)
from storage.models.base import utcnow


async def queue(db: Database, chat: str, *texts: str, priority: int = REPLY) -> None:
    async with db.transaction() as session:
        identity = await ensure_identity(session, "telegram", chat)
        for text in texts:
            enqueue_message(session, identity, Reply(text=text).to_payload(), priority=priority)


def texts(rows: list) -> list[str]:  # type: ignore[type-arg]
    return [row.payload["text"] for row in rows]


async def test_a_second_dispatcher_never_overtakes_a_row_another_has_just_locked(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("one dispatcher per SQLite file")
    await queue(db, "1", "tin 0", "tin 1")
    other = Database(db.url)
    try:
        async with db.transaction() as first:
            mine = await claim_due_rows(first, limit=1)
            assert texts(mine) == ["tin 0"]
            # The first claim is not committed yet: the second sees "tin 0" as plain pending.
            async with other.transaction() as second:
                assert texts(await claim_due_rows(second)) == []
        async with other.transaction() as second:
            assert texts(await claim_due_rows(second)) == []  # "tin 0" is leased now
    finally:
        await other.dispose()


async def test_one_dispatcher_claims_a_recipients_rows_together_in_order(db: Database) -> None:
    await queue(db, "1", "tin 0", "tin 1", "tin 2")
    async with db.transaction() as session:
        assert texts(await claim_due_rows(session)) == ["tin 0", "tin 1", "tin 2"]


async def test_a_row_waits_behind_an_earlier_one_that_is_not_due(db: Database) -> None:
    await queue(db, "1", "tin 0")
    async with db.transaction() as session:
        (first,) = await claim_due_rows(session)
        await postpone_row(session, first.id, until=utcnow() + timedelta(minutes=5),
                           error="retry later")
    await queue(db, "1", "tin 1")
    async with db.transaction() as session:
        assert texts(await claim_due_rows(session)) == []


async def test_a_reply_overtakes_a_broadcast_queued_before_it(db: Database) -> None:
    await queue(db, "1", "thông báo", priority=ROUTINE)
    await queue(db, "1", "trả lời")
    await queue(db, "1", "cảnh báo lũ", priority=URGENT)
    async with db.transaction() as session:
        assert texts(await claim_due_rows(session)) == ["cảnh báo lũ", "trả lời", "thông báo"]
