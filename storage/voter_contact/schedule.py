"""The office's view of the voter-contact plan: a commune's meetings in a stretch of days.

One row per meeting with what a calendar and a list show (its unit, round, delegates, how
many said they will come, whether it was moved), read in a few queries whatever the number
of meetings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEntry,
    ContactRound,
    CouncilSession,
    Delegate,
    ElectoralUnit,
    Meeting,
    MeetingDelegate,
    Person,
)
from storage.petitions.report import local_day_bounds
from storage.voter_contact.attendance import CANNOT_ATTEND, WILL_ATTEND


@dataclass(frozen=True)
class ScheduledMeeting:
    id: int
    starts_at: datetime
    ends_at: datetime
    place: str
    unit: str
    session: str
    timing: str  # before, after
    status: str  # planned, held, cancelled
    moved: bool
    delegates: list[str]
    will_attend: int
    cannot_attend: int
    silent: int
    voters_present: int | None


async def meetings_between(
    db: AsyncSession, commune_id: int, first: date, last: date
) -> list[ScheduledMeeting]:
    """The commune's meetings from `first` to `last` (local days, inclusive), by start."""
    start, end = local_day_bounds(first, last)
    query = (
        select(Meeting, ElectoralUnit.name, CouncilSession.title, ContactRound.timing)
        .join(ContactRound, ContactRound.id == Meeting.round_id)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .join(ElectoralUnit, ElectoralUnit.id == Meeting.electoral_unit_id)
        .where(CouncilSession.commune_id == commune_id, Meeting.starts_at >= start,
               Meeting.starts_at < end)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    found = (await db.execute(query)).tuples().all()
    ids = [meeting.id for meeting, *_ in found]
    if not ids:
        return []
    names: dict[int, list[str]] = defaultdict(list)
    answers: dict[int, Counter[str]] = defaultdict(Counter)
    for meeting_id, answer, name in (await db.execute(
        select(MeetingDelegate.meeting_id, MeetingDelegate.attendance, Person.full_name)
        .join(Delegate, Delegate.id == MeetingDelegate.delegate_id)
        .join(Person, Person.id == Delegate.person_id)
        .where(MeetingDelegate.meeting_id.in_(ids))
        .order_by(Delegate.id))).tuples():
        if name:
            names[meeting_id].append(name)
        answers[meeting_id][answer] += 1
    moved = set((await db.execute(
        select(AuditEntry.subject_id).where(
            AuditEntry.action == "meeting.moved", AuditEntry.subject_type == "meeting",
            AuditEntry.subject_id.in_(ids)))).scalars())
    rows = []
    for meeting, unit, session, timing in found:
        counted = answers[meeting.id]
        rows.append(ScheduledMeeting(
            id=meeting.id, starts_at=meeting.starts_at, ends_at=meeting.ends_at,
            place=meeting.place, unit=unit, session=session, timing=timing,
            status=meeting.status, moved=meeting.id in moved, delegates=names[meeting.id],
            will_attend=counted[WILL_ATTEND], cannot_attend=counted[CANNOT_ATTEND],
            silent=sum(counted.values()) - counted[WILL_ATTEND] - counted[CANNOT_ATTEND],
            voters_present=meeting.voters_present,
        ))
    return rows
