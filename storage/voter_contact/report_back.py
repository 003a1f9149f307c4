"""Report-back to voters: what became of each opinion voters gave at a meeting.

Seed 000: "wherever delegates met voters before the session, they go back there after it and
report how the voters' opinions were taken up, passed on and answered". The office schedules,
per meeting held, one notice to the residents of the meeting's electoral unit who follow
voter-contact news (Telegram or Zalo, through the outbox): at a time it picks, or together with
the residents' notice of the unit's meeting in the next round. The unit's delegates get the
same list as a page to print for that meeting.

The notice goes to a whole unit: it names no voter at all, whatever they allowed; it says what
was asked, who it was passed to and the answer, as a delegate would read it out at the meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.audit import record_action
from storage.documents import request_document
from storage.messaging.broadcasts import audience_recipients
from storage.messaging.notify import notify_person, reachable_identity
from storage.models import (
    Agency,
    ContactRound,
    CouncilSession,
    Delegate,
    ElectoralUnit,
    Hamlet,
    Meeting,
    Person,
    Petition,
    ReportBack,
)
from storage.models.base import utcnow
from storage.permissions import OFFICE_ROLES, require_role
from storage.petitions.petitions import LOCAL
from storage.refusals import Refused
from storage.voter_contact.reminders import CITIZEN_AHEAD_HOUR, local_moment

PAGE_KIND = "report_back_page"
TOPIC = "voter_contact"
# Sent with the next round's meeting: when the residents hear of that meeting, three days ahead.
AHEAD_DAYS = 3
# In a chat message each opinion and answer is cut to this; the printed page has them whole.
NOTICE_CONTENT = 300
NOTICE_ANSWER = 600


class BadReportBack(Refused):
    """The report-back cannot be scheduled so (meeting not held, already sent...)."""


@dataclass(frozen=True)
class Opinion:
    """One opinion of the meeting and what became of it (through a merge, its group's fate)."""

    code: str
    content: str
    status: str
    agency: str
    answer: str
    answered_on: date | None
    merged_into: str


@dataclass(frozen=True)
class MeetingFacts:
    meeting_id: int
    commune_id: int
    unit_id: int
    unit: str
    place: str
    held_on: date


async def meeting_facts(db: AsyncSession, meeting: Meeting) -> MeetingFacts:
    contact_round = await db.get(ContactRound, meeting.round_id)
    assert contact_round is not None
    session = await db.get(CouncilSession, contact_round.session_id)
    assert session is not None
    unit = await db.get(ElectoralUnit, meeting.electoral_unit_id)
    return MeetingFacts(meeting.id, session.commune_id, meeting.electoral_unit_id,
                        unit.name if unit else "", meeting.place,
                        meeting.starts_at.astimezone(LOCAL).date())


async def meeting_opinions(db: AsyncSession, meeting_id: int) -> list[Opinion]:
    """The petitions raised at the meeting or sent as questions for it, in the order given.

    A petition merged into another shares that one's fate: its status, agency and answer.
    """
    target = aliased(Petition)
    target_agency = aliased(Agency)
    query = (
        select(Petition, Agency.name, target, target_agency.name)
        .outerjoin(Agency, Agency.id == Petition.agency_id)
        .outerjoin(target, target.id == Petition.merged_into_id)
        .outerjoin(target_agency, target_agency.id == target.agency_id)
        .where(Petition.meeting_id == meeting_id)
        .order_by(Petition.id)
    )
    opinions = []
    for petition, agency, merged, merged_agency in (await db.execute(query)).tuples().all():
        fate = merged if merged is not None else petition
        opinions.append(Opinion(
            code=petition.code, content=petition.content,
            status=fate.status if merged is None or fate.status != "merged" else "merged",
            agency=(merged_agency if merged is not None else agency) or "",
            answer=fate.answer or "",
            answered_on=fate.answered_at.astimezone(LOCAL).date() if fate.answered_at else None,
            merged_into=merged.code if merged is not None else ""))
    return opinions


async def unit_followers(db: AsyncSession, commune_id: int, unit_id: int) -> list[int]:
    """Residents of the unit's hamlets who consented and did not mute voter-contact news."""
    hamlets = list((await db.execute(
        select(Hamlet.id).where(Hamlet.electoral_unit_id == unit_id))).scalars())
    if not hamlets:
        return []
    query = audience_recipients(commune_id, {"kind": "hamlets", "hamlet_ids": hamlets}, TOPIC,
                                False)
    return sorted({row[0] for row in (await db.execute(query)).all()})


async def next_meeting_of_unit(db: AsyncSession, meeting: Meeting, now: datetime
                               ) -> Meeting | None:
    """The unit's first planned meeting in a later round than `meeting`'s, still to come."""
    this_round = await db.get(ContactRound, meeting.round_id)
    assert this_round is not None
    session = await db.get(CouncilSession, this_round.session_id)
    assert session is not None
    later_rounds = (
        select(ContactRound.id)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .where(CouncilSession.commune_id == session.commune_id,
               ContactRound.window_start > this_round.window_start)
    )
    query = (
        select(Meeting)
        .where(Meeting.electoral_unit_id == meeting.electoral_unit_id,
               Meeting.round_id.in_(later_rounds), Meeting.status == "planned",
               Meeting.starts_at > now)
        .order_by(Meeting.starts_at)
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def report_back_of(db: AsyncSession, meeting_id: int) -> ReportBack | None:
    return (await db.execute(select(ReportBack).where(ReportBack.meeting_id == meeting_id))
            ).scalar_one_or_none()


async def schedule_report_back(
    db: AsyncSession, actor: Person, meeting: Meeting, *, send_at: datetime | None = None,
    with_next_meeting: bool = False, now: datetime | None = None,
) -> ReportBack:
    """The office plans the meeting's report-back: at `send_at`, or with the next meeting.

    Planned again, it replaces the earlier plan; once sent, it is not sent again.
    """
    facts = await meeting_facts(db, meeting)
    await require_role(db, actor, facts.commune_id, OFFICE_ROLES)
    now = now or utcnow()
    if meeting.status != "held":
        raise BadReportBack("not_held")
    if (send_at is None) == (not with_next_meeting):
        raise BadReportBack("when")
    if send_at is not None and send_at < now - timedelta(minutes=5):
        raise BadReportBack("past")
    if with_next_meeting and await next_meeting_of_unit(db, meeting, now) is None:
        raise BadReportBack("no_next_meeting")
    plan = await report_back_of(db, meeting.id)
    if plan is not None and plan.status == "sent":
        raise BadReportBack("already_sent")
    before = _snapshot(plan) if plan is not None else None
    if plan is None:
        plan = ReportBack(meeting_id=meeting.id, commune_id=facts.commune_id, recipients=0)
        db.add(plan)
    plan.send_at = send_at
    plan.with_next_meeting = with_next_meeting
    plan.status = "planned"
    plan.created_by = actor.id
    await db.flush()
    record_action(db, action="report_back.planned", subject_type="meeting",
                  subject_id=meeting.id, actor_id=actor.id, before=before,
                  after=_snapshot(plan))
    return plan


def _snapshot(plan: ReportBack) -> dict[str, object]:
    return {"send_at": plan.send_at.isoformat() if plan.send_at else None,
            "with_next_meeting": plan.with_next_meeting, "status": plan.status}


def notice_params(facts: MeetingFacts, opinions: list[Opinion],
                  next_meeting: Meeting | None = None) -> dict[str, object]:
    """What the notice says: the meeting, each opinion with its fate, the next meeting."""
    params: dict[str, object] = {
        "meeting_id": facts.meeting_id, "unit": facts.unit, "place": facts.place,
        "held_on": facts.held_on.isoformat(),
        "items": [{"code": o.code, "content": _cut(o.content, NOTICE_CONTENT),
                   "status": o.status, "agency": o.agency,
                   "answer": _cut(o.answer, NOTICE_ANSWER),
                   "answered_on": o.answered_on.isoformat() if o.answered_on else None,
                   "merged_into": o.merged_into}
                  for o in opinions],
    }
    if next_meeting is not None:
        params["next"] = {"starts_at": next_meeting.starts_at.isoformat(),
                          "place": next_meeting.place}
    return params


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


async def _due(db: AsyncSession, plan: ReportBack, now: datetime
               ) -> tuple[Meeting, Meeting | None] | None:
    """The meeting and the next one it goes with, if the plan falls due now."""
    meeting = await db.get(Meeting, plan.meeting_id)
    if meeting is None:
        return None
    if not plan.with_next_meeting:
        return (meeting, None) if plan.send_at is not None and plan.send_at <= now else None
    following = await next_meeting_of_unit(db, meeting, now)
    if following is None:
        return None
    day = following.starts_at.astimezone(LOCAL).date() - timedelta(days=AHEAD_DAYS)
    return (meeting, following) if local_moment(day, CITIZEN_AHEAD_HOUR) <= now else None


async def send_due_report_backs(db: AsyncSession, *, now: datetime | None = None) -> int:
    """Send every planned report-back that is due; returns how many went out.

    The rows are locked (SKIP LOCKED), so two processes never send one twice; each notice
    also carries a key of its own in the outbox.
    """
    now = now or utcnow()
    query = (
        select(ReportBack)
        .where(ReportBack.status == "planned")
        .where((ReportBack.with_next_meeting.is_(True)) | (ReportBack.send_at <= now))
        .order_by(ReportBack.id)
        .with_for_update(skip_locked=True)
    )
    sent = 0
    for plan in list((await db.execute(query)).scalars()):
        due = await _due(db, plan, now)
        if due is None:
            continue
        meeting, following = due
        facts = await meeting_facts(db, meeting)
        params = notice_params(facts, await meeting_opinions(db, meeting.id), following)
        people = await unit_followers(db, facts.commune_id, facts.unit_id)
        for person_id in people:
            await notify_person(db, person_id, "report_back", params,
                                dedupe_key=f"report-back:{plan.id}:{person_id}")
        await _pages_for_delegates(db, facts)
        plan.status = "sent"
        plan.sent_at = now
        plan.recipients = len(people)
        plan.sent_with_meeting_id = following.id if following is not None else None
        record_action(db, action="report_back.sent", subject_type="meeting",
                      subject_id=meeting.id, actor_id=None,
                      after={"recipients": len(people)})
        sent += 1
    return sent


async def _pages_for_delegates(db: AsyncSession, facts: MeetingFacts) -> None:
    """The unit's delegates get the list as a page to print for their report-back meeting."""
    seats = (await db.execute(select(Delegate.person_id).where(
        Delegate.electoral_unit_id == facts.unit_id).order_by(Delegate.id))).scalars()
    for person_id in sorted(set(seats)):
        identity = await reachable_identity(db, person_id)
        person = await db.get(Person, person_id)
        if identity is not None and person is not None:
            await request_document(db, identity, person, PAGE_KIND,
                                   {"meeting_id": facts.meeting_id})


async def may_read_page(db: AsyncSession, reader: Person, meeting: Meeting) -> None:
    """The unit's delegates and the commune's office; NotAllowed for anyone else."""
    seat = (await db.execute(select(Delegate.id).where(
        Delegate.person_id == reader.id,
        Delegate.electoral_unit_id == meeting.electoral_unit_id).limit(1))).scalar_one_or_none()
    if seat is None:
        facts = await meeting_facts(db, meeting)
        await require_role(db, reader, facts.commune_id, OFFICE_ROLES)


async def held_meetings_of_commune(db: AsyncSession, commune_id: int, *, limit: int = 12
                                   ) -> list[tuple[Meeting, ReportBack | None]]:
    """The commune's latest meetings held, with their report-back plan if any."""
    query = (
        select(Meeting, ReportBack)
        .join(ContactRound, ContactRound.id == Meeting.round_id)
        .join(CouncilSession, CouncilSession.id == ContactRound.session_id)
        .outerjoin(ReportBack, ReportBack.meeting_id == Meeting.id)
        .where(CouncilSession.commune_id == commune_id, Meeting.status == "held")
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
    )
    return [(m, r) for m, r in (await db.execute(query)).tuples().all()]


async def held_meetings_of_delegate(db: AsyncSession, person: Person, *, limit: int = 5
                                    ) -> list[Meeting]:
    """The latest meetings held in the units where the person holds a seat."""
    units = select(Delegate.electoral_unit_id).where(Delegate.person_id == person.id)
    query = (
        select(Meeting)
        .where(Meeting.electoral_unit_id.in_(units), Meeting.status == "held")
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())

