"""Recording inbound updates once: a redelivered update is recognised and dropped."""

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import InboundEvent
from storage.models.base import utcnow


async def record_inbound(db: AsyncSession, channel: str, external_id: str, kind: str) -> bool:
    """Remember this update; False when it was seen before (inside the same transaction)."""
    statement = insert_ignoring_conflicts(
        db, InboundEvent, channel=channel, external_id=external_id, kind=kind,
        received_at=utcnow(),
    ).returning(InboundEvent.id)
    return (await db.execute(statement)).scalar_one_or_none() is not None

