"""What the outbox keeps of a message once it has left, and what `/forget` takes out of it.

A row's payload is a copy of what someone read: a petition card names its petitioner, a
dialogue review shows a household's category and questions. Delivery reports need only the
status, the times, the attempts and the broadcast a row belongs to, so after the retention
period the copy goes for everyone; and `/forget` takes a person's data out at once, from rows
sent to them and from rows about them (`OutboxSubject`, recorded when the row was queued),
with an exact-string search for their phone, address and words as a safety net.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, OutboxMessage, OutboxSubject
from storage.models.base import utcnow

FINISHED = ("sent", "failed", "dead", "cancelled")
PURGED: dict[str, Any] = {}
REDACTED = "***"
# Shorter traces would blank out ordinary words in other people's messages.
SAFETY_NET_MIN_LENGTH = 6


async def purge_sent_payloads(
    db: AsyncSession, *, retention: timedelta, now: datetime | None = None
) -> int:
    """Empty the payload of every finished row older than `retention`; how many were emptied.

    Run daily by the scheduler. Status, times, attempts, errors and the broadcast id stay for
    delivery reports; who a row was about goes with its text.
    """
    cutoff = (now or utcnow()) - retention
    old = select(OutboxMessage.id).where(
        OutboxMessage.status.in_(FINISHED),
        OutboxMessage.created_at < cutoff,
        or_(OutboxMessage.sent_at.is_(None), OutboxMessage.sent_at < cutoff),
        cast(OutboxMessage.payload, String) != "{}",
    )
    ids = list((await db.execute(old)).scalars())
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        await db.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(chunk)).values(payload=PURGED)
        )
        await db.execute(delete(OutboxSubject).where(OutboxSubject.outbox_id.in_(chunk)))
    return len(ids)


def redact(value: Any, traces: Iterable[str]) -> Any:
    """`value` (a payload, conversation data) with every trace replaced, at any depth."""
    if isinstance(value, str):
        for trace in traces:
            value = value.replace(trace, REDACTED)
        return value
    if isinstance(value, dict):
        return {key: redact(item, traces) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, traces) for item in value]
    return value


def _json_forms(trace: str) -> list[str]:
    """How a trace can appear in a JSON column's text: as is, or with \\u escapes."""
    escaped = json.dumps(trace)[1:-1]
    return sorted({trace, escaped})


def _mentions(column: Any, traces: list[str]) -> Any:
    text = cast(column, String)
    return or_(*(text.contains(form, autoescape=True)
                 for trace in traces for form in _json_forms(trace)))


async def erase_messages(
    db: AsyncSession, person_id: int, identity_ids: list[int], traces: Iterable[str]
) -> None:
    """For /forget: the person's data leaves every outbox row and conversation that holds it.

    Rows to the person: waiting ones are cancelled; all lose their text (one being sent right
    now leaves from the dispatcher's copy; should it need a retry, an empty "…" goes rather
    than the data again). Rows about
    them to someone else: sent ones lose their text; one still waiting keeps its text with
    their traces blanked, so the staff member still gets the rest of the message. Any other
    row or conversation whose text contains a trace of at least six characters has it blanked.
    """
    every = sorted({trace for trace in traces if trace}, key=len, reverse=True)
    long = [trace for trace in every if len(trace) >= SAFETY_NET_MIN_LENGTH]
    if identity_ids:
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.identity_id.in_(identity_ids),
                   OutboxMessage.status == "pending")
            .values(status="cancelled")
        )
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.identity_id.in_(identity_ids))
            .values(payload=PURGED)
        )
    about = select(OutboxSubject.outbox_id).where(OutboxSubject.person_id == person_id)
    await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(about), OutboxMessage.status.in_(FINISHED))
        .values(payload=PURGED)
    )
    waiting = (await db.execute(select(OutboxMessage).where(
        OutboxMessage.id.in_(about), OutboxMessage.status.not_in(FINISHED)))).scalars().all()
    for row in waiting:
        row.payload = redact(row.payload, every)
    await db.execute(delete(OutboxSubject).where(OutboxSubject.person_id == person_id))
    if not long:
        return
    mentioned = (await db.execute(
        select(OutboxMessage).where(_mentions(OutboxMessage.payload, long)))).scalars().all()
    for row in mentioned:
        row.payload = redact(row.payload, long)
    # Written at once, not through ORM objects: a turn writes its own conversation row as a
    # plain statement too (`storage.conversations.save_conversation`), and the two must land
    # in the order they were made.
    conversations = (await db.execute(
        select(Conversation.id, Conversation.data, Conversation.offered).where(
            or_(_mentions(Conversation.data, long), _mentions(Conversation.offered, long)))
    )).tuples().all()
    for conversation_id, data, offered in conversations:
        await db.execute(update(Conversation).where(Conversation.id == conversation_id)
                         .values(data=redact(data, long), offered=redact(offered, long)))
