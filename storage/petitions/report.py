"""The rows of a consolidated petition report: a commune's petitions received in a period.

Names appear only as `storage.petitions.visibility` lets a report show them: the report goes
to agencies and the Front as well as the office. Making one is a staff read of personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.audit import record_read
from storage.models import Agency, Field, Hamlet, Meeting, Person, Petition
from storage.petitions.petitions import LOCAL
from storage.petitions.visibility import Viewer, petitioner_view


@dataclass(frozen=True)
class ReportLine:
    code: str
    received_on: date
    hamlet: str
    voter: str
    content: str
    competence: str
    field: str
    agency: str
    status: str
    due_on: date | None
    answered_on: date | None
    answer: str


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(0), tzinfo=LOCAL)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=LOCAL)
    return start, end


async def report_lines(
    db: AsyncSession, commune_id: int, first: date, last: date, *, round_id: int | None = None,
    reader: Person | None = None,
) -> list[ReportLine]:
    """Petitions received from `first` to `last` (local days, inclusive), merged ones left out.

    With `round_id`, the voter-contact round's report: what its meetings collected (and the
    questions sent for them), plus what came in directly during its window. The `reader`
    who asked is recorded in the audit log.
    """
    start, end = local_day_bounds(first, last)
    received = (Petition.created_at >= start) & (Petition.created_at < end)
    if round_id is not None:
        of_round = select(Meeting.id).where(Meeting.round_id == round_id)
        received = received | Petition.meeting_id.in_(of_round)
    owner = aliased(Person)
    query = (
        select(Petition, Hamlet.name, Field.name, Agency.name, owner.full_name)
        .outerjoin(Hamlet, Hamlet.id == Petition.hamlet_id)
        .outerjoin(Field, Field.id == Petition.field_id)
        .outerjoin(Agency, Agency.id == Petition.agency_id)
        .outerjoin(owner, owner.id == Petition.person_id)
        .where(
            Petition.commune_id == commune_id,
            received,
            Petition.status != "merged",
        )
        .order_by(Petition.id)
    )
    if reader is not None:
        record_read(db, actor_id=reader.id, subject_type="commune", subject_id=commune_id,
                    what="petition_report")
    lines = []
    for petition, hamlet, field, agency, name in (await db.execute(query)).all():
        voter = petitioner_view(petition, Viewer.REPORT, owner_name=name).name or ""
        lines.append(ReportLine(
            code=petition.code,
            received_on=petition.created_at.astimezone(LOCAL).date(),
            hamlet=hamlet or "",
            voter=voter,
            content=petition.content,
            competence=petition.competence or "",
            field=field or "",
            agency=agency or "",
            status=petition.status,
            due_on=petition.due_on,
            answered_on=petition.answered_at.astimezone(LOCAL).date()
            if petition.answered_at else None,
            answer=petition.answer or "",
        ))
    return lines
