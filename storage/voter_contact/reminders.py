"""Reminders as data: planned from meetings and rounds, fired when due, exactly once.

Planning writes one row per (kind, subject, version, moment); recipients are worked out when
the row falls due, so people who join later are included and nobody is stored twice.

The rule for a process that was down when a reminder fell due: it is sent on start while it
is still useful (before the meeting starts; for a deadline, until the end of its day), and
marked "late" without sending afterwards. When several reminders of one audience about one
meeting are due at once (after downtime, or a meeting added two days ahead), only the latest
goes out: people get the nearest useful one, not a burst.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.calendar import event_ics
from storage.files import store_file
from storage.messaging.broadcasts import audience_recipients
from storage.messaging.notify import notify_person
from storage.models import (
    ContactRound,
    CouncilSession,
    Delegate,
    Dialogue,
    ElectoralUnit,
    Hamlet,
    Meeting,
    MeetingDelegate,
    Petition,
    Registration,
    Reminder,
    ReminderDelivery,
)
from storage.models.base import utcnow
from storage.permissions import office_staff
from storage.petitions.petitions import LOCAL
from storage.working_days import add_working_days, is_working_day

DELEGATE_HOUR = time(7, 0)
# Citizens: three days ahead at a decent hour, and on the morning itself once quiet hours end.
CITIZEN_AHEAD_HOUR = time(8, 0)
CITIZEN_MORNING_HOUR = time(6, 45)
OPINIONS_SOON_DAYS = 2

MEETING_KINDS = {
    # kind: (audience, days before the meeting, local hour)
    "meeting_d3": ("delegates", 3, DELEGATE_HOUR),
    "meeting_d1": ("delegates", 1, DELEGATE_HOUR),
    # In the delegates' morning digest with whatever else falls due that day.
    "meeting_today": ("delegates", 0, DELEGATE_HOUR),
    "meeting_ahead_citizens": ("citizens", 3, CITIZEN_AHEAD_HOUR),
    "meeting_today_citizens": ("citizens", 0, CITIZEN_MORNING_HOUR),
}
OPINION_KINDS = ("opinions_soon", "opinions_due", "opinions_overdue")


def local_moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=LOCAL)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL)


def opinions_due_on(meeting_day: date, opinions_days: int) -> date:
    """Delegates send what voters said within N working days after their meeting."""
    return add_working_days(meeting_day, opinions_days)


async def _supersede(db: AsyncSession, subject_type: str, subject_id: int) -> None:
    await db.execute(
        update(Reminder)
        .where(Reminder.subject_type == subject_type, Reminder.subject_id == subject_id,
               Reminder.status == "planned")
        .values(status="superseded")
    )


@dataclass(frozen=True)
class _Planned:
    kind: str
    audience: str
    due_at: datetime
    useful_until: datetime


def _keep_latest_due(planned: list[_Planned], now: datetime) -> list[_Planned]:
    """Of the reminders already due for one audience, only the latest is worth sending."""
    kept: list[_Planned] = []
    by_audience: dict[str, list[_Planned]] = defaultdict(list)
    for item in planned:
        by_audience[item.audience].append(item)
    for items in by_audience.values():
        due = [i for i in items if i.due_at <= now]
        latest_due = max(due, key=lambda i: i.due_at) if due else None
        kept += [i for i in items if i.due_at > now or i is latest_due]
    return kept


async def plan_meeting_reminders(
    db: AsyncSession, meeting: Meeting, commune_id: int, *, now: datetime | None = None
) -> None:
    """(Re)plan everything about one meeting; rows planned for an older version are retired."""
    now = now or utcnow()
    await _supersede(db, "meeting", meeting.id)
    if meeting.status != "planned":
        return
    contact_round = await db.get(ContactRound, meeting.round_id)
    assert contact_round is not None
    day = meeting.starts_at.astimezone(LOCAL).date()
    planned = [
        _Planned(kind, audience, local_moment(day - timedelta(days=days), at), meeting.starts_at)
        for kind, (audience, days, at) in MEETING_KINDS.items()
    ]
    planned = [p for p in planned if p.due_at < meeting.starts_at]
    due = opinions_due_on(day, contact_round.opinions_days)
    planned += [
        _Planned("opinions_soon", "opinions",
                 local_moment(due - timedelta(days=OPINIONS_SOON_DAYS), DELEGATE_HOUR),
                 end_of_day(due)),
        _Planned("opinions_due", "opinions", local_moment(due, DELEGATE_HOUR), end_of_day(due)),
    ]
    nudge_day = add_working_days(due, 1)
    planned.append(_Planned("opinions_overdue", "opinions_overdue",
                            local_moment(nudge_day, DELEGATE_HOUR), end_of_day(nudge_day)))
    for item in _keep_latest_due(planned, now):
        _add(db, commune_id, item, "meeting", meeting.id, meeting.version)


async def plan_round_reminders(
    db: AsyncSession, contact_round: ContactRound, commune_id: int,
    *, now: datetime | None = None,
) -> None:
    now = now or utcnow()
    await _supersede(db, "round", contact_round.id)
    documents_by = contact_round.window_start - timedelta(days=contact_round.documents_days)
    planned = [
        _Planned("round_open", "round_open", local_moment(contact_round.window_start,
                                                          DELEGATE_HOUR),
                 end_of_day(contact_round.window_end)),
        _Planned("documents_due", "documents", local_moment(documents_by, DELEGATE_HOUR),
                 end_of_day(documents_by)),
    ]
    if contact_round.front_report_by is not None:
        planned.append(_Planned(
            "front_report_due", "front",
            local_moment(contact_round.front_report_by - timedelta(days=2), DELEGATE_HOUR),
            end_of_day(contact_round.front_report_by)))
    for item in _keep_latest_due(planned, now):
        _add(db, commune_id, item, "round", contact_round.id, contact_round.version)


DIALOGUE_KINDS = {"dialogue_d1": timedelta(days=1), "dialogue_2h": timedelta(hours=2)}


async def plan_dialogue_reminders(
    db: AsyncSession, dialogue: Dialogue, *, now: datetime | None = None
) -> None:
    """Registered households: the day before (at 08:00) and two hours before."""
    now = now or utcnow()
    await _supersede(db, "dialogue", dialogue.id)
    if dialogue.status != "open":
        return
    day_before = dialogue.starts_at.astimezone(LOCAL).date() - timedelta(days=1)
    planned = [
        _Planned("dialogue_d1", "households", local_moment(day_before, CITIZEN_AHEAD_HOUR),
                 dialogue.starts_at),
        _Planned("dialogue_2h", "households", dialogue.starts_at - timedelta(hours=2),
                 dialogue.starts_at),
    ]
    for item in _keep_latest_due(planned, now):
        _add(db, dialogue.commune_id, item, "dialogue", dialogue.id, dialogue.version)


def _add(db: AsyncSession, commune_id: int, item: _Planned, subject_type: str, subject_id: int,
         version: int) -> None:
    db.add(Reminder(
        commune_id=commune_id, kind=item.kind, subject_type=subject_type,
        subject_id=subject_id, subject_version=version, due_at=item.due_at,
        useful_until=item.useful_until, status="planned",
    ))


# -- firing ------------------------------------------------------------------------------


async def meeting_facts(db: AsyncSession, meeting: Meeting) -> dict[str, Any]:
    unit = await db.get(ElectoralUnit, meeting.electoral_unit_id)
    return {
        "meeting_id": meeting.id,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "place": meeting.place,
        "agenda": meeting.agenda,
        "unit": unit.name if unit else "",
    }


async def _delegates_of(db: AsyncSession, meeting_id: int, *, opinions_pending: bool = False
                        ) -> list[int]:
    query = (
        select(Delegate.person_id)
        .join(MeetingDelegate, MeetingDelegate.delegate_id == Delegate.id)
        .where(MeetingDelegate.meeting_id == meeting_id,
               MeetingDelegate.attendance != "cannot_attend")
    )
    if opinions_pending:
        query = query.where(MeetingDelegate.opinions_sent_at.is_(None))
    return sorted(set((await db.execute(query)).scalars()))


async def _citizens_of(db: AsyncSession, commune_id: int, unit_id: int) -> list[int]:
    hamlets = list((await db.execute(
        select(Hamlet.id).where(Hamlet.electoral_unit_id == unit_id))).scalars())
    query = audience_recipients(commune_id, {"kind": "hamlets", "hamlet_ids": hamlets},
                                "voter_contact", False)
    return sorted({row[0] for row in (await db.execute(query)).all()})




async def _all_delegates(db: AsyncSession, commune_id: int) -> list[int]:
    query = select(Delegate.person_id).where(Delegate.commune_id == commune_id)
    return sorted(set((await db.execute(query)).scalars()))


@dataclass
class _Outgoing:
    person_id: int
    reminder_id: int
    notice: str
    params: dict[str, Any]


async def _prepare(db: AsyncSession, reminder: Reminder, now: datetime) -> list[_Outgoing] | str:
    """Who gets this reminder and what it says; or why it is not sent."""
    if reminder.subject_type == "meeting":
        meeting = await db.get(Meeting, reminder.subject_id)
        if meeting is None or meeting.version != reminder.subject_version:
            return "superseded"
        if meeting.status == "cancelled":
            return "skipped"
        if now > reminder.useful_until:
            return "late"
        facts = await meeting_facts(db, meeting)
        # The words ("tomorrow", "in 2 days") count from the day it goes out, not from its
        # kind: a meeting added for tomorrow sends its three-days-ahead reminder today.
        facts["sent_on"] = now.astimezone(LOCAL).date().isoformat()
        if reminder.kind in OPINION_KINDS:
            people = await _delegates_of(db, meeting.id, opinions_pending=True)
            contact_round = await db.get(ContactRound, meeting.round_id)
            assert contact_round is not None
            facts["due_on"] = opinions_due_on(meeting.starts_at.astimezone(LOCAL).date(),
                                              contact_round.opinions_days).isoformat()
        elif MEETING_KINDS[reminder.kind][0] == "citizens":
            if meeting.status != "planned":
                return "skipped"
            # The meeting's own delegates get the delegates' reminders instead.
            delegates = set(await _delegates_of(db, meeting.id))
            people = [p for p in await _citizens_of(db, reminder.commune_id,
                                                    meeting.electoral_unit_id)
                      if p not in delegates]
            if people:
                ics = meeting_calendar(meeting, facts["unit"])
                stored = store_file(db, f"tiep-xuc-cu-tri-{meeting.id}.ics", ics, owner_id=None)
                facts["file"] = [stored.token, stored.name]
        else:
            if meeting.status != "planned":
                return "skipped"
            people = await _delegates_of(db, meeting.id)
            # The voters' questions still waiting, so the delegate comes ready to answer them.
            facts["questions"] = (await db.execute(
                select(func.count()).select_from(Petition).where(
                    Petition.meeting_id == meeting.id, Petition.source == "question",
                    Petition.status.in_(("received", "classified", "reopened"))))).scalar_one()
        notice = "meeting_reminder"
    elif reminder.subject_type == "dialogue":
        dialogue = await db.get(Dialogue, reminder.subject_id)
        if dialogue is None or dialogue.version != reminder.subject_version:
            return "superseded"
        if dialogue.status != "open":
            return "skipped"
        if now > reminder.useful_until:
            return "late"
        people = sorted({p for p in (await db.execute(select(Registration.person_id).where(
            Registration.dialogue_id == dialogue.id, Registration.status == "registered"))
        ).scalars() if p is not None})
        facts = {"dialogue_id": dialogue.id, "title": dialogue.title, "place": dialogue.place,
                 "starts_at": dialogue.starts_at.isoformat()}
        notice = "dialogue_reminder"
    else:
        contact_round = await db.get(ContactRound, reminder.subject_id)
        if contact_round is None or contact_round.version != reminder.subject_version:
            return "superseded"
        if now > reminder.useful_until:
            return "late"
        session = await db.get(CouncilSession, contact_round.session_id)
        assert session is not None
        facts = {"round_id": contact_round.id, "session": session.title,
                 "timing": contact_round.timing,
                 "window_start": contact_round.window_start.isoformat(),
                 "window_end": contact_round.window_end.isoformat(),
                 "documents_by": (contact_round.window_start - timedelta(
                     days=contact_round.documents_days)).isoformat(),
                 "front_report_by": contact_round.front_report_by.isoformat()
                 if contact_round.front_report_by else None}
        if reminder.kind == "round_open":
            people = await _all_delegates(db, reminder.commune_id)
        elif reminder.kind == "documents_due":
            people = sorted(set(await _all_delegates(db, reminder.commune_id))
                            | set(await office_staff(db, reminder.commune_id)))
        else:
            people = await office_staff(db, reminder.commune_id)
        notice = "round_reminder"
    params = {"kind": reminder.kind, **facts}
    return [_Outgoing(p, reminder.id, notice, params) for p in people]


async def fire_due_reminders(
    db: AsyncSession, *, now: datetime | None = None, limit: int = 200
) -> int:
    """Send what is due. Rows are locked (SKIP LOCKED), so two processes never share one.

    A person with several reminders due at the same moment (07:00: a meeting tomorrow, a
    deadline today) gets one message listing them: the morning digest.
    """
    now = now or utcnow()
    query = (
        select(Reminder)
        .where(Reminder.status == "planned", Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    reminders = list((await db.execute(query)).scalars())
    overtaken = _overtaken(reminders)
    grouped: dict[tuple[int, datetime], list[_Outgoing]] = defaultdict(list)
    for reminder in reminders:
        prepared = "late" if reminder.id in overtaken else await _prepare(db, reminder, now)
        if isinstance(prepared, str):
            reminder.status = prepared
            continue
        reminder.status = "sent"
        reminder.sent_at = now
        reminder.recipients = len(prepared)
        for outgoing in prepared:
            grouped[(outgoing.person_id, reminder.due_at)].append(outgoing)
            db.add(ReminderDelivery(reminder_id=reminder.id, person_id=outgoing.person_id))
        if reminder.kind == "opinions_overdue" and prepared:
            _plan_next_nudge(db, reminder)
    for (person_id, _due), items in grouped.items():
        ids = ",".join(str(item.reminder_id) for item in items)
        key = "reminder:" + hashlib.sha1(f"{ids}:{person_id}".encode()).hexdigest()
        if len(items) == 1:
            notice, params = items[0].notice, items[0].params
        else:
            notice, params = "reminder_digest", {"items": [
                {"notice": item.notice, **item.params} for item in items]}
        await notify_person(db, person_id, notice, params, dedupe_key=key)
    return len(reminders)


def _overtaken(reminders: list[Reminder]) -> set[int]:
    """After downtime, of one meeting's reminders for one audience only the latest is sent."""
    latest: dict[tuple[int, str], Reminder] = {}
    overtaken: set[int] = set()
    for reminder in reminders:
        if reminder.subject_type != "meeting" or reminder.kind not in MEETING_KINDS:
            continue
        key = (reminder.subject_id, MEETING_KINDS[reminder.kind][0])
        if key in latest:
            earlier, later = sorted((latest[key], reminder), key=lambda r: r.due_at)
            overtaken.add(earlier.id)
            latest[key] = later
        else:
            latest[key] = reminder
    return overtaken


def _plan_next_nudge(db: AsyncSession, reminder: Reminder) -> None:
    """Overdue opinions are chased every working day until the delegate sends them."""
    day = reminder.due_at.astimezone(LOCAL).date()
    next_day = day + timedelta(days=1)
    while not is_working_day(next_day):
        next_day += timedelta(days=1)
    db.add(Reminder(
        commune_id=reminder.commune_id, kind=reminder.kind, subject_type=reminder.subject_type,
        subject_id=reminder.subject_id, subject_version=reminder.subject_version,
        due_at=local_moment(next_day, DELEGATE_HOUR), useful_until=end_of_day(next_day),
        status="planned",
    ))


async def tell_those_told(
    db: AsyncSession, meeting: Meeting, notice: str, reason: str | None = None
) -> None:
    """Everyone a reminder about this meeting reached hears that it moved or was cancelled."""
    query = (
        select(ReminderDelivery.person_id)
        .join(Reminder, Reminder.id == ReminderDelivery.reminder_id)
        .where(Reminder.subject_type == "meeting", Reminder.subject_id == meeting.id)
        .distinct()
    )
    facts = await meeting_facts(db, meeting)
    if reason:
        facts["reason"] = reason
    for person_id in (await db.execute(query)).scalars():
        await notify_person(db, person_id, notice, facts,
                            dedupe_key=f"{notice}:{meeting.id}:v{meeting.version}:{person_id}")


def meeting_calendar(meeting: Meeting, unit: str) -> bytes:
    """An .ics event people can add to their phone's calendar."""
    return event_ics(uid=f"meeting-{meeting.id}-v{meeting.version}@cutri",
                     starts_at=meeting.starts_at.astimezone(LOCAL),
                     ends_at=meeting.ends_at.astimezone(LOCAL),
                     summary=f"Tiếp xúc cử tri – {unit}", location=meeting.place,
                     description=meeting.agenda)
