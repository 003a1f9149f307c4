"""Recording inbound updates once (a redelivered update is recognised and dropped), and the
inbox of updates recorded on arrival and handled afterwards."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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
    return (await db.execute(statement, params)).scalar_one_or_none() is not None


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
                payload=bindparam("payload"), handled_at=bindparam("handled_at"))
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
             "handled_at": now if arrival.handled else None} for arrival in arrivals]
    statement = _arrivals_statement(db.bind.dialect.name)
    result = await db.execute(statement, rows)
    ids = {(channel, external_id): row_id for row_id, channel, external_id in result.all()}
    return [ids.pop((arrival.channel, arrival.external_id), None) for arrival in arrivals]


@cache
def _take_statement() -> Any:
    events = _events_table()
    return (
        update(events)
        .where(events.c.id == bindparam("arrival_id"), events.c.handled_at.is_(None))
        .values(handled_at=bindparam("now"), payload=None)
        .returning(events.c.id)
    )


async def take_arrival(db: AsyncSession, arrival_id: int) -> bool:
    """Mark a recorded update handled, in the transaction that handles it; False if it was."""
    result = await db.execute(_take_statement(), {"arrival_id": arrival_id, "now": utcnow()})
    return result.scalar_one_or_none() is not None


async def waiting_arrivals(db: AsyncSession) -> list[tuple[int, dict[str, Any]]]:
    """Updates recorded and not yet handled (the process stopped first), oldest first."""
    rows = await db.execute(
        select(InboundEvent.id, InboundEvent.payload)
        .where(InboundEvent.handled_at.is_(None)).order_by(InboundEvent.id))
    return [(row_id, json.loads(payload)) for row_id, payload in rows.all() if payload]
