"""Reading the audit log for a commune's office: what happened, when and by which staff member.

An entry carries no commune of its own; it belongs to the commune of what it is about (a
petition, a meeting, a dialogue ...) or, for a person, to the commune where that person holds
a staff role. What is returned says what happened and to which record, never the personal data
an entry may hold (before/after values, reasons typed by staff).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    AuditEntry,
    Broadcast,
    ContactRound,
    CouncilSession,
    Dialogue,
    ElectoralUnit,
    Invite,
    Meeting,
    Person,
    Petition,
    Registration,
    RoleGrant,
)
from storage.petitions.report import local_day_bounds

STAFF = ("office", "admin", "agency", "delegate")
# Kinds of entry the office filters by: the actions whose names start so.
KINDS: dict[str, tuple[str, ...]] = {
    "petitions": ("petition.",),
    "meetings": ("meeting.", "round.", "session.", "report_back.", "question."),
    "dialogues": ("dialogue.", "questions."),
    "broadcasts": ("broadcast.",),
    "reads": ("personal_data.read",),
    "access": ("panel.", "role.", "invite.", "person.", "consent."),
    "setup": ("commune.",),
}


@dataclass(frozen=True)
class AuditQuery:
    kind: str = ""  # a key of KINDS, or "" for every kind
    first: date | None = None
    last: date | None = None
    actor_id: int | None = None


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    action: str
    subject_type: str
    subject_id: int | None
    # The petition's code, for an entry about a petition (a code is not personal data).
    petition_code: str | None
    # The staff member who acted, by name; None for a citizen or the system.
    actor_name: str | None
    actor_role: str | None
    # Who acted, in a word: "staff", "citizen", "system", or "" (someone since erased).
    by: str
    what: str | None  # for a read: which screen or file ("card", "petition_report")


@dataclass(frozen=True)
class StaffMember:
    person_id: int
    name: str
    role: str


def _of_commune(commune_id: int) -> ColumnElement[bool]:
    """The entries that belong to the commune, by the type of what they are about."""
    subject = AuditEntry.subject_id
    meetings = (select(Meeting.id).join(ContactRound, ContactRound.id == Meeting.round_id)
                .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
                .where(CouncilSession.commune_id == commune_id))
    rounds = (select(ContactRound.id)
              .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
              .where(CouncilSession.commune_id == commune_id))
    by_type: dict[str, ColumnElement[bool]] = {
        "petition": subject.in_(select(Petition.id).where(Petition.commune_id == commune_id)),
        "meeting": subject.in_(meetings),
        "contact_round": subject.in_(rounds),
        "council_session": subject.in_(select(CouncilSession.id).where(
            CouncilSession.commune_id == commune_id)),
        "dialogue": subject.in_(select(Dialogue.id).where(Dialogue.commune_id == commune_id)),
        "registration": subject.in_(
            select(Registration.id).join(Dialogue, Dialogue.id == Registration.dialogue_id)
            .where(Dialogue.commune_id == commune_id)),
        "broadcast": subject.in_(select(Broadcast.id).where(Broadcast.commune_id == commune_id)),
        "electoral_unit": subject.in_(select(ElectoralUnit.id).where(
            ElectoralUnit.commune_id == commune_id)),
        "invite": subject.in_(select(Invite.id).where(Invite.commune_id == commune_id)),
        "commune": subject == commune_id,
        "person": subject.in_(select(RoleGrant.person_id).where(
            RoleGrant.commune_id == commune_id, RoleGrant.role.in_(STAFF))),
    }
    return or_(*[and_(AuditEntry.subject_type == kind, condition)
                 for kind, condition in by_type.items()])


def _of_kind(kind: str) -> ColumnElement[bool] | None:
    prefixes = KINDS.get(kind)
    if prefixes is None:
        return None
    return or_(*[AuditEntry.action.startswith(prefix, autoescape=True) for prefix in prefixes])


async def find_audit_entries(
    db: AsyncSession, commune_id: int, wanted: AuditQuery, *, offset: int = 0, limit: int = 50
) -> tuple[list[AuditLine], int]:
    """The commune's entries matching `wanted`, newest first, and how many match in all."""
    conditions = [_of_commune(commune_id)]
    kind = _of_kind(wanted.kind)
    if kind is not None:
        conditions.append(kind)
    elif wanted.kind:
        conditions.append(false())
    if wanted.first is not None:
        conditions.append(AuditEntry.at >= local_day_bounds(wanted.first, wanted.first)[0])
    if wanted.last is not None:
        conditions.append(AuditEntry.at < local_day_bounds(wanted.last, wanted.last)[1])
    if wanted.actor_id is not None:
        conditions.append(AuditEntry.actor_id == wanted.actor_id)
    total = int((await db.execute(
        select(func.count()).select_from(AuditEntry).where(*conditions))).scalar_one())
    actor = aliased(Person)
    role = (select(func.min(RoleGrant.role))
            .where(RoleGrant.person_id == AuditEntry.actor_id,
                   RoleGrant.commune_id == commune_id, RoleGrant.role.in_(STAFF))
            .correlate(AuditEntry).scalar_subquery())
    query = (
        select(AuditEntry, Petition.code, actor.full_name, role)
        .outerjoin(Petition, and_(AuditEntry.subject_type == "petition",
                                  Petition.id == AuditEntry.subject_id))
        .outerjoin(actor, actor.id == AuditEntry.actor_id)
        .where(*conditions)
        # Newest first by id (written in time order): the key's own index, read backwards.
        .order_by(AuditEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    lines = []
    for entry, code, name, staff_role in (await db.execute(query)).tuples():
        what = (entry.after or {}).get("what") if entry.action == "personal_data.read" else None
        lines.append(AuditLine(
            id=entry.id, at=entry.at, action=entry.action, subject_type=entry.subject_type,
            subject_id=entry.subject_id, petition_code=code,
            # Only a staff member is named: a citizen who acted stays "a citizen".
            actor_name=(name or "") if staff_role else None, actor_role=staff_role,
            by=("staff" if staff_role else "system" if entry.actor_label != "person"
                else "citizen" if entry.actor_id is not None else ""),
            what=str(what) if what else None,
        ))
    return lines, total


async def commune_staff(db: AsyncSession, commune_id: int) -> list[StaffMember]:
    """Who works for the commune (office, admins, agencies, delegates), for the log's filter."""
    query = (
        select(Person.id, Person.full_name, func.min(RoleGrant.role))
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.commune_id == commune_id, RoleGrant.role.in_(STAFF),
               Person.forgotten_at.is_(None))
        .group_by(Person.id, Person.full_name)
        .order_by(Person.full_name, Person.id)
    )
    return [StaffMember(person_id, name or "", role)
            for person_id, name, role in (await db.execute(query)).tuples()]
