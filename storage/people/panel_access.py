"""Signing in to the office's web panel without passwords: a one-time link, then a session.

A staff member asks the bot for a link; it works once, within minutes, and opens a session in
that browser. Tokens are random (256 bits) and only their SHA-256 is stored. Who may use the
panel, and in which communes, is the chat's own rule (`storage.permissions`), asked again on
every request: a role taken away closes the panel at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.models import ChannelIdentity, PanelSession, PanelSignIn, Person
from storage.models.base import utcnow
from storage.permissions import OFFICE_ROLES, NotAllowed, communes_where

# Who works in the panel: the commune office, as in the chat's inbox.
PANEL_ROLES = OFFICE_ROLES


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_sign_in(
    db: AsyncSession, person: Person, *, minutes: int, now: datetime | None = None
) -> str:
    """A new one-time sign-in token for a staff member; NotAllowed for anyone else."""
    if not await communes_where(db, person, PANEL_ROLES):
        raise NotAllowed("the panel is for the commune office")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.add(PanelSignIn(token_hash=_hash(token), person_id=person.id, created_at=now,
                       expires_at=now + timedelta(minutes=minutes)))
    record_action(db, action="panel.link_issued", subject_type="person", subject_id=person.id,
                  actor_id=person.id)
    return token


@dataclass(frozen=True)
class OpenedSession:
    token: str  # goes into the cookie; only its hash is kept
    csrf_token: str
    person_id: int


async def redeem_sign_in(
    db: AsyncSession, token: str, *, hours: int, now: datetime | None = None
) -> OpenedSession | None:
    """Spend a sign-in token and open a session; None if it is unknown, used or expired.

    The use is a conditional update: two browsers racing with one link never both get in.
    """
    now = now or utcnow()
    found = (await db.execute(select(PanelSignIn).where(
        PanelSignIn.token_hash == _hash(token)))).scalar_one_or_none()
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    taken = await db.execute(update(PanelSignIn).where(
        PanelSignIn.id == found.id, PanelSignIn.used_at.is_(None)).values(used_at=now))
    if not getattr(taken, "rowcount", 0):
        return None
    person = await db.get(Person, found.person_id)
    if person is None or not await communes_where(db, person, PANEL_ROLES):
        return None
    return open_session(db, person, hours=hours, now=now)


def open_session(db: AsyncSession, person: Person, *, hours: int,
                 now: datetime | None = None) -> OpenedSession:
    now = now or utcnow()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.add(PanelSession(token_hash=_hash(token), person_id=person.id, csrf_token=csrf,
                        created_at=now, expires_at=now + timedelta(hours=hours)))
    record_action(db, action="panel.signed_in", subject_type="person", subject_id=person.id,
                  actor_id=person.id)
    return OpenedSession(token, csrf, person.id)


@dataclass(frozen=True)
class ActiveSession:
    person: Person
    csrf_token: str
    session_id: int
    locale: str | None  # the language they chose in the chat, if they chose one


async def active_session(
    db: AsyncSession, token: str, *, now: datetime | None = None
) -> ActiveSession | None:
    """The signed-in person behind a session cookie, if the session still holds."""
    if not token:
        return None
    now = now or utcnow()
    found = (await db.execute(select(PanelSession).where(
        PanelSession.token_hash == _hash(token)))).scalar_one_or_none()
    if found is None or found.ended_at is not None or found.expires_at <= now:
        return None
    person = await db.get(Person, found.person_id)
    if person is None or person.forgotten_at is not None:
        return None
    locale = (await db.execute(
        select(ChannelIdentity.locale)
        .where(ChannelIdentity.person_id == person.id, ChannelIdentity.locale.is_not(None))
        .order_by(ChannelIdentity.id).limit(1))).scalar_one_or_none()
    return ActiveSession(person, found.csrf_token, found.id, locale)


async def end_session(db: AsyncSession, token: str, *, now: datetime | None = None) -> None:
    await db.execute(update(PanelSession).where(
        PanelSession.token_hash == _hash(token), PanelSession.ended_at.is_(None)
    ).values(ended_at=now or utcnow()))


async def end_all_sessions(db: AsyncSession, person: Person, *,
                           now: datetime | None = None) -> int:
    """Sign out everywhere: every browser of this person, and links not yet used."""
    now = now or utcnow()
    ended = await db.execute(update(PanelSession).where(
        PanelSession.person_id == person.id, PanelSession.ended_at.is_(None)
    ).values(ended_at=now))
    await db.execute(update(PanelSignIn).where(
        PanelSignIn.person_id == person.id, PanelSignIn.used_at.is_(None)).values(used_at=now))
    record_action(db, action="panel.signed_out_everywhere", subject_type="person",
                  subject_id=person.id, actor_id=person.id)
    return int(getattr(ended, "rowcount", 0) or 0)


async def erase_panel_access(db: AsyncSession, person_id: int) -> None:
    """For /forget: the person's sessions and sign-in links go, used or not."""
    await db.execute(delete(PanelSession).where(PanelSession.person_id == person_id))
    await db.execute(delete(PanelSignIn).where(PanelSignIn.person_id == person_id))
