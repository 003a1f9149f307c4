"""Recording inbound updates once: a redelivered update is recognised and dropped."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundEvent
from storage.models.base import utcnow


@cache
def _record_statement(dialect: str) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING RETURNING id`, built once per dialect (every update
    runs it, and building it cost about as much as running it)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(InboundEvent)
        .values(
            channel=bindparam("channel"),
            external_id=bindparam("external_id"),
            kind=bindparam("kind"),
            received_at=bindparam("received_at"),
        )
        .on_conflict_do_nothing()
        .returning(InboundEvent.id)
    )


async def record_inbound(db: AsyncSession, channel: str, external_id: str, kind: str) -> bool:
    """Remember this update; False when it was seen before (inside the same transaction)."""
    statement = _record_statement(db.bind.dialect.name)
    params = {"channel": channel, "external_id": external_id, "kind": str(kind),
              "received_at": utcnow()}
    return (await db.execute(statement, params)).scalar_one_or_none() is not None
