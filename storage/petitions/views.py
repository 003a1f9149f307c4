"""Reading petitions for staff and agencies: the inbox, an agency's queue, and a petition's card.

The card shows the petitioner only as `storage.petitions.visibility` allows this reader, and a
staff member's or officer's opening of it is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_read
from storage.models import (
    Agency,
    AuditEntry,
    Field,
    Hamlet,
    Meeting,
    Person,
    Petition,
    PetitionAttachment,
    RoleGrant,
)
from storage.petitions.duplicates import find_similar_petitions
from storage.petitions.visibility import PetitionerView, Viewer, owner_view, viewer_from
from storage.petitions.workflow import OPEN, actor_kinds

PAGE = 8
FILTERS = ("new", "open", "overdue", "answered")


@dataclass(frozen=True)
class InboxLine:
    id: int
    code: str
    status: str
    hamlet: str | None
    content: str
    due_on: date | None


@dataclass(frozen=True)
class PetitionCard:
    petition: Petition
    hamlet: str | None
    field: str | None
    agency: str | None
    petitioner: PetitionerView  # as much as this reader may see
    attachments: int
    overdue: bool
    viewer: Viewer  # how the reader stands to it
    meeting: Meeting | None = None  # the meeting a voter's question was sent for
    # Codes of open petitions that likely say the same (shown to the office, who may merge).
    similar: tuple[str, ...] = ()


def _filtered(commune_id: int, name: str, today: date) -> Select[tuple[int]]:
    query = select(Petition.id).where(Petition.commune_id == commune_id)
    kind, _, value = name.partition(":")
    if kind == "new":
        return query.where(Petition.status.in_(("received", "reopened")))
    if kind == "overdue":
        return query.where(Petition.status == "forwarded", Petition.due_on < today)
    if kind == "answered":
        return query.where(Petition.status == "answered")
    open_ones = query.where(Petition.status.in_([s.value for s in OPEN]))
    if kind == "field" and value.isdigit():
        return open_ones.where(Petition.field_id == int(value))
    if kind == "hamlet" and value.isdigit():
        return open_ones.where(Petition.hamlet_id == int(value))
    return open_ones


async def list_inbox(
    db: AsyncSession, commune_id: int, name: str, today: date, *, offset: int = 0,
    limit: int = PAGE,
) -> tuple[list[InboxLine], int]:
    """One page of a commune's petitions under a filter, newest first, and how many match."""
    ids = _filtered(commune_id, name, today)
    total = (await db.execute(select(func.count()).select_from(ids.subquery()))).scalar_one()
    # Page the ids first, then read the rows: a prepared statement's generic plan otherwise
    # looks up every matching petition before sorting (bench/petitions, 1M rows).
    page = ids.order_by(Petition.id.desc()).offset(offset).limit(limit).subquery()
    query = (
        select(Petition.id, Petition.code, Petition.status, Hamlet.name, Petition.content,
               Petition.due_on)
        .join(page, page.c.id == Petition.id)
        .outerjoin(Hamlet, Hamlet.id == Petition.hamlet_id)
        .order_by(Petition.id.desc())
    )
    lines = [InboxLine(*row) for row in (await db.execute(query)).all()]
    return lines, total


async def agency_queue(
    db: AsyncSession, agency_id: int, *, offset: int = 0, limit: int = PAGE
) -> list[InboxLine]:
    """What an agency still has to answer, the nearest deadline first."""
    query = (
        select(Petition.id, Petition.code, Petition.status, Hamlet.name, Petition.content,
               Petition.due_on)
        .outerjoin(Hamlet, Hamlet.id == Petition.hamlet_id)
        .where(Petition.agency_id == agency_id, Petition.status == "forwarded")
        .order_by(Petition.due_on, Petition.id)
        .offset(offset)
        .limit(limit)
    )
    return [InboxLine(*row) for row in (await db.execute(query)).all()]


async def can_open_petition(db: AsyncSession, petition: Petition, reader: Person) -> bool:
    """Whether the reader stands to the petition at all (staff, its agency, a petitioner)."""
    return viewer_from(await actor_kinds(db, petition, reader)) is not None


async def petition_card(
    db: AsyncSession, petition: Petition, reader: Person, today: date
) -> PetitionCard | None:
    """The petition as this reader may see it; None if they may not see it at all.

    Staff and agency officers opening it are recorded as a read of personal data.
    """
    viewer = viewer_from(await actor_kinds(db, petition, reader))
    if viewer is None:
        return None
    hamlet = await db.get(Hamlet, petition.hamlet_id) if petition.hamlet_id else None
    field = await db.get(Field, petition.field_id) if petition.field_id else None
    agency = await db.get(Agency, petition.agency_id) if petition.agency_id else None
    owner = await db.get(Person, petition.person_id) if petition.person_id else None
    attachments = (
        await db.execute(
            select(func.count()).where(PetitionAttachment.petition_id == petition.id)
        )
    ).scalar_one()
    overdue = petition.status == "forwarded" and petition.due_on is not None and (
        petition.due_on < today)
    similar: tuple[str, ...] = ()
    if viewer is Viewer.OFFICE and petition.status in OPEN:
        similar = tuple(s.code for s in await find_similar_petitions(
            db, petition.commune_id, petition.content, exclude_id=petition.id, limit=3))
    if viewer in (Viewer.OFFICE, Viewer.AGENCY):
        record_read(db, actor_id=reader.id, subject_type="petition", subject_id=petition.id,
                    what="card")
    return PetitionCard(
        petition=petition,
        hamlet=hamlet.name if hamlet else None,
        field=field.name if field else None,
        agency=agency.name if agency else None,
        petitioner=owner_view(petition, owner, viewer),
        attachments=attachments,
        overdue=overdue,
        viewer=viewer,
        meeting=await db.get(Meeting, petition.meeting_id) if petition.meeting_id else None,
        similar=similar,
    )


async def agencies_of_officer(db: AsyncSession, person: Person | None) -> list[int]:
    """The agencies a person answers for (bound by an agency invite)."""
    if person is None or person.forgotten_at is not None:
        return []
    query = select(RoleGrant.agency_id).where(
        RoleGrant.person_id == person.id, RoleGrant.role == "agency",
        RoleGrant.agency_id.is_not(None),
    )
    return sorted({a for a in (await db.execute(query)).scalars() if a is not None})


@dataclass(frozen=True)
class MoveLine:
    at: datetime
    action: str  # "petition.forwarded"
    reason: str | None
    by_staff: bool  # made by someone of the office or an agency, not by a petitioner


async def petition_moves(db: AsyncSession, petition: Petition) -> list[MoveLine]:
    """The petition's whole history as the office reads it: every move, with its reason."""
    query = (
        select(AuditEntry.at, AuditEntry.action, AuditEntry.reason, AuditEntry.actor_id)
        .where(AuditEntry.subject_type == "petition", AuditEntry.subject_id == petition.id,
               AuditEntry.action.like("petition.%"))
        .order_by(AuditEntry.id)
    )
    petitioners = {petition.person_id}
    return [MoveLine(at, action, reason, actor is not None and actor not in petitioners)
            for at, action, reason, actor in (await db.execute(query)).all()]
