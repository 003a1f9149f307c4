"""Roles scoped to a commune, the operator's first admin, and invite links for staff.

An invite link is shown once, to whoever made it: only a hash of its token is stored, so a
copy of the database opens no door. Admins see the live ones and can revoke them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.conversations import ensure_identity
from storage.models import Commune, Delegate, Invite, Person, RoleGrant
from storage.models.base import utcnow

ROLES = ("citizen", "delegate", "office", "agency", "admin")
INVITABLE = ("delegate", "office", "agency", "admin")
INVITE_PREFIX = "inv-"
# An invite opened before consent waits in the conversation as the hash of its token.
INVITE_HASH_PREFIX = "invh-"


async def roles_of(db: AsyncSession, person_id: int) -> list[RoleGrant]:
    query = select(RoleGrant).where(RoleGrant.person_id == person_id).order_by(RoleGrant.id)
    return list((await db.execute(query)).scalars())


async def grant_role(
    db: AsyncSession,
    person: Person,
    commune: Commune,
    role: str,
    *,
    actor_id: int | None,
    actor_label: str = "person",
    agency_id: int | None = None,
) -> RoleGrant:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    query = select(RoleGrant).where(
        RoleGrant.person_id == person.id,
        RoleGrant.commune_id == commune.id,
        RoleGrant.role == role,
    )
    grant = (await db.execute(query)).scalar_one_or_none()
    if grant is None:
        grant = RoleGrant(
            person_id=person.id, commune_id=commune.id, role=role, agency_id=agency_id
        )
        db.add(grant)
        await db.flush()
        record_action(
            db,
            action="role.granted",
            subject_type="person",
            subject_id=person.id,
            actor_id=actor_id,
            actor_label=actor_label,
            after={"role": role, "commune": commune.code},
        )
    return grant


async def create_first_admin(
    db: AsyncSession, commune: Commune, channel: str, external_id: str
) -> Person:
    """Bind a commune's first admin to a Telegram or Zalo account (an operator's act)."""
    identity = await ensure_identity(db, channel, external_id)
    person = await db.get(Person, identity.person_id) if identity.person_id else None
    if person is None:
        person = Person(created_at=utcnow())
        db.add(person)
        await db.flush()
        identity.person_id = person.id
    await grant_role(db, person, commune, "admin", actor_id=None, actor_label="operator")
    return person


@dataclass(frozen=True)
class IssuedInvite:
    """A new invite and its link token, which exists only in this value."""

    invite: Invite
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keep_start_argument(argument: str) -> str:
    """What of a `/start` argument may wait in the conversation: an invite only as its hash."""
    if argument.startswith(INVITE_PREFIX):
        return INVITE_HASH_PREFIX + _token_hash(argument.removeprefix(INVITE_PREFIX))
    return argument


async def create_invites(
    db: AsyncSession,
    commune: Commune,
    role: str,
    count: int = 1,
    *,
    days: int = 14,
    agency_id: int | None = None,
    delegate_id: int | None = None,
    actor_id: int | None = None,
    actor_label: str = "person",
) -> list[IssuedInvite]:
    if role not in INVITABLE:
        raise ValueError(f"role {role!r} cannot be invited")
    issued = []
    for _ in range(count):
        token = secrets.token_urlsafe(12)
        invite = Invite(
            token_hash=_token_hash(token),
            commune_id=commune.id,
            role=role,
            agency_id=agency_id,
            delegate_id=delegate_id,
            created_by=actor_id,
            expires_at=utcnow() + timedelta(days=days),
        )
        db.add(invite)
        issued.append(IssuedInvite(invite, token))
    await db.flush()
    for item in issued:
        record_action(
            db, action="invite.created", subject_type="invite", subject_id=item.invite.id,
            actor_id=actor_id, actor_label=actor_label,
            after={"role": role, "commune": commune.code, "agency": agency_id,
                   "delegate": delegate_id},
        )
    return issued


async def live_invites(db: AsyncSession, commune_id: int) -> list[Invite]:
    """Invites of this commune that still open a door: not used, revoked or expired."""
    query = (
        select(Invite)
        .where(
            Invite.commune_id == commune_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > utcnow(),
        )
        .order_by(Invite.id)
    )
    return list((await db.execute(query)).scalars())


async def revoke_invite(
    db: AsyncSession,
    invite_id: int,
    *,
    commune_id: int | None,
    actor_id: int | None,
    actor_label: str = "person",
) -> Invite | None:
    """Close a live invite; None if there is no such live invite (in that commune)."""
    query = select(Invite).where(Invite.id == invite_id).with_for_update()
    invite = (await db.execute(query)).scalar_one_or_none()
    if (
        invite is None
        or (commune_id is not None and invite.commune_id != commune_id)
        or invite.used_at is not None
        or invite.revoked_at is not None
    ):
        return None
    invite.revoked_at = utcnow()
    record_action(
        db, action="invite.revoked", subject_type="invite", subject_id=invite.id,
        actor_id=actor_id, actor_label=actor_label, after={"role": invite.role},
    )
    return invite


@dataclass(frozen=True)
class InviteAccepted:
    role: str
    commune_name: str


@dataclass(frozen=True)
class InviteRefused:
    reason: str  # "unknown", "expired", "used", "revoked"


async def accept_invite(
    db: AsyncSession, person: Person, token: str, *, hashed: bool = False
) -> InviteAccepted | InviteRefused:
    """Open an invite by its token (or, `hashed`, by the token's hash kept since /start)."""
    token_hash = token if hashed else _token_hash(token)
    query = select(Invite).where(Invite.token_hash == token_hash).with_for_update()
    invite = (await db.execute(query)).scalar_one_or_none()
    if invite is None:
        return InviteRefused("unknown")
    if invite.revoked_at is not None:
        return InviteRefused("revoked")
    if invite.used_at is not None:
        return InviteRefused("used")
    if invite.expires_at < utcnow():
        return InviteRefused("expired")
    commune = await db.get(Commune, invite.commune_id)
    assert commune is not None  # foreign key
    invite.used_at = utcnow()
    invite.used_by = person.id
    await grant_role(
        db, person, commune, invite.role, actor_id=person.id, agency_id=invite.agency_id
    )
    if invite.delegate_id is not None:
        # The delegate record (name, electoral unit) now reaches this chat account.
        delegate = await db.get(Delegate, invite.delegate_id)
        if delegate is not None:
            seat_holder = await db.get(Person, delegate.person_id)
            if person.full_name is None and seat_holder is not None:
                person.full_name = seat_holder.full_name  # as the office entered it
            delegate.person_id = person.id
    return InviteAccepted(role=invite.role, commune_name=commune.name)
