"""A province admin's overview: every commune's figures side by side, in a few queries.

A province has about a hundred communes; the overview is computed with one grouped query per
figure (people, petitions, meetings), never one query per commune.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Commune,
    ContactRound,
    CouncilSession,
    Hamlet,
    Meeting,
    Person,
    Petition,
    Province,
)
from storage.permissions import NotAllowed, provinces_administered
from storage.petitions.workflow import OPEN, Status


@dataclass(frozen=True)
class CommuneFigures:
    commune_id: int
    name: str
    people: int  # residents who registered (with a hamlet there)
    petitions_open: int
    petitions_overdue: int  # forwarded, and the agency's answer is late
    petitions_answered: int
    meetings_coming: int  # voter-contact meetings planned from now on


@dataclass(frozen=True)
class ProvinceOverview:
    province: str
    communes: list[CommuneFigures]


async def province_overview(
    db: AsyncSession, reader: Person | None, province_id: int, *, today: date, now: datetime
) -> ProvinceOverview:
    """Figures of each commune of the province, for its admin only."""
    if province_id not in await provinces_administered(db, reader):
        raise NotAllowed("only the province's admin sees every commune's figures")
    province = await db.get(Province, province_id)
    assert province is not None  # the grant's foreign key
    communes = (await db.execute(
        select(Commune.id, Commune.name).where(Commune.province_id == province_id)
        .order_by(Commune.name))).all()
    in_province = select(Commune.id).where(Commune.province_id == province_id)
    people = dict((await db.execute(
        select(Hamlet.commune_id, func.count(Person.id))
        .join(Person, Person.hamlet_id == Hamlet.id)
        .where(Hamlet.commune_id.in_(in_province), Person.forgotten_at.is_(None))
        .group_by(Hamlet.commune_id))).tuples().all())
    open_statuses = [str(s) for s in OPEN]
    petitions = {row[0]: row[1:] for row in (await db.execute(
        select(
            Petition.commune_id,
            func.sum(case((Petition.status.in_(open_statuses), 1), else_=0)),
            func.sum(case(((Petition.status == Status.FORWARDED) & (Petition.due_on < today),
                           1), else_=0)),
            func.sum(case((Petition.status.in_([Status.ANSWERED, Status.CLOSED]), 1),
                          else_=0)),
        )
        .where(Petition.commune_id.in_(in_province))
        .group_by(Petition.commune_id))).tuples().all()}
    meetings = dict((await db.execute(
        select(CouncilSession.commune_id, func.count(Meeting.id))
        .join(ContactRound, ContactRound.session_id == CouncilSession.id)
        .join(Meeting, Meeting.round_id == ContactRound.id)
        .where(CouncilSession.commune_id.in_(in_province), Meeting.starts_at >= now,
               Meeting.status == "planned")
        .group_by(CouncilSession.commune_id))).tuples().all())
    figures = []
    for commune_id, name in communes:
        opened, overdue, answered = (int(n or 0) for n in petitions.get(commune_id, (0, 0, 0)))
        figures.append(CommuneFigures(
            commune_id, name, int(people.get(commune_id, 0)), opened, overdue, answered,
            int(meetings.get(commune_id, 0)),
        ))
    return ProvinceOverview(province.name, figures)
