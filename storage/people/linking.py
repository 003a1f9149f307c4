"""Joining two channel accounts into one person, only on proof.

A phone typed on Zalo is a claim, not proof: when it matches a phone that Telegram verified,
a one-time code goes to that Telegram account and must be typed back on Zalo. A typed phone
never merges anything by itself, otherwise anyone could read another citizen's petitions.

Typing someone else's number must not become a way to pester them: codes are capped per
target and per claimant in any 24 hours, and go out as routine messages (quiet hours apply;
the code stays valid for its minutes from the moment it is sent).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.audit import record_action
from storage.encryption import phone_lookup
from storage.messaging.outbox import ROUTINE, enqueue_message
from storage.messaging.quiet_hours import QuietHours
from storage.models import (
    ChannelIdentity,
    Consent,
    LinkCode,
    Person,
    ProvinceGrant,
    RoleGrant,
)
from storage.models.base import utcnow
from storage.people.people import person_of

MAX_CODE_ATTEMPTS = 5
CAP_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class LinkCodeLimits:
    """How many codes one verified account may be sent, and one claimant may ask for, a day."""

    per_target: int = 3
    per_claimant: int = 3
    minutes: int = 10
    quiet: QuietHours = field(default_factory=QuietHours)


@dataclass(frozen=True)
class PhoneSaved:
    """The phone was stored on this person, unverified."""


@dataclass(frozen=True)
class CodeSent:
    """The phone belongs to a verified account elsewhere: a code went there."""

    channel: str
    # When it leaves: now, or when quiet hours end (then `delayed`).
    sends_at: datetime
    delayed: bool = False


@dataclass(frozen=True)
class CodeRefused:
    """The number belongs to a verified account elsewhere, but no more codes today."""

    reason: str  # "target_cap", "claimant_cap"


PhoneClaim = PhoneSaved | CodeSent | CodeRefused


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def claim_phone(
    db: AsyncSession,
    identity: ChannelIdentity,
    person: Person,
    phone: str,
    *,
    limits: LinkCodeLimits | None = None,
) -> PhoneClaim:
    limits = limits or LinkCodeLimits()
    owner_query = select(Person).where(
        Person.phone_hash == phone_lookup(phone),
        Person.phone_verified.is_(True),
        Person.id != person.id,
    )
    # The owner's row is locked: two claims at once cannot both pass its daily cap.
    owner = (await db.execute(owner_query.limit(1).with_for_update())).scalar_one_or_none()
    target = None if owner is None else await _reachable_elsewhere(db, owner, identity.channel)
    if owner is None or target is None:
        if person.phone != phone:
            person.phone = phone
            person.phone_verified = False
        return PhoneSaved()
    now = utcnow()
    if await _codes_since(db, LinkCode.person_id == owner.id, now) >= limits.per_target:
        return CodeRefused("target_cap")
    if await _codes_since(db, LinkCode.claimant_identity_id == identity.id, now) >= (
        limits.per_claimant
    ):
        return CodeRefused("claimant_cap")
    sends_at = limits.quiet.next_allowed(now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    await db.execute(
        update(LinkCode)
        .where(LinkCode.claimant_identity_id == identity.id, LinkCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.add(
        LinkCode(
            person_id=owner.id,
            claimant_identity_id=identity.id,
            code_hash=_hash(code),
            created_at=now,
            expires_at=sends_at + timedelta(minutes=limits.minutes),
        )
    )
    enqueue_message(
        db,
        target,
        {
            "notice": "link_code",
            "params": {"code": code, "channel": identity.channel},
            "locale": target.locale,
            "secret": True,
        },
        priority=ROUTINE,
        not_before=sends_at,
    )
    return CodeSent(channel=target.channel, sends_at=sends_at, delayed=sends_at != now)


async def _codes_since(db: AsyncSession, condition: ColumnElement[bool], now: datetime) -> int:
    query = select(func.count()).select_from(LinkCode).where(
        condition, LinkCode.created_at > now - CAP_WINDOW
    )
    return int((await db.execute(query)).scalar_one())


async def _reachable_elsewhere(
    db: AsyncSession, owner: Person, channel: str
) -> ChannelIdentity | None:
    query = (
        select(ChannelIdentity)
        .where(
            ChannelIdentity.person_id == owner.id,
            ChannelIdentity.channel != channel,
            ChannelIdentity.unreachable_at.is_(None),
        )
        .order_by(ChannelIdentity.id)
    )
    return (await db.execute(query.limit(1))).scalar_one_or_none()


@dataclass(frozen=True)
class Linked:
    person_id: int


@dataclass(frozen=True)
class LinkRefused:
    reason: str  # "no_code", "expired", "wrong", "too_many"


async def pending_link(db: AsyncSession, identity: ChannelIdentity) -> LinkCode | None:
    query = (
        select(LinkCode)
        .where(LinkCode.claimant_identity_id == identity.id, LinkCode.used_at.is_(None))
        .order_by(LinkCode.id.desc())
    )
    return (await db.execute(query.limit(1))).scalar_one_or_none()


async def confirm_link_code(
    db: AsyncSession, identity: ChannelIdentity, code: str
) -> Linked | LinkRefused:
    link = await pending_link(db, identity)
    if link is None:
        return LinkRefused("no_code")
    if link.expires_at < utcnow():
        link.used_at = utcnow()
        return LinkRefused("expired")
    if not hmac.compare_digest(link.code_hash, _hash(code.strip())):
        link.attempts += 1
        if link.attempts >= MAX_CODE_ATTEMPTS:
            link.used_at = utcnow()
            return LinkRefused("too_many")
        return LinkRefused("wrong")
    link.used_at = utcnow()
    await _merge_into(db, identity, link.person_id)
    return Linked(person_id=link.person_id)


async def _merge_into(db: AsyncSession, identity: ChannelIdentity, owner_id: int) -> None:
    """Move this account (and the short-lived person it created) onto the verified owner."""
    old = await person_of(db, identity)
    identity.person_id = owner_id
    if old is not None and old.id != owner_id:
        await db.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.person_id == old.id)
            .values(person_id=owner_id)
        )
        await db.execute(
            update(Consent).where(Consent.person_id == old.id).values(person_id=owner_id)
        )
        owner_roles = set(
            (
                await db.execute(
                    select(RoleGrant.commune_id, RoleGrant.role).where(
                        RoleGrant.person_id == owner_id
                    )
                )
            ).all()
        )
        for grant in (
            await db.execute(select(RoleGrant).where(RoleGrant.person_id == old.id))
        ).scalars():
            if (grant.commune_id, grant.role) in owner_roles:
                await db.delete(grant)
            else:
                grant.person_id = owner_id
        owner_province_roles = set((await db.execute(
            select(ProvinceGrant.province_id, ProvinceGrant.role).where(
                ProvinceGrant.person_id == owner_id))).all())
        for province_grant in (await db.execute(
            select(ProvinceGrant).where(ProvinceGrant.person_id == old.id))).scalars():
            if (province_grant.province_id, province_grant.role) in owner_province_roles:
                await db.delete(province_grant)
            else:
                province_grant.person_id = owner_id
        owner = await db.get(Person, owner_id)
        if owner is not None and owner.hamlet_id is None:
            owner.hamlet_id = old.hamlet_id
        old.full_name = None
        old.phone = None
        old.hamlet_id = None
        old.forgotten_at = utcnow()
    record_action(
        db,
        action="person.linked",
        subject_type="person",
        subject_id=owner_id,
        actor_id=owner_id,
        after={"channel": identity.channel, "merged_person": old.id if old else None},
    )
