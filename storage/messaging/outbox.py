"""The outbox: queueing messages and the dispatcher's claim / settle operations."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.db import insert_ignoring_conflicts
from storage.models import ChannelIdentity, OutboxMessage, OutboxSubject
from storage.models.base import utcnow

# Lower goes first. A reply to someone who is chatting overtakes routine announcements, so a
# 10,000-person broadcast never makes a citizen wait minutes for the bot's answer.
URGENT = 1
REPLY = 3
ROUTINE = 5


def enqueue_message(
    db: AsyncSession,
    identity: ChannelIdentity,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    priority: int = REPLY,
    not_before: datetime | None = None,
    about: Iterable[int | None] = (),
) -> OutboxMessage:
    """Queue one message for one identity; it leaves when the transaction commits.

    A payload with `"secret": True` (an invite link, a code) is emptied once settled.
    `about`: the people whose data the message shows (a petition card names its petitioner),
    so that `/forget` finds this copy although it went to someone else.
    """
    row = OutboxMessage(**_new_row(identity, payload, dedupe_key, priority, not_before))
    row.subjects = [OutboxSubject(person_id=person_id) for person_id in _people(about)]
    db.add(row)
    return row


@dataclass(frozen=True)
class Queued:
    """A message to queue with `queue_messages`: its payload and the people it is about."""

    payload: dict[str, Any]
    about: Iterable[int | None] = ()


@cache
def _insert_statement(returning: bool) -> Any:
    outbox = cast(Table, OutboxMessage.__table__)
    statement = insert(outbox)
    return statement.returning(outbox.c.id) if returning else statement


async def queue_messages(db: AsyncSession, identity: ChannelIdentity,
                         messages: Iterable[Queued], *, priority: int = REPLY) -> None:
    """Queue messages for one identity, in order, as `enqueue_message` would, written at once.

    For the replies of every handled update: plain statements on the connection, without the
    ORM's unit of work around each row (it cost more than the insert) and without flushing
    what else the transaction changed. Messages queued earlier through `enqueue_message` and
    not yet written go first, so that one recipient's messages keep their order.
    """
    rows = [(_new_row(identity, message.payload, None, priority, None), _people(message.about))
            for message in messages]
    if not rows:
        return
    if any(isinstance(pending, OutboxMessage) for pending in db.new):
        await db.flush()
    connection = await db.connection()
    if not any(people for _row, people in rows):
        await connection.execute(_insert_statement(False), [row for row, _people in rows])
        return
    for row, people in rows:
        row_id = (await connection.execute(_insert_statement(True), row)).scalar_one()
        if people:
            await connection.execute(_subjects_statement(), [
                {"outbox_id": row_id, "person_id": person_id} for person_id in people])


@cache
def _subjects_statement() -> Any:
    return insert(cast(Table, OutboxSubject.__table__))


def _people(about: Iterable[int | None]) -> list[int]:
    return sorted({person_id for person_id in about if person_id is not None})


def _new_row(
    identity: ChannelIdentity, payload: dict[str, Any], dedupe_key: str | None, priority: int,
    not_before: datetime | None,
) -> dict[str, Any]:
    return {
        "identity_id": identity.id,
        "channel": identity.channel,
        "chat_id": identity.external_id,
        "payload": {key: value for key, value in payload.items() if key != "secret"},
        "secret": bool(payload.get("secret")),
        "dedupe_key": dedupe_key,
        "priority": priority,
        "not_before": not_before or utcnow(),
        "status": "pending",
        "attempts": 0,
        "created_at": utcnow(),
    }


async def enqueue_once(
    db: AsyncSession,
    identity: ChannelIdentity,
    payload: dict[str, Any],
    *,
    dedupe_key: str,
    priority: int = ROUTINE,
    not_before: datetime | None = None,
    about: Iterable[int | None] = (),
) -> bool:
    """Queue a message unless one with this key was ever queued; False if it was.

    For notices that two replicas or a restart could both try to send (a daily reminder):
    the unique key decides, so the loser's transaction still commits. `about` as in
    `enqueue_message`.
    """
    statement = insert_ignoring_conflicts(
        db, OutboxMessage, **_new_row(identity, payload, dedupe_key, priority, not_before)
    )
    people = _people(about)
    if not people:
        result = await db.execute(statement)
        return bool(getattr(result, "rowcount", 0))
    row_id = (await db.execute(statement.returning(OutboxMessage.id))).scalar_one_or_none()
    if row_id is None:
        return False
    db.add_all(OutboxSubject(outbox_id=row_id, person_id=person_id) for person_id in people)
    return True


def _claimable(now: Any) -> Any:
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.not_before <= now),
        # A lease that ran out means its dispatcher died: the row is due again.
        and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
    )


@cache
def _claim_statement() -> Any:
    """Due rows in claim order, none held back by an earlier row of the same recipient.

    Built once: the dispatcher claims many times a second in a burst, and building this
    statement cost more than running it.
    """
    now = bindparam("now", type_=OutboxMessage.not_before.type)
    earlier = aliased(OutboxMessage)
    held_back = exists().where(
        earlier.identity_id == OutboxMessage.identity_id,
        earlier.id < OutboxMessage.id,
        earlier.priority <= OutboxMessage.priority,
        or_(
            and_(earlier.status == "pending", earlier.not_before > now),
            and_(earlier.status == "sending", earlier.lease_until >= now),
        ),
    )
    return (
        select(OutboxMessage.id, OutboxMessage.identity_id, OutboxMessage.channel,
               OutboxMessage.chat_id, OutboxMessage.payload, OutboxMessage.attempts,
               OutboxMessage.priority)
        .where(_claimable(now), ~held_back)
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(bindparam("wanted"))
        .with_for_update(skip_locked=True)
    )


@dataclass(frozen=True)
class ClaimedRow:
    """An outbox row leased to be sent: what the dispatcher needs, without the ORM's object
    (a claim reads hundreds of rows many times a second in a burst)."""

    id: int
    identity_id: int
    channel: str
    chat_id: str
    payload: dict[str, Any]
    attempts: int  # counting this one
    priority: int


async def claim_due_rows(
    db: AsyncSession, *, now: datetime | None = None, limit: int = 100, lease_seconds: int = 60,
    per_recipient: int | None = None,
) -> list[ClaimedRow]:
    """Lease due rows, urgent first, keeping each recipient's messages in order.

    Order holds among rows of the same priority (an urgent warning may overtake a routine
    announcement): a row waits while an earlier row for the same recipient is held back (not
    yet due, or leased by another dispatcher), so a user never reads message 3 before 2.

    `per_recipient` caps the rows one recipient gets in this claim: a person with hundreds of
    messages waiting (paced at about one a second) takes a few places, not the whole claim, and
    while those are leased the rest of their backlog is held back, so other people's messages
    are claimed beside them instead of behind them.
    """
    now = now or utcnow()
    # Room for the rows a per-recipient cap leaves out; they stay pending, untouched.
    wanted = limit if per_recipient is None else limit * 4
    connection = await db.connection()
    result = await connection.execute(_claim_statement(), {"now": now, "wanted": wanted})
    candidates = [ClaimedRow(row_id, identity_id, channel, chat_id, payload, attempts + 1,
                             priority)
                  for row_id, identity_id, channel, chat_id, payload, attempts, priority
                  in result.tuples()]
    if per_recipient is not None:
        candidates = _cap_per_recipient(candidates, per_recipient)[:limit]
    rows = await _drop_overtaking_rows(db, candidates)
    if rows:
        await connection.execute(_lease_statement(), {
            "ids": [row.id for row in rows], "lease": now + timedelta(seconds=lease_seconds)})
    return rows


@cache
def _lease_statement() -> Any:
    outbox = cast(Table, OutboxMessage.__table__)
    return (
        update(outbox)
        .where(outbox.c.id.in_(bindparam("ids", expanding=True)))
        .values(status="sending", lease_until=bindparam("lease"),
                attempts=outbox.c.attempts + 1)
    )


def _cap_per_recipient(rows: list[ClaimedRow], cap: int) -> list[ClaimedRow]:
    """The first `cap` rows of each recipient, in the claim's order."""
    taken: dict[int, int] = {}
    kept = []
    for row in rows:
        count = taken.get(row.identity_id, 0)
        if count < cap:
            taken[row.identity_id] = count + 1
            kept.append(row)
    return kept


async def _drop_overtaking_rows(db: AsyncSession, rows: list[ClaimedRow]) -> list[ClaimedRow]:
    """Keep only rows whose earlier unfinished rows are claimed in this same batch.

    Another dispatcher may have just locked (SKIP LOCKED hid it from us) a recipient's message 2
    without having committed its lease yet; our snapshot then shows it as plain pending, and
    without this check we would send message 3 first. Dropped rows stay pending, untouched.
    """
    if not rows:
        return rows
    claimed = {row.id for row in rows}
    connection = await db.connection()
    unfinished = await connection.execute(
        select(OutboxMessage.id, OutboxMessage.identity_id, OutboxMessage.priority).where(
            OutboxMessage.identity_id.in_(list({row.identity_id for row in rows})),
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.id < max(claimed),
        )
    )
    blockers: dict[int, list[tuple[int, int]]] = {}
    for row_id, identity_id, priority in unfinished.all():
        if row_id not in claimed:
            blockers.setdefault(identity_id, []).append((row_id, priority))
    kept = []
    for row in sorted(rows, key=lambda r: r.id):
        ahead = blockers.get(row.identity_id, [])
        if any(row_id < row.id and priority <= row.priority for row_id, priority in ahead):
            ahead.append((row.id, row.priority))
            blockers[row.identity_id] = ahead
        else:
            kept.append(row)
    kept.sort(key=lambda r: (r.priority, r.id))
    return kept


async def renew_leases(
    db: AsyncSession, row_ids: list[int], *, lease_seconds: int, now: datetime | None = None
) -> list[int]:
    """Extend the leases still held on these rows; returns the ids whose lease was renewed.

    A lease that already ran out is not renewed: another dispatcher may have taken the row.
    """
    now = now or utcnow()
    renewed: list[int] = []
    for start in range(0, len(row_ids), 1000):
        result = await db.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(row_ids[start : start + 1000]),
                OutboxMessage.status == "sending",
                OutboxMessage.lease_until >= now,
            )
            .values(lease_until=now + timedelta(seconds=lease_seconds))
            .returning(OutboxMessage.id)
        )
        renewed.extend(result.scalars())
    return renewed


async def mark_sent_rows(db: AsyncSession, row_ids: list[int]) -> None:
    """Settle many delivered rows at once (the dispatcher batches them)."""
    for start in range(0, len(row_ids), 1000):
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids[start : start + 1000]))
            .values(status="sent", sent_at=utcnow(), lease_until=None, last_error=None)
        )
    await _forget_secrets(db, row_ids)


async def _forget_secrets(db: AsyncSession, row_ids: list[int]) -> None:
    """Settled rows that carried a one-time secret keep no copy of it."""
    for start in range(0, len(row_ids), 1000):
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids[start : start + 1000]),
                   OutboxMessage.secret.is_(True))
            .values(payload={})
        )


async def postpone_row(db: AsyncSession, row_id: int, *, until: datetime, error: str) -> None:
    await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status="pending", not_before=until, lease_until=None, last_error=error[:500])
    )


async def release_row(db: AsyncSession, row_id: int, *, until: datetime) -> None:
    """Give back a claimed row untried (an earlier message to the same person failed)."""
    await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            status="pending",
            not_before=until,
            lease_until=None,
            attempts=OutboxMessage.attempts - 1,
        )
    )


async def mark_dead(db: AsyncSession, row_id: int, *, error: str) -> None:
    await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status="dead", lease_until=None, last_error=error[:500])
    )
    await _forget_secrets(db, [row_id])


async def mark_unreachable(db: AsyncSession, row_id: int, *, error: str) -> None:
    """The person blocked the bot: this row fails and the identity is skipped until they write."""
    row = await db.get(OutboxMessage, row_id)
    if row is None:
        return
    row.status = "failed"
    row.lease_until = None
    row.last_error = error[:500]
    if row.secret:
        row.payload = {}
    await db.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.id == row.identity_id)
        .values(unreachable_at=utcnow())
    )


async def count_by_status(db: AsyncSession) -> dict[str, int]:
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    return {status: count for status, count in (await db.execute(query)).all()}
