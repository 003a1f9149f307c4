"""Voter-contact plans: sessions, rounds and meetings, changed only through these operations.

Every change that a reminder depends on bumps the meeting's version and plans its reminders
again (`storage.voter_contact.reminders`); moving or cancelling a meeting also tells the
people who had already been told about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.messaging.notify import notify_person
from storage.models import (
    ContactRound,
    CouncilSession,
    Delegate,
    ElectoralUnit,
    Hamlet,
    Meeting,
    MeetingDelegate,
    Person,
)
from storage.models.base import utcnow
from storage.permissions import OFFICE_ROLES, NotAllowed, office_staff, require_role
from storage.petitions.petitions import LOCAL, PetitionDraft, submit_petition
from storage.refusals import Refused
from storage.voter_contact.reminders import (
    opinions_due_on,
    plan_meeting_reminders,
    plan_round_reminders,
    tell_those_told,
)


class BadPlan(Refused):
    """A plan or a meeting change breaks a rule (window, unit, status...)."""


# A meeting without a given end is assumed to last two hours (as the plans' mornings do).
DEFAULT_LENGTH = timedelta(hours=2)
MAX_LENGTH = timedelta(hours=12)


@dataclass(frozen=True)
class MeetingDraft:
    electoral_unit_id: int
    place: str
    starts_at: datetime
    agenda: str = ""
    expected_voters: int | None = None
    delegate_ids: tuple[int, ...] = ()
    ends_at: datetime | None = None

    @property
    def end(self) -> datetime:
        return self.ends_at or self.starts_at + DEFAULT_LENGTH


@dataclass(frozen=True)
class Moved:
    """A move's outcome: the round's window before, if the move had to stretch it."""

    stretched_from: tuple[date, date] | None
    window: tuple[date, date]


async def create_session(
    db: AsyncSession, actor: Person, commune_id: int, title: str, opens_on: date,
    closes_on: date, *, term: str = "",
) -> CouncilSession:
    await require_role(db, actor, commune_id, OFFICE_ROLES)
    if closes_on < opens_on:
        raise BadPlan("session_reversed")
    session = CouncilSession(commune_id=commune_id, title=title.strip(), opens_on=opens_on,
                             closes_on=closes_on, term=term)
    db.add(session)
    await db.flush()
    record_action(db, action="session.created", subject_type="council_session",
                  subject_id=session.id, actor_id=actor.id, after={"title": session.title})
    return session


async def create_round(
    db: AsyncSession, actor: Person, session: CouncilSession, timing: str, window_start: date,
    window_end: date, *, documents_days: int = 5, opinions_days: int = 5,
    front_report_by: date | None = None, now: datetime | None = None,
) -> ContactRound:
    await require_role(db, actor, session.commune_id, OFFICE_ROLES)
    if timing not in ("before", "after"):
        raise BadPlan("bad_timing")
    if window_end < window_start:
        raise BadPlan("window_reversed")
    contact_round = ContactRound(
        session_id=session.id, timing=timing, window_start=window_start, window_end=window_end,
        documents_days=documents_days, opinions_days=opinions_days,
        front_report_by=front_report_by,
    )
    db.add(contact_round)
    await db.flush()
    record_action(db, action="round.created", subject_type="contact_round",
                  subject_id=contact_round.id, actor_id=actor.id,
                  after={"timing": timing, "window": [window_start.isoformat(),
                                                      window_end.isoformat()]})
    await plan_round_reminders(db, contact_round, session.commune_id, now=now)
    return contact_round


async def _check_meeting(
    db: AsyncSession, contact_round: ContactRound, commune_id: int, draft: MeetingDraft,
    *, within_window: bool = True,
) -> None:
    unit = await db.get(ElectoralUnit, draft.electoral_unit_id)
    if unit is None or unit.commune_id != commune_id:
        raise BadPlan("unknown_unit")
    day = draft.starts_at.astimezone(LOCAL).date()
    if within_window and not contact_round.window_start <= day <= contact_round.window_end:
        raise BadPlan("outside_window")
    if not draft.place.strip():
        raise BadPlan("no_place")
    if not timedelta(0) < draft.end - draft.starts_at <= MAX_LENGTH:
        raise BadPlan("bad_end")


async def add_meeting(
    db: AsyncSession, actor: Person, contact_round: ContactRound, draft: MeetingDraft,
    *, now: datetime | None = None,
) -> Meeting:
    session = await db.get(CouncilSession, contact_round.session_id)
    assert session is not None
    await require_role(db, actor, session.commune_id, OFFICE_ROLES)
    await _check_meeting(db, contact_round, session.commune_id, draft)
    meeting = Meeting(
        round_id=contact_round.id, electoral_unit_id=draft.electoral_unit_id,
        place=draft.place.strip(), starts_at=draft.starts_at, ends_at=draft.end,
        agenda=draft.agenda.strip(),
        expected_voters=draft.expected_voters, status="planned", version=1,
    )
    db.add(meeting)
    await db.flush()
    delegate_ids = draft.delegate_ids or tuple(
        (await db.execute(select(Delegate.id).where(
            Delegate.electoral_unit_id == draft.electoral_unit_id))).scalars())
    db.add_all(MeetingDelegate(meeting_id=meeting.id, delegate_id=d) for d in delegate_ids)
    await db.flush()
    record_action(db, action="meeting.created", subject_type="meeting", subject_id=meeting.id,
                  actor_id=actor.id, after=_snapshot(meeting))
    await plan_meeting_reminders(db, meeting, session.commune_id, now=now)
    return meeting


def _snapshot(meeting: Meeting) -> dict[str, object]:
    return {"starts_at": meeting.starts_at.isoformat(), "ends_at": meeting.ends_at.isoformat(),
            "place": meeting.place, "status": meeting.status, "version": meeting.version}


async def commune_of_meeting(db: AsyncSession, meeting: Meeting) -> int:
    contact_round = await db.get(ContactRound, meeting.round_id)
    assert contact_round is not None
    session = await db.get(CouncilSession, contact_round.session_id)
    assert session is not None
    return session.commune_id


async def move_meeting(
    db: AsyncSession, actor: Person, meeting: Meeting, *, starts_at: datetime,
    ends_at: datetime | None = None, place: str | None = None, reason: str | None = None,
    now: datetime | None = None,
) -> Moved:
    """A new time or place: reminders are planned anew and whoever was told hears of it.

    Without a new end the meeting keeps its length. Meetings really move, even by a week past
    a two-day round: a day outside the round's window stretches the window to it, and the
    outcome says so, for the office to be warned.
    """
    commune_id = await commune_of_meeting(db, meeting)
    await require_role(db, actor, commune_id, OFFICE_ROLES)
    if meeting.status != "planned":
        raise BadPlan("not_planned")
    if starts_at <= (now or utcnow()):
        raise BadPlan("in_the_past")
    contact_round = await db.get(ContactRound, meeting.round_id)
    assert contact_round is not None
    draft = MeetingDraft(meeting.electoral_unit_id, place or meeting.place, starts_at,
                         ends_at=ends_at or starts_at + (meeting.ends_at - meeting.starts_at))
    await _check_meeting(db, contact_round, commune_id, draft, within_window=False)
    stretched = await _stretch_window(db, actor, contact_round, commune_id,
                                      starts_at.astimezone(LOCAL).date(), now=now)
    before = _snapshot(meeting)
    meeting.starts_at = starts_at
    meeting.ends_at = draft.end
    meeting.place = draft.place.strip()
    meeting.version += 1
    record_action(db, action="meeting.moved", subject_type="meeting", subject_id=meeting.id,
                  actor_id=actor.id, before=before, after=_snapshot(meeting), reason=reason)
    await tell_those_told(db, meeting, "meeting_moved", reason)
    await plan_meeting_reminders(db, meeting, commune_id, now=now)
    return Moved(stretched, (contact_round.window_start, contact_round.window_end))


async def _stretch_window(
    db: AsyncSession, actor: Person, contact_round: ContactRound, commune_id: int, day: date,
    *, now: datetime | None,
) -> tuple[date, date] | None:
    """Widen the round's window to `day`; the window before, or None if it held the day.

    An earlier start moves the round's own reminders (its opening, the documents deadline),
    so they are planned again; a later end changes none of them.
    """
    before = (contact_round.window_start, contact_round.window_end)
    if before[0] <= day <= before[1]:
        return None
    if day < contact_round.window_start:
        contact_round.window_start = day
        contact_round.version += 1
        await plan_round_reminders(db, contact_round, commune_id, now=now)
    else:
        contact_round.window_end = day
    record_action(db, action="round.stretched", subject_type="contact_round",
                  subject_id=contact_round.id, actor_id=actor.id,
                  before={"window": [d.isoformat() for d in before]},
                  after={"window": [contact_round.window_start.isoformat(),
                                    contact_round.window_end.isoformat()]})
    return before


async def cancel_meeting(
    db: AsyncSession, actor: Person, meeting: Meeting, *, reason: str | None = None,
    now: datetime | None = None,
) -> None:
    commune_id = await commune_of_meeting(db, meeting)
    await require_role(db, actor, commune_id, OFFICE_ROLES)
    if meeting.status != "planned":
        raise BadPlan("not_planned")
    before = _snapshot(meeting)
    meeting.status = "cancelled"
    meeting.version += 1
    record_action(db, action="meeting.cancelled", subject_type="meeting", subject_id=meeting.id,
                  actor_id=actor.id, before=before, after=_snapshot(meeting), reason=reason)
    await tell_those_told(db, meeting, "meeting_cancelled", reason)
    await plan_meeting_reminders(db, meeting, commune_id, now=now)


async def upcoming_meetings_for_unit(
    db: AsyncSession, electoral_unit_id: int, now: datetime, *, limit: int = 5
) -> list[Meeting]:
    query = (
        select(Meeting)
        .where(Meeting.electoral_unit_id == electoral_unit_id, Meeting.status == "planned",
               Meeting.starts_at >= now)
        .order_by(Meeting.starts_at)
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())


async def meeting_delegate_names(db: AsyncSession, meeting_id: int) -> list[str]:
    query = (
        select(Person.full_name)
        .join(Delegate, Delegate.person_id == Person.id)
        .join(MeetingDelegate, MeetingDelegate.delegate_id == Delegate.id)
        .where(MeetingDelegate.meeting_id == meeting_id)
        .order_by(Delegate.id)
    )
    return [name for name in (await db.execute(query)).scalars() if name]


async def delegate_record(db: AsyncSession, person: Person, meeting: Meeting) -> MeetingDelegate:
    """The person's place in the meeting's delegate group; NotAllowed if they have none."""
    query = (
        select(MeetingDelegate)
        .join(Delegate, Delegate.id == MeetingDelegate.delegate_id)
        .where(MeetingDelegate.meeting_id == meeting.id, Delegate.person_id == person.id)
    )
    found = (await db.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotAllowed(f"person {person.id} is not a delegate of meeting {meeting.id}")
    return found


async def set_attendance(
    db: AsyncSession, person: Person, meeting: Meeting, attendance: str
) -> None:
    """"Will attend" or "cannot attend"; the office hears when a delegate cannot come."""
    if attendance not in ("will_attend", "cannot_attend"):
        raise BadPlan("bad_attendance")
    record = await delegate_record(db, person, meeting)
    if record.attendance == attendance:
        return
    record.attendance = attendance
    record_action(db, action=f"meeting.{attendance}", subject_type="meeting",
                  subject_id=meeting.id, actor_id=person.id)
    if attendance == "cannot_attend":
        commune_id = await commune_of_meeting(db, meeting)
        for staff_id in await office_staff(db, commune_id):
            await notify_person(db, staff_id, "delegate_cannot_attend",
                                {"meeting_id": meeting.id, "delegate": person.full_name or "",
                                 "starts_at": meeting.starts_at.isoformat(),
                                 "place": meeting.place},
                                dedupe_key=f"cannot-attend:{meeting.id}:{person.id}",
                                about=[person.id])


async def report_meeting(
    db: AsyncSession, person: Person, meeting: Meeting, *, voters_present: int,
    opinions: list[str], now: datetime | None = None,
) -> list[str]:
    """A delegate reports the meeting held: voters present, and each opinion as a petition.

    Returns the petitions' codes. Reporting also settles the delegate's opinions deadline.
    """
    record = await delegate_record(db, person, meeting)
    if meeting.status == "cancelled":
        raise BadPlan("cancelled")
    if not 0 <= voters_present <= 100_000:
        raise BadPlan("bad_number")
    now = now or utcnow()
    commune_id = await commune_of_meeting(db, meeting)
    unit = await db.get(ElectoralUnit, meeting.electoral_unit_id)
    hamlet = (await db.execute(select(Hamlet.id).where(
        Hamlet.electoral_unit_id == meeting.electoral_unit_id).order_by(Hamlet.id))).scalar()
    local_day = meeting.starts_at.astimezone(LOCAL).strftime("%d/%m/%Y")
    source = f"Hội nghị TXCT {unit.name if unit else ''}, {meeting.place}, {local_day}"
    codes = []
    for text in opinions:
        result = await submit_petition(db, None, PetitionDraft(
            commune_id=commune_id, content=text, hamlet_id=hamlet, source="meeting",
            source_note=source[:300], meeting_id=meeting.id), entered_by=person, now=now)
        codes.append(result.petition.code)
    meeting.status = "held"
    meeting.voters_present = max(voters_present, meeting.voters_present or 0)
    meeting.held_at = meeting.held_at or now
    record.opinions_sent_at = now
    record_action(db, action="meeting.reported", subject_type="meeting", subject_id=meeting.id,
                  actor_id=person.id, after={"voters_present": voters_present,
                                             "petitions": codes})
    return codes


async def get_meeting(db: AsyncSession, meeting_id: int) -> Meeting | None:
    return await db.get(Meeting, meeting_id)


async def get_commune_meeting(db: AsyncSession, commune_id: int, meeting_id: int
                              ) -> Meeting | None:
    """A meeting of this commune; None for another commune's, as for one that does not exist."""
    query = (
        select(Meeting)
        .join(ContactRound, ContactRound.id == Meeting.round_id)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .where(Meeting.id == meeting_id, CouncilSession.commune_id == commune_id)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def unit_of_person(db: AsyncSession, person: Person | None) -> ElectoralUnit | None:
    if person is None or person.hamlet_id is None:
        return None
    hamlet = await db.get(Hamlet, person.hamlet_id)
    if hamlet is None or hamlet.electoral_unit_id is None:
        return None
    return await db.get(ElectoralUnit, hamlet.electoral_unit_id)


async def meetings_of_delegate(
    db: AsyncSession, person: Person, since: datetime, *, limit: int = 10
) -> list[tuple[Meeting, MeetingDelegate]]:
    """The delegate's meetings from `since` on (and held ones still owing opinions)."""
    query = (
        select(Meeting, MeetingDelegate)
        .join(MeetingDelegate, MeetingDelegate.meeting_id == Meeting.id)
        .join(Delegate, Delegate.id == MeetingDelegate.delegate_id)
        .where(Delegate.person_id == person.id, Meeting.status != "cancelled")
        .where((Meeting.starts_at >= since) | MeetingDelegate.opinions_sent_at.is_(None))
        .order_by(Meeting.starts_at)
        .limit(limit)
    )
    return [(m, d) for m, d in (await db.execute(query)).tuples().all()]


async def unit_name(db: AsyncSession, meeting: Meeting) -> str:
    unit = await db.get(ElectoralUnit, meeting.electoral_unit_id)
    return unit.name if unit else ""


async def upcoming_meetings_of_commune(
    db: AsyncSession, commune_id: int, now: datetime, *, limit: int = 20
) -> list[Meeting]:
    query = (
        select(Meeting)
        .join(ContactRound, ContactRound.id == Meeting.round_id)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .where(CouncilSession.commune_id == commune_id, Meeting.status == "planned",
               Meeting.starts_at >= now)
        .order_by(Meeting.starts_at)
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())


async def opinions_deadline(db: AsyncSession, meeting: Meeting) -> date:
    """When the delegates' collected opinions are due at the office for this meeting."""
    contact_round = await db.get(ContactRound, meeting.round_id)
    assert contact_round is not None
    return opinions_due_on(meeting.starts_at.astimezone(LOCAL).date(),
                           contact_round.opinions_days)


async def open_rounds(db: AsyncSession, commune_id: int, today: date) -> list[
        tuple[ContactRound, CouncilSession]]:
    """Rounds whose window has not closed: where a new meeting can still go."""
    query = (
        select(ContactRound, CouncilSession)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .where(CouncilSession.commune_id == commune_id, ContactRound.window_end >= today)
        .order_by(ContactRound.window_start)
    )
    return [(r, s) for r, s in (await db.execute(query)).tuples().all()]


async def get_round(db: AsyncSession, round_id: int) -> ContactRound | None:
    return await db.get(ContactRound, round_id)


async def electoral_units(db: AsyncSession, commune_id: int) -> list[ElectoralUnit]:
    query = select(ElectoralUnit).where(ElectoralUnit.commune_id == commune_id).order_by(
        ElectoralUnit.number)
    return list((await db.execute(query)).scalars())


async def rounds_of_commune(db: AsyncSession, commune_id: int) -> list[
        tuple[ContactRound, CouncilSession]]:
    query = (
        select(ContactRound, CouncilSession)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .where(CouncilSession.commune_id == commune_id)
        .order_by(ContactRound.window_start)
    )
    return [(r, s) for r, s in (await db.execute(query)).tuples().all()]
