"""The office's figures at a glance: what is new, late and answered, where, and how fast.

Counts only, never who: the dashboard holds no personal data, so reading it is not a read of
personal data (the petition pages behind its links are).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Petition
from storage.petitions.petitions import LOCAL
from storage.petitions.statuses import OPEN
from storage.places import list_fields, list_hamlets

MONTHS = 6
# Answer times are read from the latest answers only: enough for a commune's figure.
ANSWER_SAMPLE = 1000


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


async def _shares(db: AsyncSession, commune_id: int) -> tuple[list[Share], list[Share]]:
    """Open petitions by field and by hamlet, from one pass over the commune's open ones."""
    query = (
        select(Petition.field_id, Petition.hamlet_id, func.count())
        .where(Petition.commune_id == commune_id,
               Petition.status.in_([s.value for s in OPEN]))
        .group_by(Petition.field_id, Petition.hamlet_id)
    )
    by_field: Counter[int | None] = Counter()
    by_hamlet: Counter[int | None] = Counter()
    for field_id, hamlet_id, count in (await db.execute(query)).all():
        by_field[field_id] += count
        by_hamlet[hamlet_id] += count
    fields = {f.id: f.name for f in await list_fields(db, commune_id)}
    hamlets = {h.id: h.name for h in await list_hamlets(db, commune_id)}

    def shares(counts: Counter[int | None], names: dict[int, str]) -> list[Share]:
        return [Share(key, names.get(key) if key is not None else None, count)
                for key, count in sorted(counts.items(),
                                          key=lambda item: (-item[1], names.get(item[0] or 0, "")))]

    return shares(by_field, fields), shares(by_hamlet, hamlets)


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
    by_field, by_hamlet = await _shares(db, commune_id)
    return PetitionFigures(
        new=await _count(db, mine, Petition.status.in_(("received", "reopened"))),
        open=await _count(db, mine, Petition.status.in_([s.value for s in OPEN])),
        overdue=await _count(db, mine, Petition.status == "forwarded", Petition.due_on < today),
        answered_this_month=await _count(db, mine, Petition.answered_at >= this_month),
        by_field=by_field,
        by_hamlet=by_hamlet,
        months=months,
        median_answer_days=round(median(days), 1) if days else None,
        answered_within_15_days=(sum(1 for d in days if d <= 15) / len(days)) if days else None,
    )
