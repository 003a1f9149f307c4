"""The delegate's dossier: their electoral unit's petitions since the last round, before a round.

Seed 000 has the committee send delegates their documents five days before the meetings; what
voters ask first at a meeting is what became of what they asked last time. So before each
round every delegate gets, for their unit, the petitions received since the previous round
began (and those raised at its meetings), with their field, status and answer, the overdue
ones singled out (`plan_dossiers`, run by the scheduler); a delegate can also ask for it at any
time (`read_dossier`).

What a delegate sees of a petitioner (`storage.petitions.visibility`): the view of a report
that leaves the office (`Viewer.REPORT`) — the name only where the petitioner let it be shown,
never a phone, an address or a point. A delegate is not the office: the dossier is printed and
carried to a public meeting, and a hidden name must stay hidden there too; the delegate needs
what was asked and what became of it, not where the voter lives. Reading it is an audited read
of personal data, in the delegate's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.audit import record_read
from storage.documents import request_document
from storage.messaging.notify import reachable_identity
from storage.models import (
    Agency,
    Commune,
    ContactRound,
    CouncilSession,
    Delegate,
    DossierDelivery,
    ElectoralUnit,
    Field,
    Hamlet,
    Meeting,
    Person,
    Petition,
    Province,
)
from storage.models.base import utcnow
from storage.permissions import NotAllowed
from storage.petitions.petitions import LOCAL
from storage.petitions.visibility import Viewer, petitioner_view

DOSSIER_KIND = "delegate_dossier"
# Statuses in which an answer is still awaited from somebody.
OPEN_STATUSES = frozenset({"received", "classified", "forwarded", "reopened"})
ANSWERED_STATUSES = frozenset({"answered", "closed"})


@dataclass(frozen=True)
class DossierLine:
    """One petition as the dossier shows it."""

    id: int
    code: str
    person_id: int | None  # who sent it by chat, if anyone
    received_on: date
    hamlet: str
    voter: str  # "" when hidden or unknown
    content: str
    source: str  # chat, meeting, question, ...
    field: str  # "" when not classified yet
    field_position: int
    agency: str
    status: str  # the petition's status code ("forwarded", ...)
    due_on: date | None
    answered_on: date | None
    answer: str
    overdue: bool
    merged_into: str  # the code of the petition it was merged into, or ""


@dataclass(frozen=True)
class Dossier:
    """A delegate's dossier: whose, for which unit and round, and the petitions in it."""

    delegate_id: int
    delegate: str
    unit_id: int
    unit: str
    commune: str
    province: str
    round_id: int | None
    round_timing: str  # before, after, or "" without a round
    session: str
    first_meeting: date | None
    since: date | None  # None: everything the unit ever sent
    today: date
    lines: list[DossierLine]


def is_overdue(status: str, due_on: date | None, today: date) -> bool:
    """With the agency past its answer date: the rule the deadline chasers use."""
    return status == "forwarded" and due_on is not None and due_on < today


async def seat_of(db: AsyncSession, person: Person, commune_id: int | None = None
                  ) -> Delegate | None:
    """The person's delegate seat with an electoral unit (in `commune_id`, if given)."""
    query = select(Delegate).where(Delegate.person_id == person.id,
                                   Delegate.electoral_unit_id.is_not(None))
    if commune_id is not None:
        query = query.where(Delegate.commune_id == commune_id)
    return (await db.execute(query.order_by(Delegate.id).limit(1))).scalar_one_or_none()


async def coming_round(db: AsyncSession, commune_id: int, today: date) -> ContactRound | None:
    """The round under way or next to come: the one a dossier asked for now prepares."""
    query = (
        select(ContactRound)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .where(CouncilSession.commune_id == commune_id, ContactRound.window_end >= today)
        .order_by(ContactRound.window_start, ContactRound.id)
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def previous_round(db: AsyncSession, commune_id: int, before: date) -> ContactRound | None:
    """The commune's latest round that began before `before`."""
    query = (
        select(ContactRound)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .where(CouncilSession.commune_id == commune_id, ContactRound.window_start < before)
        .order_by(ContactRound.window_start.desc(), ContactRound.id.desc())
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def unit_petitions(
    db: AsyncSession, commune_id: int, unit_id: int, *, since: datetime | None,
    earlier_round_id: int | None, today: date,
) -> list[DossierLine]:
    """The unit's petitions received from `since` on, and those raised at the unit's meetings
    of `earlier_round_id` whenever they were recorded.

    Two index reads (hamlets by time, meetings by id), so the cost follows the unit's own
    petitions, not the province's.
    """
    hamlet_rows = (await db.execute(
        select(Hamlet.id, Hamlet.name).where(Hamlet.electoral_unit_id == unit_id))).all()
    hamlets = {hamlet_id: name for hamlet_id, name in hamlet_rows}
    ids: set[int] = set()
    if hamlets:
        by_hamlet = select(Petition.id).where(Petition.hamlet_id.in_(list(hamlets)))
        if since is not None:
            by_hamlet = by_hamlet.where(Petition.created_at >= since)
        ids.update((await db.execute(by_hamlet)).scalars())
    if earlier_round_id is not None:
        meetings = select(Meeting.id).where(Meeting.round_id == earlier_round_id,
                                            Meeting.electoral_unit_id == unit_id)
        ids.update((await db.execute(
            select(Petition.id).where(Petition.meeting_id.in_(meetings)))).scalars())
    if not ids:
        return []
    owner = aliased(Person)
    target = aliased(Petition)
    query = (
        select(Petition, Hamlet.name, Field.name, Field.position, Agency.name, owner.full_name,
               target.code)
        .outerjoin(Hamlet, Hamlet.id == Petition.hamlet_id)
        .outerjoin(Field, Field.id == Petition.field_id)
        .outerjoin(Agency, Agency.id == Petition.agency_id)
        .outerjoin(owner, owner.id == Petition.person_id)
        .outerjoin(target, target.id == Petition.merged_into_id)
        .where(Petition.commune_id == commune_id)
        .order_by(Petition.id)
    )
    lines: list[DossierLine] = []
    wanted = sorted(ids)
    # In slices: a unit of a big commune may hold thousands, and IN lists have limits.
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start:start + 1000]
        for petition, hamlet, field, position, agency, name, merged_into in (
                await db.execute(query.where(Petition.id.in_(chunk)))).all():
            view = petitioner_view(petition, Viewer.REPORT, owner_name=name)
            lines.append(DossierLine(
                id=petition.id, code=petition.code, person_id=petition.person_id,
                received_on=petition.created_at.astimezone(LOCAL).date(),
                hamlet=hamlet or "", voter=view.name or "", content=petition.content,
                source=petition.source, field=field or "",
                field_position=position if position is not None else 10_000,
                agency=agency or "", status=petition.status, due_on=petition.due_on,
                answered_on=petition.answered_at.astimezone(LOCAL).date()
                if petition.answered_at else None,
                answer=petition.answer or "",
                overdue=is_overdue(petition.status, petition.due_on, today),
                merged_into=merged_into or "",
            ))
    return lines


def dossier_order(lines: list[DossierLine]) -> list[DossierLine]:
    """Overdue ones first (the nearest to their deadline's end first), then by field."""
    return sorted(lines, key=lambda line: (
        not line.overdue, line.due_on or date.max if line.overdue else date.max,
        line.field_position, line.field, line.received_on, line.id))


async def read_dossier(
    db: AsyncSession, reader: Person, delegate_id: int, *, round_id: int | None = None,
    now: datetime | None = None,
) -> Dossier:
    """The dossier of seat `delegate_id` for `round_id` (or the round under way or next).

    Only the delegate of the seat may read it; the read is written to the audit log.
    """
    now = now or utcnow()
    today = now.astimezone(LOCAL).date()
    seat = await db.get(Delegate, delegate_id)
    if seat is None or seat.person_id != reader.id or seat.electoral_unit_id is None:
        raise NotAllowed(f"person {reader.id} does not hold seat {delegate_id}")
    unit = await db.get(ElectoralUnit, seat.electoral_unit_id)
    commune = await db.get(Commune, seat.commune_id)
    assert unit is not None and commune is not None
    province = await db.get(Province, commune.province_id)
    contact_round = (await db.get(ContactRound, round_id) if round_id is not None
                     else await coming_round(db, commune.id, today))
    session = (await db.get(CouncilSession, contact_round.session_id)
               if contact_round is not None else None)
    if contact_round is not None and (session is None or session.commune_id != commune.id):
        raise NotAllowed(f"round {round_id} is not of commune {commune.id}")
    before = contact_round.window_start if contact_round is not None else today + timedelta(1)
    earlier = await previous_round(db, commune.id, before)
    since = earlier.window_start if earlier is not None else None
    lines = await unit_petitions(
        db, commune.id, unit.id,
        since=datetime.combine(since, time(0), tzinfo=LOCAL) if since else None,
        earlier_round_id=earlier.id if earlier is not None else None, today=today)
    first_meeting = None
    if contact_round is not None:
        first = (await db.execute(select(func.min(Meeting.starts_at)).where(
            Meeting.round_id == contact_round.id, Meeting.electoral_unit_id == unit.id,
            Meeting.status != "cancelled"))).scalar_one_or_none()
        first_meeting = first.astimezone(LOCAL).date() if first is not None else None
    record_read(db, actor_id=reader.id, subject_type="electoral_unit", subject_id=unit.id,
                what="delegate_dossier")
    return Dossier(
        delegate_id=seat.id, delegate=reader.full_name or "", unit_id=unit.id, unit=unit.name,
        commune=commune.name, province=province.name if province else "",
        round_id=contact_round.id if contact_round is not None else None,
        round_timing=contact_round.timing if contact_round is not None else "",
        session=session.title if session is not None else "", first_meeting=first_meeting,
        since=since, today=today, lines=dossier_order(lines),
    )


async def rounds_needing_dossiers(
    db: AsyncSession, days_before: int, now: datetime
) -> list[tuple[int, int]]:
    """(round, commune) of the rounds whose first meeting is at most `days_before` days away
    and not yet begun."""
    first = func.min(Meeting.starts_at)
    query = (
        select(ContactRound.id, CouncilSession.commune_id)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .join(Meeting, Meeting.round_id == ContactRound.id)
        .where(Meeting.status != "cancelled", ContactRound.window_end >= now.astimezone(
            LOCAL).date() - timedelta(days=1))
        .group_by(ContactRound.id, CouncilSession.commune_id)
        .having(first > now, first <= now + timedelta(days=days_before))
        .order_by(ContactRound.id)
    )
    return [(round_id, commune_id) for round_id, commune_id in (await db.execute(query)).all()]


async def plan_dossiers(db: AsyncSession, days_before: int, *, now: datetime | None = None
                        ) -> int:
    """Ask the document worker for each delegate's dossier of each round about to begin.

    Once per seat and round (`DossierDelivery`), for delegates the bot can reach; a delegate
    who joins later gets it on the next run while the round has not begun. Returns how many
    were asked for.
    """
    now = now or utcnow()
    asked = 0
    for round_id, commune_id in await rounds_needing_dossiers(db, days_before, now):
        done = select(DossierDelivery.delegate_id).where(DossierDelivery.round_id == round_id)
        seats = (await db.execute(
            select(Delegate.id, Delegate.person_id)
            .where(Delegate.commune_id == commune_id, Delegate.electoral_unit_id.is_not(None),
                   Delegate.id.not_in(done))
            .order_by(Delegate.id))).all()
        for seat_id, person_id in seats:
            identity = await reachable_identity(db, person_id)
            person = await db.get(Person, person_id)
            if identity is None or person is None:
                continue
            await request_document(db, identity, person, DOSSIER_KIND,
                                   {"delegate_id": seat_id, "round_id": round_id})
            db.add(DossierDelivery(round_id=round_id, delegate_id=seat_id))
            asked += 1
    return asked
