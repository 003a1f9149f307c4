"""Chasing answers: reminders before a petition's deadline and daily nudges once it is overdue.

Run once a working day by the scheduler. Every notice carries a key made of the petition and
the day, so a second run (a restart, a second replica) sends nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.messaging.notify import notify_person
from storage.models import Petition, RoleGrant
from storage.permissions import office_staff
from storage.working_days import add_working_days

DUE_SOON_DAYS = 2


@dataclass(frozen=True)
class Chased:
    due_soon: int
    overdue: int


async def _officers(db: AsyncSession, agency_ids: set[int]) -> dict[int, set[int]]:
    rows = await db.execute(
        select(RoleGrant.agency_id, RoleGrant.person_id).where(
            RoleGrant.role == "agency", RoleGrant.agency_id.in_(agency_ids)
        )
    )
    found: dict[int, set[int]] = defaultdict(set)
    for agency_id, person_id in rows.all():
        if agency_id is not None:
            found[agency_id].add(person_id)
    return found


async def remind_petition_deadlines(db: AsyncSession, today: date) -> Chased:
    """Tell agency officers what falls due soon and what is overdue; give the office a digest."""
    soon = add_working_days(today, DUE_SOON_DAYS)
    query = select(Petition).where(
        Petition.status == "forwarded", Petition.due_on.is_not(None), Petition.due_on <= soon
    ).order_by(Petition.due_on, Petition.id)
    petitions = list((await db.execute(query)).scalars())
    officers = await _officers(db, {p.agency_id for p in petitions if p.agency_id is not None})
    overdue_by_commune: dict[int, list[Petition]] = defaultdict(list)
    due_soon = overdue = 0
    for petition in petitions:
        assert petition.due_on is not None
        late = petition.due_on < today
        if late:
            overdue += 1
            overdue_by_commune[petition.commune_id].append(petition)
        elif petition.due_on == soon:
            due_soon += 1
        else:
            continue  # due between now and `soon`: it was reminded on its day already
        notice = "petition_overdue" if late else "petition_due_soon"
        for person_id in officers.get(petition.agency_id or 0, ()):
            await notify_person(
                db, person_id, notice,
                {"id": petition.id, "code": petition.code, "due_on": petition.due_on.isoformat()},
                dedupe_key=f"{notice}:{petition.id}:{today.isoformat()}:{person_id}",
            )
    for commune_id, late_ones in overdue_by_commune.items():
        for person_id in await office_staff(db, commune_id):
            await notify_person(
                db, person_id, "petitions_overdue_digest",
                {"count": len(late_ones), "codes": [p.code for p in late_ones[:20]]},
                dedupe_key=f"overdue-digest:{commune_id}:{today.isoformat()}:{person_id}",
            )
    return Chased(due_soon=due_soon, overdue=overdue)
