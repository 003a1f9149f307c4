"""Recording inbound updates once (a redelivered update is recognised and dropped), and the
inbox of updates recorded on arrival and handled afterwards.

One person's updates are handled in the order they were recorded (their row ids), also when
several replicas on PostgreSQL record and handle them. Each waiting row carries its sender's
key; the transaction that handles a person's update holds an advisory lock on that key
(`lock_senders`), and a row is taken only when none of the same sender's recorded before it
still waits (`take_arrival`; `earlier_arrivals` are the ones to handle first). Recording takes
the same lock shared, so a handler cannot pass a row that another replica has numbered but not
yet committed: ids and commits agree for each sender. SQLite serves one process, whose runner
keeps the order itself: none of this runs there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import BigInteger, Table, bindparam, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.db import ignoring_conflicts
from storage.models import InboundEvent
from storage.models.base import utcnow


def _events_table() -> Table:
    # Every update runs these statements: Core, without the ORM's unit of work around them.
    return cast(Table, InboundEvent.__table__)


@cache
def _record_statement(dialect: str) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING RETURNING id`, built once per dialect (every update
    runs it, and building it cost about as much as running it)."""
    events = _events_table()
    return (
        ignoring_conflicts(dialect, events)
        .values(
            channel=bindparam("channel"),
            external_id=bindparam("external_id"),
            kind=bindparam("kind"),
            received_at=bindparam("received_at"),
            handled_at=bindparam("received_at"),
        )
        .returning(events.c.id)
    )


async def record_inbound(db: AsyncSession, channel: str, external_id: str, kind: str) -> bool:
    """Remember this update; False when it was seen before (inside the same transaction)."""
    statement = _record_statement(db.bind.dialect.name)
    params = {"channel": channel, "external_id": external_id, "kind": str(kind),
              "received_at": utcnow()}
    # On the connection, not the session: the session would first flush what earlier turns of
    # a group changed (see `ConversationRunner._turn`), which has nothing to do with this row.
    connection = await db.connection()
    return (await connection.execute(statement, params)).scalar_one_or_none() is not None


# -- the inbox: recorded on arrival, handled afterwards ----------------------------------------

@dataclass(frozen=True)
class Arrival:
    """An update to record as it arrives; `handled`: recorded only, never to be handled."""

    channel: str
    external_id: str
    kind: str
    payload: dict[str, Any]
    handled: bool = False


@cache
def _arrivals_statement(dialect: str) -> Any:
    """Executed with one parameter set per update: SQLAlchemy sends them as one multi-row
    INSERT, compiled once, rather than a statement per batch size."""
    events = _events_table()
    return (
        ignoring_conflicts(dialect, events)
        .values(channel=bindparam("channel"), external_id=bindparam("external_id"),
                kind=bindparam("kind"), received_at=bindparam("received_at"),
                payload=bindparam("payload"), handled_at=bindparam("handled_at"),
                sender_key=bindparam("sender_key"))
        .returning(events.c.id, events.c.channel, events.c.external_id)
    )


async def record_arrivals(db: AsyncSession, arrivals: Sequence[Arrival]) -> list[int | None]:
    """Record a batch of updates in one statement; each one's row id, None if seen before.

    What is recorded here is handled later (`take_arrival`), in a transaction of its own, or
    after a restart (`waiting_arrivals`): the platform may forget an update once this commits.
    """
    if not arrivals:
        return []
    now = utcnow()
    rows = [{"channel": arrival.channel, "external_id": arrival.external_id,
             "kind": arrival.kind, "received_at": now,
             "payload": None if arrival.handled else json.dumps(arrival.payload),
             "handled_at": now if arrival.handled else None,
             "sender_key": None if arrival.handled else sender_key(
                 arrival.channel, str(arrival.payload.get("user_id", "")))}
            for arrival in arrivals]
    dialect = db.bind.dialect.name
    if dialect == "postgresql":
        # Shared: recordings never wait for each other, only for a handler of the same sender.
        keys = sorted({row["sender_key"] for row in rows if row["sender_key"] is not None})
        if keys:
            await db.execute(_LOCK_SHARED, {"keys": keys})
    statement = _arrivals_statement(dialect)
    # On the connection: through the session, a list of rows takes the ORM's bulk path.
    connection = await db.connection()
    result = await connection.execute(statement, rows)
    ids = {(channel, external_id): row_id for row_id, channel, external_id in result.all()}
    return [ids.pop((arrival.channel, arrival.external_id), None) for arrival in arrivals]


@cache
def _take_statement(dialect: str) -> Any:
    events = _events_table()
    statement = (
        update(events)
        .where(events.c.id == bindparam("arrival_id"), events.c.handled_at.is_(None))
        .values(handled_at=bindparam("now"), payload=None, sender_key=None)
        .returning(events.c.id)
    )
    if dialect != "postgresql":
        return statement
    earlier = events.alias("earlier")
    return statement.where(~exists().where(
        earlier.c.sender_key == events.c.sender_key, earlier.c.handled_at.is_(None),
        earlier.c.id < events.c.id))


async def take_arrival(db: AsyncSession, arrival_id: int) -> bool:
    """Mark a recorded update handled, in the transaction that handles it; False if it was,
    or (PostgreSQL) while an earlier update of the same sender still waits."""
    connection = await db.connection()  # no flush first, as in `record_inbound`
    result = await connection.execute(_take_statement(db.bind.dialect.name),
                                      {"arrival_id": arrival_id, "now": utcnow()})
    return result.scalar_one_or_none() is not None


@cache
def _take_many_statement() -> Any:
    events = _events_table()
    earlier = events.alias("earlier")
    return (
        update(events)
        .where(events.c.id.in_(bindparam("arrival_ids", expanding=True)),
               events.c.handled_at.is_(None),
               ~exists().where(earlier.c.sender_key == events.c.sender_key,
                               earlier.c.handled_at.is_(None), earlier.c.id < events.c.id))
        .values(handled_at=bindparam("now"), payload=None, sender_key=None)
        .returning(events.c.id)
    )


async def take_arrivals(db: AsyncSession, arrival_ids: Sequence[int]) -> set[int]:
    """`take_arrival` for many updates of different senders at once (PostgreSQL): the ids
    taken. The others are left as they were, for `take_arrival` to try one by one.

    On SQLite nothing is taken here: a group of turns there may stop half-way for an urgent
    writer, and what it has not handled must stay waiting.
    """
    if not arrival_ids or db.bind.dialect.name != "postgresql":
        return set()
    connection = await db.connection()  # no flush first, as in `record_inbound`
    result = await connection.execute(_take_many_statement(),
                                      {"arrival_ids": list(arrival_ids), "now": utcnow()})
    return set(result.scalars())


def sender_key(channel: str, user_id: str) -> int:
    """A signed 64-bit key for one account: its advisory lock and its waiting rows' key."""
    digest = hashlib.blake2b(f"{channel}:{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_KEYS = bindparam("keys", type_=ARRAY(BigInteger))
_LOCK = text("SELECT count(pg_advisory_xact_lock(key)) FROM unnest(:keys) AS key"
             ).bindparams(_KEYS)
_LOCK_SHARED = text("SELECT count(pg_advisory_xact_lock_shared(key)) FROM unnest(:keys) AS key"
                    ).bindparams(_KEYS)


async def lock_senders(db: AsyncSession, senders: Iterable[tuple[str, str]]) -> None:
    """Hold these accounts (channel, user id) until the transaction ends: on PostgreSQL one
    replica at a time handles a person's updates. Taken in key order, all at once, so that two
    replicas' groups of people cannot wait for each other."""
    if db.bind.dialect.name != "postgresql":
        return
    keys = sorted({sender_key(channel, user_id) for channel, user_id in senders})
    if keys:
        await db.execute(_LOCK, {"keys": keys})


_TRY_LOCK = text("SELECT key FROM unnest(:keys) AS key WHERE NOT pg_try_advisory_xact_lock(key)"
                 ).bindparams(_KEYS)


async def lock_free_senders(db: AsyncSession, senders: Iterable[tuple[str, str]],
                            ) -> set[tuple[str, str]]:
    """Hold those of these accounts that no other transaction holds, without waiting; the
    others (another replica is handling them) are returned. Nothing to hold on SQLite.

    A group of people handled together takes what is free and leaves the rest to wait on
    their own: a group that waited for each of fifty people in turn would hold up, meanwhile,
    every update of the people it holds already, on every replica."""
    if db.bind.dialect.name != "postgresql":
        return set()
    by_key = {sender_key(channel, user_id): (channel, user_id) for channel, user_id in senders}
    if not by_key:
        return set()
    busy = (await db.execute(_TRY_LOCK, {"keys": sorted(by_key)})).scalars().all()
    return {by_key[key] for key in busy}


def _decoded(rows: Iterable[tuple[int, str | None]]) -> list[tuple[int, dict[str, Any]]]:
    return [(row_id, json.loads(payload)) for row_id, payload in rows if payload]


async def earlier_arrivals(db: AsyncSession, arrival_id: int) -> list[tuple[int, dict[str, Any]]]:
    """The same sender's updates recorded before this one and still waiting, oldest first:
    to handle before it (another replica recorded them, and died or is slower). PostgreSQL
    only; SQLite's one process keeps the order itself."""
    if db.bind.dialect.name != "postgresql":
        return []
    this = aliased(InboundEvent)
    rows = await db.execute(
        select(InboundEvent.id, InboundEvent.payload)
        .join(this, this.id == arrival_id)
        .where(InboundEvent.sender_key == this.sender_key, InboundEvent.handled_at.is_(None),
               InboundEvent.id < arrival_id)
        .order_by(InboundEvent.id))
    return _decoded(rows.tuples().all())


async def claim_stale_arrivals(db: AsyncSession, older_than: timedelta, *,
                               limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
    """Updates waiting longer than `older_than` (recorded by a replica that died before it
    handled them), taken over by this one, oldest first: PostgreSQL only.

    Claimed with `FOR UPDATE SKIP LOCKED` and stamped `resumed_at`, so that two replicas
    sweeping at once take different rows, and the next sweep leaves these alone for as long
    again. Taking one twice would still be harmless (`take_arrival` lets one through).
    """
    if db.bind.dialect.name != "postgresql":
        return []
    now = utcnow()
    cutoff = now - older_than
    rows = (await db.execute(
        select(InboundEvent.id, InboundEvent.payload)
        .where(InboundEvent.handled_at.is_(None),
               func.coalesce(InboundEvent.resumed_at, InboundEvent.received_at) < cutoff)
        .order_by(InboundEvent.id).limit(limit)
        .with_for_update(skip_locked=True))).tuples().all()
    if rows:
        await db.execute(update(InboundEvent).where(InboundEvent.id.in_([r[0] for r in rows]))
                         .values(resumed_at=now))
    return _decoded(rows)


async def waiting_arrivals(db: AsyncSession) -> list[tuple[int, dict[str, Any]]]:
    """Updates recorded and not yet handled (the process stopped first), oldest first."""
    rows = await db.execute(
        select(InboundEvent.id, InboundEvent.payload)
        .where(InboundEvent.handled_at.is_(None)).order_by(InboundEvent.id))
    return _decoded(rows.tuples().all())
