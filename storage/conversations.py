"""Channel identities and their conversation rows, locked one update at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import ChannelIdentity, Consent, Conversation, Person
from storage.models.base import utcnow
from storage.people.people import PERSONAL_DATA


@dataclass
class Sender:
    """Who sent an update and where they are: what every update needs before its handler."""

    identity: ChannelIdentity
    person: Person | None
    consented: bool
    conversation: Conversation


async def load_sender(db: AsyncSession, channel: str, external_id: str) -> Sender:
    """The account, its person, their consent and their conversation (row-locked), at once.

    One query for a known account (the common case: every update but the first); a new
    account, or one without a conversation yet, is created first. Same rules as
    `ensure_identity` + `lock_conversation` + `has_consent`, in a fraction of the round trips.
    """
    found = await _select_sender(db, channel, external_id)
    if found is None:
        identity = await ensure_identity(db, channel, external_id)
        await lock_conversation(db, identity)
        found = await _select_sender(db, channel, external_id)
        assert found is not None
    return found


def _sender_query() -> Select[tuple[ChannelIdentity, Conversation, Person, bool]]:
    consented = (
        exists()
        .where(
            Consent.person_id == ChannelIdentity.person_id,
            Consent.purpose == PERSONAL_DATA,
            Consent.withdrawn_at.is_(None),
        )
        .label("consented")
    )
    return (
        select(ChannelIdentity, Conversation, Person, consented)
        .join(Conversation, Conversation.identity_id == ChannelIdentity.id)
        .outerjoin(Person, Person.id == ChannelIdentity.person_id)
        .where(
            ChannelIdentity.channel == bindparam("channel"),
            ChannelIdentity.external_id == bindparam("external_id"),
        )
        # On PostgreSQL only the conversation row is locked (see `lock_conversation`).
        .with_for_update(of=Conversation)
        .execution_options(populate_existing=True)
    )


# Built once: constructing this statement cost more than running it, on every update.
_SENDER = _sender_query()


async def _select_sender(db: AsyncSession, channel: str, external_id: str) -> Sender | None:
    params = {"channel": channel, "external_id": external_id}
    row = (await db.execute(_SENDER, params)).first()
    if row is None:
        return None
    identity, conversation, person, has_consent = row
    return Sender(identity, person, bool(has_consent) and person is not None, conversation)


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
