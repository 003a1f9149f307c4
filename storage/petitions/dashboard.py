"""The office's figures at a glance: what is new, late and answered, where, and how fast.

Counts only, never who: the dashboard holds no personal data, so reading it is not a read of
personal data (the petition pages behind its links are).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Field, Hamlet, Petition
from storage.petitions.petitions import LOCAL
from storage.petitions.statuses import OPEN

MONTHS = 6
# Answer times are read from the latest answers only: enough for a commune's figure.
ANSWER_SAMPLE = 5000


@dataclass(frozen=True)
class Share:
    id: int | None  # the field's or hamlet's id (None: not classified / no hamlet)
    name: str | None
    count: int


@dataclass(frozen=True)
class Month:
    first_day: date
    received: int
    answered: int


@dataclass(frozen=True)
class PetitionFigures:
    new: int  # received or reopened: waiting for the office
    open: int
    overdue: int  # at an agency past its answer date
    answered_this_month: int
    by_field: list[Share]  # open petitions
    by_hamlet: list[Share]
    months: list[Month]  # oldest first, this month last
    median_answer_days: float | None  # from sending to answer, the last 180 days
    answered_within_15_days: float | None  # share of those answers


def _month_start(day: date, back: int = 0) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL)


async def _count(db: AsyncSession, *conditions: object) -> int:
    query = select(func.count()).select_from(Petition).where(*conditions)  # type: ignore[arg-type]
    return int((await db.execute(query)).scalar_one())


async def _shares(db: AsyncSession, commune_id: int, column: object, model: type[Field] |
                  type[Hamlet]) -> list[Share]:
    query = (
        select(column, model.name, func.count())  # type: ignore[call-overload]
        .select_from(Petition)
        .outerjoin(model, model.id == column)
        .where(Petition.commune_id == commune_id,
               Petition.status.in_([s.value for s in OPEN]))
        .group_by(column, model.name)
        .order_by(func.count().desc())
    )
    return [Share(key, name, count) for key, name, count in (await db.execute(query)).all()]


async def petition_figures(db: AsyncSession, commune_id: int, today: date) -> PetitionFigures:
    mine = Petition.commune_id == commune_id
    this_month = _local_midnight(_month_start(today))
    months = []
    for back in range(MONTHS - 1, -1, -1):
        first = _month_start(today, back)
        start, end = _local_midnight(first), _local_midnight(_month_start(first, -1))
        months.append(Month(
            first,
            await _count(db, mine, Petition.created_at >= start, Petition.created_at < end),
            await _count(db, mine, Petition.answered_at >= start, Petition.answered_at < end),
        ))
    since = _local_midnight(today - timedelta(days=180))
    answered = (await db.execute(
        select(Petition.created_at, Petition.answered_at)
        .where(mine, Petition.answered_at >= since)
        .order_by(Petition.answered_at.desc())
        .limit(ANSWER_SAMPLE))).all()
    days = [(done - sent).total_seconds() / 86400 for sent, done in answered]
    return PetitionFigures(
        new=await _count(db, mine, Petition.status.in_(("received", "reopened"))),
        open=await _count(db, mine, Petition.status.in_([s.value for s in OPEN])),
        overdue=await _count(db, mine, Petition.status == "forwarded", Petition.due_on < today),
        answered_this_month=await _count(db, mine, Petition.answered_at >= this_month),
        by_field=await _shares(db, commune_id, Petition.field_id, Field),
        by_hamlet=await _shares(db, commune_id, Petition.hamlet_id, Hamlet),
        months=months,
        median_answer_days=round(median(days), 1) if days else None,
        answered_within_15_days=(sum(1 for d in days if d <= 15) / len(days)) if days else None,
    )
