"""Channel identities and their conversation rows, locked one update at a time."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import ChannelIdentity, Conversation
from storage.models.base import utcnow


async def ensure_identity(db: AsyncSession, channel: str, external_id: str) -> ChannelIdentity:
    """The identity for this account, created on first contact (no personal data in it)."""
    await db.execute(
        insert_ignoring_conflicts(
            db, ChannelIdentity, channel=channel, external_id=external_id, created_at=utcnow()
        )
    )
    query = select(ChannelIdentity).where(
        ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
    )
    return (await db.execute(query)).scalar_one()


async def lock_conversation(db: AsyncSession, identity: ChannelIdentity) -> Conversation:
    """The identity's conversation, row-locked until the transaction ends.

    On PostgreSQL `FOR UPDATE` serialises one user's updates across processes; SQLite's
    `BEGIN IMMEDIATE` already holds the only write lock.
    """
    await db.execute(
        insert_ignoring_conflicts(
            db, Conversation, identity_id=identity.id, data={}, offered=[], version=0,
            updated_at=utcnow(),
        )
    )
    query = (
        select(Conversation)
        .where(Conversation.identity_id == identity.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await db.execute(query)).scalar_one()


def reset_conversation(conversation: Conversation) -> None:
    conversation.flow = None
    conversation.step = None
    conversation.data = {}
    conversation.offered = []
