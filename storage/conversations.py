"""Channel identities and their conversation rows, locked one update at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import ignoring_conflicts
from storage.models import ChannelIdentity, Consent, Conversation, Person
from storage.models.base import utcnow
from storage.people.people import PERSONAL_DATA


@dataclass(eq=False)
class ConversationState:
    """Where one identity is: its conversation row as plain values, not an ORM object.

    Read with the sender and written back once, when the update has been handled
    (`save_conversation`): every update does both, and the ORM's change tracking and unit
    of work cost more than the two statements. Handlers change it through the turn.
    """

    id: int
    flow: str | None
    step: str | None
    data: dict[str, Any]
    offered: list[Any]
    version: int


@dataclass
class Sender:
    """Who sent an update and where they are: what every update needs before its handler."""

    identity: ChannelIdentity
    person: Person | None
    consented: bool
    conversation: ConversationState


async def load_sender(db: AsyncSession, channel: str, external_id: str) -> Sender:
    """The account, its person, their consent and their conversation (row-locked), at once.

    One query for a known account (the common case: every update but the first); a new
    account, or one without a conversation yet, is created first. Same rules as
    `ensure_identity` + `has_consent` and a locked read of the conversation, in a fraction of
    the round trips. On PostgreSQL `FOR UPDATE` on the conversation row serialises one user's
    updates across processes; SQLite's `BEGIN IMMEDIATE` already holds the only write lock.
    """
    found = await _select_sender(db, channel, external_id)
    if found is None:
        identity = await ensure_identity(db, channel, external_id)
        await create_conversation(db, identity)
        found = await _select_sender(db, channel, external_id)
        assert found is not None
    return found


def _sender_query() -> Select[Any]:
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
        select(ChannelIdentity, Person, consented, Conversation.id, Conversation.flow,
               Conversation.step, Conversation.data, Conversation.offered, Conversation.version)
        .join(Conversation, Conversation.identity_id == ChannelIdentity.id)
        .outerjoin(Person, Person.id == ChannelIdentity.person_id)
        .where(
            ChannelIdentity.channel == bindparam("channel"),
            ChannelIdentity.external_id == bindparam("external_id"),
        )
        # On PostgreSQL only the conversation row is locked.
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
    identity, person, has_consent, *state = row
    return Sender(identity, person, bool(has_consent) and person is not None,
                  ConversationState(*state))


def _save_statement() -> Any:
    conversations = cast(Table, Conversation.__table__)
    return (
        update(conversations)
        .where(conversations.c.id == bindparam("conversation_id"))
        .values(flow=bindparam("flow"), step=bindparam("step"), data=bindparam("data"),
                offered=bindparam("offered"), version=bindparam("version"),
                updated_at=bindparam("updated_at"))
    )


_SAVE = _save_statement()


async def save_conversation(db: AsyncSession, state: ConversationState, *,
                            offered: list[Any], now: datetime) -> None:
    """Write back where the conversation is after an update: one more version of it.

    On the connection, as a plain statement: the session would first flush what earlier
    turns of a group changed, which has nothing to do with this row.
    """
    state.offered = offered
    state.version += 1
    connection = await db.connection()
    await connection.execute(_SAVE, {
        "conversation_id": state.id, "flow": state.flow, "step": state.step,
        "data": state.data, "offered": state.offered, "version": state.version,
        "updated_at": now})


async def ensure_identity(db: AsyncSession, channel: str, external_id: str) -> ChannelIdentity:
    """The identity for this account, created on first contact (no personal data in it)."""
    account = {"channel": channel, "external_id": external_id}
    await db.execute(_new_identity(db.bind.dialect.name), {**account, "created_at": utcnow()})
    return (await db.execute(_IDENTITY, account)).scalar_one()


async def create_conversation(db: AsyncSession, identity: ChannelIdentity) -> None:
    """The identity's conversation row, unless it has one (`load_sender` then locks it)."""
    await db.execute(_new_conversation(db.bind.dialect.name), {
        "identity_id": identity.id, "data": {}, "offered": [], "version": 0,
        "updated_at": utcnow()})


# Built once (per dialect): every first contact runs them, and building them cost more than
# running them.
_IDENTITY = select(ChannelIdentity).where(
    ChannelIdentity.channel == bindparam("channel"),
    ChannelIdentity.external_id == bindparam("external_id"),
)


@cache
def _new_identity(dialect: str) -> Any:
    return ignoring_conflicts(dialect, ChannelIdentity).values(
        channel=bindparam("channel"), external_id=bindparam("external_id"),
        created_at=bindparam("created_at"))


@cache
def _new_conversation(dialect: str) -> Any:
    return ignoring_conflicts(dialect, Conversation).values(
        identity_id=bindparam("identity_id"), data=bindparam("data"),
        offered=bindparam("offered"), version=bindparam("version"),
        updated_at=bindparam("updated_at"))
