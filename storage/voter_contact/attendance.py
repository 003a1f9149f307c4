"""Who will come to a meeting: the office's view of its delegates' answers, and the nudge.

Delegates answer "will attend" / "cannot attend" from their reminders
(`storage.voter_contact.meetings.set_attendance`); the office sees who said which and who has
not said, and may remind only the silent ones, once a day, with the same two buttons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.messaging.notify import notify_person, reachable_identity
from storage.models import Delegate, Meeting, MeetingDelegate, Person
from storage.models.base import utcnow
from storage.permissions import OFFICE_ROLES, require_role
from storage.petitions.petitions import LOCAL
from storage.voter_contact.meetings import BadPlan, commune_of_meeting
from storage.voter_contact.reminders import meeting_facts

WILL_ATTEND, CANNOT_ATTEND, SILENT = "will_attend", "cannot_attend", "invited"


@dataclass(frozen=True)
class DelegateAnswer:
    person_id: int
    name: str
    # Whether the bot can reach them (a seat whose delegate has not joined cannot be nudged).
    in_bot: bool


@dataclass(frozen=True)
class Attendance:
    will_attend: list[DelegateAnswer] = field(default_factory=list)
    cannot_attend: list[DelegateAnswer] = field(default_factory=list)
    silent: list[DelegateAnswer] = field(default_factory=list)


async def meeting_attendance(db: AsyncSession, actor: Person, meeting: Meeting) -> Attendance:
    """The meeting's delegates by their answer, in seat order (office only)."""
    await require_role(db, actor, await commune_of_meeting(db, meeting), OFFICE_ROLES)
    query = (
        select(MeetingDelegate.attendance, Person.id, Person.full_name)
        .join(Delegate, Delegate.id == MeetingDelegate.delegate_id)
        .join(Person, Person.id == Delegate.person_id)
        .where(MeetingDelegate.meeting_id == meeting.id)
        .order_by(Delegate.id)
    )
    found = Attendance()
    for answer, person_id, name in (await db.execute(query)).tuples().all():
        entry = DelegateAnswer(person_id, name or "",
                               await reachable_identity(db, person_id) is not None)
        {WILL_ATTEND: found.will_attend, CANNOT_ATTEND: found.cannot_attend}.get(
            answer, found.silent).append(entry)
    return found


async def nudge_silent_delegates(
    db: AsyncSession, actor: Person, meeting: Meeting, *, now: datetime | None = None
) -> int:
    """Ask the delegates who have not answered whether they will attend; how many were asked.

    Only the silent ones, and each at most once a day per version of the meeting: an office
    pressing twice does not send twice.
    """
    if meeting.status != "planned":
        raise BadPlan("not_planned")
    attendance = await meeting_attendance(db, actor, meeting)
    now = now or utcnow()
    facts = await meeting_facts(db, meeting)
    day = now.astimezone(LOCAL).date().isoformat()
    asked = []
    for delegate in attendance.silent:
        key = f"attendance-nudge:{meeting.id}:v{meeting.version}:{delegate.person_id}:{day}"
        if await notify_person(db, delegate.person_id, "attendance_nudge", facts,
                               dedupe_key=key):
            asked.append(delegate.person_id)
    if asked:
        record_action(db, action="meeting.attendance_nudged", subject_type="meeting",
                      subject_id=meeting.id, actor_id=actor.id, after={"delegates": asked})
    return len(asked)
