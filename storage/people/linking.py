"""Joining two channel accounts into one person, only on proof.

A phone typed on Zalo is a claim, not proof: when it matches a phone that Telegram verified,
a one-time code goes to that Telegram account and must be typed back on Zalo. A typed phone
never merges anything by itself, otherwise anyone could read another citizen's petitions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.messaging.outbox import URGENT, enqueue_message
from storage.models import ChannelIdentity, Consent, LinkCode, Person, RoleGrant
from storage.models.base import utcnow
from storage.people.people import person_of

MAX_CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class PhoneSaved:
    """The phone was stored on this person, unverified."""


@dataclass(frozen=True)
class CodeSent:
    """The phone belongs to a verified account elsewhere: a code went there."""

    channel: str


PhoneClaim = PhoneSaved | CodeSent


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def claim_phone(
    db: AsyncSession, identity: ChannelIdentity, person: Person, phone: str, *, minutes: int = 10
) -> PhoneClaim:
    owner_query = select(Person).where(
        Person.phone == phone, Person.phone_verified.is_(True), Person.id != person.id
    )
    owner = (await db.execute(owner_query.limit(1))).scalar_one_or_none()
    target = None if owner is None else await _reachable_elsewhere(db, owner, identity.channel)
    if owner is None or target is None:
        if person.phone != phone:
            person.phone = phone
            person.phone_verified = False
        return PhoneSaved()
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
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    enqueue_message(
        db,
        target,
        {
            "notice": "link_code",
            "params": {"code": code, "channel": identity.channel},
            "locale": target.locale,
        },
        priority=URGENT,
    )
    return CodeSent(channel=target.channel)


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
