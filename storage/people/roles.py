"""Roles scoped to a commune, the operator's first admin, and invites for staff.

An invite is a short code that an elderly delegate can type on a cheap phone (Zalo has no
deep links with a payload): ten characters from an alphabet without look-alikes (no 0/O,
1/I/L, 5/S, 2/Z, 8/B), shown grouped as `K7MQ-3XHP-AC`. It is shown once, to whoever made it:
only a hash of it is stored. Admins see the live ones and can revoke them. Wrong codes are
capped per person and per day, on top of the inbound rate limit, so guessing is hopeless.

A delegate's invite always names the seat (the delegate record of the office's plan): without
it the new delegate would never hear of their meetings.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.conversations import ensure_identity
from storage.folding import fold
from storage.models import (
    AuditEntry,
    ChannelIdentity,
    Commune,
    Delegate,
    ElectoralUnit,
    Invite,
    Person,
    Province,
    ProvinceGrant,
    RoleGrant,
)
from storage.models.base import utcnow
from storage.permissions import PROVINCE_ROLES

ROLES = ("citizen", "delegate", "office", "agency", "admin")
INVITABLE = ("delegate", "office", "agency", "admin")
INVITE_PREFIX = "inv-"
# An invite opened before consent waits in the conversation as the hash of its token.
INVITE_HASH_PREFIX = "invh-"
# Letters and digits nobody confuses on a small screen or reading aloud: 25 symbols.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 10  # 25**10 is about 2**46, with at least one letter and one digit
# Wrong invite codes one person may type in any 24 hours before we stop looking them up.
MAX_FAILED_CODES = 10
FAILED_CODE_WINDOW = timedelta(hours=24)


class SeatRequired(ValueError):
    """A delegate invite must say which delegate seat it is for."""


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
    person = await _person_of_account(db, channel, external_id)
    await grant_role(db, person, commune, "admin", actor_id=None, actor_label="operator")
    return person


async def _person_of_account(db: AsyncSession, channel: str, external_id: str) -> Person:
    identity = await ensure_identity(db, channel, external_id)
    person = await db.get(Person, identity.person_id) if identity.person_id else None
    if person is None:
        person = Person(created_at=utcnow())
        db.add(person)
        await db.flush()
        identity.person_id = person.id
    return person


async def grant_province_role(
    db: AsyncSession,
    person: Person,
    province: Province,
    role: str,
    *,
    actor_id: int | None,
    actor_label: str = "person",
) -> ProvinceGrant:
    """A role in every commune of the province, present and future (only "admin" for now)."""
    if role not in PROVINCE_ROLES:
        raise ValueError(f"role {role!r} is not held province-wide")
    query = select(ProvinceGrant).where(
        ProvinceGrant.person_id == person.id,
        ProvinceGrant.province_id == province.id,
        ProvinceGrant.role == role,
    )
    grant = (await db.execute(query)).scalar_one_or_none()
    if grant is None:
        grant = ProvinceGrant(person_id=person.id, province_id=province.id, role=role)
        db.add(grant)
        await db.flush()
        record_action(
            db, action="role.granted", subject_type="person", subject_id=person.id,
            actor_id=actor_id, actor_label=actor_label,
            after={"role": role, "province": province.code},
        )
    return grant


async def create_province_admin(
    db: AsyncSession, province: Province, channel: str, external_id: str
) -> Person:
    """Bind a province's admin to a chat account (an operator's act): admin of every commune."""
    person = await _person_of_account(db, channel, external_id)
    await grant_province_role(db, person, province, "admin", actor_id=None,
                              actor_label="operator")
    return person


@dataclass(frozen=True)
class IssuedInvite:
    """A new invite and its link token, which exists only in this value."""

    invite: Invite
    token: str


def new_invite_code() -> str:
    """A fresh code; one with only letters or only digits could pass for a word or a number."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return code


def normalize_invite_code(typed: str) -> str | None:
    """`k7mq 3xhp-ac` → `K7MQ3XHPAC`; None if it cannot be a code of ours."""
    code = "".join(ch for ch in typed.upper() if ch not in " -_.")
    if (
        len(code) != CODE_LENGTH
        or any(ch not in CODE_ALPHABET for ch in code)
        or not any(ch.isdigit() for ch in code)
        or not any(ch.isalpha() for ch in code)
    ):
        return None
    return code


def format_invite_code(code: str) -> str:
    """Grouped for reading aloud and typing: `K7MQ-3XHP-AC`."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invite_hash(token: str) -> str:
    """The stored hash of a code however it was typed (links made before codes: as they are)."""
    return _token_hash(normalize_invite_code(token) or token)


def keep_start_argument(argument: str) -> str:
    """What of a `/start` argument may wait in the conversation: an invite only as its hash."""
    if argument.startswith(INVITE_PREFIX):
        return INVITE_HASH_PREFIX + _invite_hash(argument.removeprefix(INVITE_PREFIX))
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
    """Invites for `role` in the commune; a delegate's names its seat (`delegate_id`)."""
    if role not in INVITABLE:
        raise ValueError(f"role {role!r} cannot be invited")
    if role == "delegate":
        seat = await db.get(Delegate, delegate_id) if delegate_id is not None else None
        if seat is None or seat.commune_id != commune.id:
            raise SeatRequired("a delegate invite needs a delegate seat of this commune")
    elif delegate_id is not None:
        raise ValueError("only a delegate invite has a seat")
    issued = []
    for _ in range(count):
        token = new_invite_code()
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
    reason: str  # "unknown", "expired", "used", "revoked", "too_many"


async def failed_codes(db: AsyncSession, person: Person) -> int:
    """Wrong invite codes this person typed in the last 24 hours."""
    query = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.actor_id == person.id,
        AuditEntry.action == "invite.refused",
        AuditEntry.at > utcnow() - FAILED_CODE_WINDOW,
    )
    return int((await db.execute(query)).scalar_one())


async def accept_invite(
    db: AsyncSession, person: Person, token: str, *, hashed: bool = False
) -> InviteAccepted | InviteRefused:
    """Open an invite by its code as typed (or, `hashed`, by the hash kept since /start)."""
    if await failed_codes(db, person) >= MAX_FAILED_CODES:
        return InviteRefused("too_many")
    token_hash = token if hashed else _invite_hash(token)
    query = select(Invite).where(Invite.token_hash == token_hash).with_for_update()
    invite = (await db.execute(query)).scalar_one_or_none()
    if invite is None:
        # Counted against the person: a few typos are fine, guessing is not.
        record_action(db, action="invite.refused", subject_type="invite", subject_id=None,
                      actor_id=person.id)
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


@dataclass(frozen=True)
class Seat:
    """A delegate seat as the office's plan lists it, and whether someone sits in it on chat."""

    delegate_id: int
    name: str
    unit: str | None
    held: bool


async def delegate_seats(db: AsyncSession, commune_id: int) -> list[Seat]:
    """The commune's delegate seats; `held` once a chat account has joined by its invite."""
    held = (
        select(ChannelIdentity.id)
        .where(ChannelIdentity.person_id == Delegate.person_id)
        .exists()
    )
    query = (
        select(Delegate.id, Person.full_name, ElectoralUnit.name, held)
        .join(Person, Person.id == Delegate.person_id)
        .outerjoin(ElectoralUnit, ElectoralUnit.id == Delegate.electoral_unit_id)
        .where(Delegate.commune_id == commune_id)
        .order_by(Delegate.id)
    )
    return [
        Seat(delegate_id, name or "", unit, bool(is_held))
        for delegate_id, name, unit, is_held in (await db.execute(query)).all()
    ]


async def find_seat(db: AsyncSession, commune_id: int, wanted: str) -> Seat | None:
    """A seat by its delegate id as listed, or by the delegate's name typed without accents."""
    seats = await delegate_seats(db, commune_id)
    if wanted.strip().isdigit():
        return next((s for s in seats if s.delegate_id == int(wanted)), None)
    matches = [s for s in seats if fold(s.name) == fold(wanted)]
    return matches[0] if len(matches) == 1 else None
