"""Reminders over a whole year of seed 000's plan, with the clock frozen at each moment.

Sessions and windows follow seed 000 (2024): rounds before and after the mid-year and the
year-end sessions, one meeting per electoral unit in each, four units. The clock is moved to
every moment something is due (and to a few moments in between), and each time the firing
operation runs; the test then checks every message: sent once, at the right local time, to
the right people, and nothing for a cancelled meeting.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage.db import Database
from storage.messaging.broadcasts import mute_topic
from storage.models import (
    ChannelIdentity,
    Commune,
    Delegate,
    ElectoralUnit,
    Meeting,
    OutboxMessage,
    Person,
    Reminder,
    ReminderDelivery,
)
from storage.people.roles import grant_role
from storage.voter_contact.meetings import (
    MeetingDraft,
    add_meeting,
    cancel_meeting,
    create_round,
    create_session,
    move_meeting,
    report_meeting,
)
from storage.voter_contact.reminders import fire_due_reminders
from tests.factories import citizen, demo, staff

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# The office drew the year's plan up in the spring.
PLANNED_ON = datetime(2024, 5, 2, tzinfo=UTC)
REMINDER_NOTICES = ("meeting_reminder", "round_reminder", "reminder_digest")
HAMLETS = ["Ấp Tân Dân", "Ấp Tân Hùng", "Ấp Tân Chủ", "Ấp Tân Hậu"]
SESSIONS = [  # title, opens, closes, before-window, after-window
    ("Kỳ họp thường lệ giữa năm 2024", date(2024, 7, 8), date(2024, 7, 10),
     (date(2024, 6, 5), date(2024, 6, 19)), (date(2024, 7, 11), date(2024, 7, 25))),
    ("Kỳ họp thường lệ cuối năm 2024", date(2024, 12, 9), date(2024, 12, 11),
     (date(2024, 11, 5), date(2024, 11, 19)), (date(2024, 12, 12), date(2024, 12, 26))),
]


@dataclass
class Year:
    office: Person
    delegates: dict[int, list[Person]]  # unit number -> the unit's two delegates
    followers: dict[int, Person]  # unit number -> a resident following voter-contact news
    muted: dict[int, Person]
    meetings: list[int]


def local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL)


async def bind_delegates(db: Database) -> dict[int, list[Person]]:
    """Give each seeded delegate a chat account, as accepting their invite does."""
    bound: dict[int, list[Person]] = {}
    async with db.transaction() as session:
        rows = (await session.execute(
            select(Delegate, ElectoralUnit.number)
            .join(ElectoralUnit, ElectoralUnit.id == Delegate.electoral_unit_id)
            .order_by(Delegate.id))).all()
        delegate_ids = [(d.id, number) for d, number in rows]
    for delegate_id, number in delegate_ids:
        person = await citizen(db, f"delegate-{delegate_id}", HAMLETS[number - 1])
        async with db.transaction() as session:
            delegate = await session.get(Delegate, delegate_id)
            commune = await session.get(Commune, delegate.commune_id if delegate else 0)
            assert delegate is not None and commune is not None
            delegate.person_id = person.id
            await grant_role(session, person, commune, "delegate", actor_id=None,
                             actor_label="test")
        bound.setdefault(number, []).append(person)
    return bound


async def plan_year(db: Database) -> Year:
    commune_id = await demo(db)
    office = await staff(db, "office")
    delegates = await bind_delegates(db)
    followers = {n + 1: await citizen(db, f"follower-{n}", h) for n, h in enumerate(HAMLETS)}
    muted = {n + 1: await citizen(db, f"muted-{n}", h) for n, h in enumerate(HAMLETS)}
    async with db.transaction() as session:
        for person in muted.values():
            await mute_topic(session, person, "voter_contact", True)
        units = dict((await session.execute(
            select(ElectoralUnit.number, ElectoralUnit.id))).tuples().all())
        meetings = []
        for title, opens, closes, before, after in SESSIONS:
            council = await create_session(session, office, commune_id, title, opens, closes)
            for timing, (start, end) in (("before", before), ("after", after)):
                contact_round = await create_round(session, office, council, timing, start,
                                                   end, front_report_by=end + timedelta(days=3),
                                                   now=PLANNED_ON)
                for number, unit_id in sorted(units.items()):
                    day = start + timedelta(days=2 * number)
                    at = time(7, 30) if number % 2 else time(14, 0)
                    meeting = await add_meeting(session, office, contact_round, MeetingDraft(
                        unit_id, f"Nhà văn hóa {HAMLETS[number - 1]}",
                        datetime.combine(day, at, tzinfo=LOCAL),
                        agenda="Thông báo nội dung kỳ họp; nghe cử tri kiến nghị"), now=PLANNED_ON)
                    meetings.append(meeting.id)
    return Year(office, delegates, followers, muted, meetings)


async def play(db: Database, until: datetime, *, start: datetime,
               reports: dict[int, datetime] | None = None) -> list[tuple[datetime, OutboxMessage]]:
    """Move the clock to every due moment up to `until`, firing each time; what went out when."""
    sent: list[tuple[datetime, OutboxMessage]] = []
    async with db.transaction() as session:
        seen = (await session.execute(select(func.max(OutboxMessage.id)))).scalar() or 0
    moment = start
    reports = dict(reports or {})
    while True:
        async with db.transaction() as session:
            next_due = (await session.execute(
                select(Reminder.due_at).where(Reminder.status == "planned",
                                              Reminder.due_at > moment)
                .order_by(Reminder.due_at).limit(1))).scalar()
        upcoming = [m for m in (next_due, *reports.values()) if m is not None and m > moment]
        if not upcoming or min(upcoming) > until:
            return sent
        moment = min(upcoming)
        for meeting_id, at in list(reports.items()):
            if at <= moment:
                await report_all(db, meeting_id, at)
                del reports[meeting_id]
        async with db.transaction() as session:
            await fire_due_reminders(session, now=moment)
            # A minute later nothing more is due: nothing is sent twice.
            await fire_due_reminders(session, now=moment + timedelta(minutes=1))
        async with db.transaction() as session:
            rows = list((await session.execute(
                select(OutboxMessage).where(OutboxMessage.id > seen)
                .order_by(OutboxMessage.id))).scalars())
        if rows:
            seen = rows[-1].id
        sent += [(moment, row) for row in rows]


async def report_all(db: Database, meeting_id: int, at: datetime) -> None:
    """Every delegate of the meeting reports it held, as they do the day after."""
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        people = list((await session.execute(
            select(Person).join(Delegate, Delegate.person_id == Person.id)
            .where(Delegate.electoral_unit_id == meeting.electoral_unit_id))).scalars())
        for person in people:
            await report_meeting(session, person, meeting, voters_present=45,
                                 opinions=["Xin sửa đường"], now=at)


async def person_of_row(db: Database, row: OutboxMessage) -> int:
    async with db.transaction() as session:
        identity = await session.get(ChannelIdentity, row.identity_id)
        assert identity is not None and identity.person_id is not None
        return identity.person_id


def items(row: OutboxMessage) -> list[dict[str, object]]:
    params = row.payload["params"]
    return list(params["items"]) if row.payload["notice"] == "reminder_digest" else [
        {"notice": row.payload["notice"], **params}]


async def test_a_year_of_reminders_goes_out_once_at_the_right_time_to_the_right_people(
    db: Database,
) -> None:
    year = await plan_year(db)
    async with db.transaction() as session:
        cancelled = await session.get(Meeting, year.meetings[5])
        assert cancelled is not None
        await cancel_meeting(session, year.office, cancelled, reason="Trùng lịch bầu cử",
                             now=PLANNED_ON)
        meetings = {m.id: m for m in (await session.execute(select(Meeting))).scalars()}
        unit_number = dict((await session.execute(
            select(ElectoralUnit.id, ElectoralUnit.number))).tuples().all())
    # Delegates report each meeting the day after, except one whose opinions run overdue.
    late_meeting = year.meetings[0]
    reports = {mid: m.starts_at + timedelta(days=1) for mid, m in meetings.items()
               if m.status == "planned" and mid != late_meeting}
    reports[late_meeting] = meetings[late_meeting].starts_at + timedelta(days=12)
    sent = await play(db, datetime(2025, 1, 31, tzinfo=UTC),
                      start=datetime(2024, 5, 1, tzinfo=UTC), reports=reports)

    delivered: Counter[tuple[str, object, int]] = Counter()
    delegate_ids = {p.id: n for n, people in year.delegates.items() for p in people}
    # Residents following voter-contact news: the followers, and the office clerk, who lives
    # in Ấp Tân Dân (unit 1).
    follower_ids = {p.id: n for n, p in year.followers.items()} | {year.office.id: 1}
    muted_ids = {p.id for p in year.muted.values()}
    nudges = 0
    for moment, row in sent:
        if row.payload.get("notice") not in REMINDER_NOTICES:
            continue  # the petitions the delegates' reports created, announced to the office
        person = await person_of_row(db, row)
        assert person not in muted_ids
        for item in items(row):
            kind = str(item.get("kind"))
            meeting_id = item.get("meeting_id")
            delivered[(kind, meeting_id or item.get("round_id"), person)] += 1
            if meeting_id is None:
                continue
            assert meeting_id != cancelled.id, "a cancelled meeting sent a reminder"
            meeting = meetings[int(str(meeting_id))]
            unit = unit_number[meeting.electoral_unit_id]
            day = local(meeting.starts_at).date()
            when = local(moment)
            if kind.startswith("meeting_") and kind.endswith("citizens"):
                assert follower_ids.get(person) == unit
                expected = ((day - timedelta(days=3), time(8, 0)) if "ahead" in kind
                            else (day, time(6, 45)))
            else:
                assert delegate_ids.get(person) == unit, (kind, item)
                expected = {"meeting_d3": (day - timedelta(days=3), time(7, 0)),
                            "meeting_d1": (day - timedelta(days=1), time(7, 0)),
                            "meeting_today": (day, time(7, 0))}.get(
                                kind, (when.date(), time(7, 0)))
            assert (when.date(), when.time()) == expected, (kind, when, meeting_id)
            if kind == "opinions_overdue":
                nudges += 1
                assert meeting_id == late_meeting
    repeated = [key for key, count in delivered.items() if count > 1
                and key[0] != "opinions_overdue"]
    assert repeated == []
    held = [mid for mid, m in meetings.items() if m.status == "planned"]
    for mid in held:
        unit = unit_number[meetings[mid].electoral_unit_id]
        kinds = ("meeting_d3", "meeting_d1") + (
            ("meeting_today",) if local(meetings[mid].starts_at).time() > time(7, 0) else ())
        for kind in kinds:
            assert {p for (k, m, p) in delivered if k == kind and m == mid} == {
                p.id for p in year.delegates[unit]}
        for kind in ("meeting_ahead_citizens", "meeting_today_citizens"):
            assert {p for (k, m, p) in delivered if k == kind and m == mid} == {
                p for p, n in follower_ids.items() if n == unit}
    # Unit 1 met on Friday 07/6; opinions were due five working days later (14/6). Its two
    # delegates are chased on Monday 17, 18 and 19/6, and report that morning at 07:30.
    assert nudges == 2 * 3
    round_open = [k for k in delivered if k[0] == "round_open"]
    assert len(round_open) == 4 * 8  # four rounds, eight delegates


async def test_a_moved_meeting_is_reminded_at_its_new_time_only(db: Database) -> None:
    year = await plan_year(db)
    async with db.transaction() as session:
        meeting = await session.get(Meeting, year.meetings[1])
        assert meeting is not None
        old_start = meeting.starts_at
        new_start = old_start + timedelta(days=4, hours=2)
    # The three-days-ahead reminder for the old date has gone out; then the meeting moves.
    sent_before = await play(db, old_start - timedelta(days=2, hours=12),
                             start=old_start - timedelta(days=5))
    assert any(item.get("meeting_id") == meeting.id for _m, row in sent_before
               for item in items(row))
    async with db.transaction() as session:
        meeting = await session.get(Meeting, year.meetings[1])
        assert meeting is not None
        await move_meeting(session, year.office, meeting, starts_at=new_start,
                           reason="Trùng ngày hội", now=old_start - timedelta(days=2, hours=12))
        moved = (await session.execute(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like(f"meeting_moved:{meeting.id}:%")))).scalars().all()
    # Those who had been told hear of the move: the two delegates and the follower.
    told = {await person_of_row(db, row) for row in moved}
    assert told == {p.id for p in year.delegates[2]} | {year.followers[2].id}
    sent_after = await play(db, new_start, start=old_start - timedelta(days=2, hours=12))
    about = [(moment, item) for moment, row in sent_after for item in items(row)
             if item.get("meeting_id") == meeting.id]
    for moment, item in about:
        if item["notice"] == "meeting_reminder":
            assert item["starts_at"] == new_start.isoformat()
            assert local(moment).date() <= local(new_start).date()
    old_day_reminders = [m for m, item in about if item.get("kind") == "meeting_d1"
                         and local(m).date() == local(old_start).date() - timedelta(days=1)]
    assert old_day_reminders == []


async def test_after_downtime_a_useful_reminder_goes_out_and_a_stale_one_does_not(
    db: Database,
) -> None:
    year = await plan_year(db)
    async with db.transaction() as session:
        meeting = await session.get(Meeting, year.meetings[2])
        assert meeting is not None
        start = meeting.starts_at
    # The process was down from four days before until one hour before the meeting.
    async with db.transaction() as session:
        await fire_due_reminders(session, now=start - timedelta(hours=1))
        rows = (await session.execute(select(Reminder).where(
            Reminder.subject_type == "meeting", Reminder.subject_id == meeting.id))).scalars()
        status = {r.kind: r.status for r in rows if r.due_at < start}
    # Still before the meeting: the latest reminder of each audience is useful and goes out;
    # the one three days ahead is overtaken by the one a day ahead.
    assert status["meeting_d1"] == "sent" and status["meeting_ahead_citizens"] == "sent"
    assert status["meeting_d3"] == "late"
    async with db.transaction() as session:
        other = await session.get(Meeting, year.meetings[3])
        assert other is not None
        waiting = set((await session.execute(select(Reminder.id).where(
            Reminder.subject_type == "meeting", Reminder.subject_id == other.id,
            Reminder.status == "planned", Reminder.due_at < other.starts_at))).scalars())
        # Down again until an hour after this meeting began: reminding is pointless now.
        await fire_due_reminders(session, now=other.starts_at + timedelta(hours=1))
        statuses = set((await session.execute(select(Reminder.status).where(
            Reminder.id.in_(waiting)))).scalars())
    assert waiting and statuses == {"late"}


async def test_two_processes_firing_together_send_each_reminder_once(db: Database) -> None:
    if db.is_sqlite:
        return  # one process per SQLite file; this is PostgreSQL's concern
    await plan_year(db)
    other = Database(db.url)
    moments = [datetime(2024, 6, 1, tzinfo=UTC) + timedelta(hours=6 * n) for n in range(120)]
    try:
        for moment in moments:
            async def fire(database: Database, at: datetime = moment) -> None:
                async with database.transaction() as session:
                    await fire_due_reminders(session, now=at, limit=7)

            await asyncio.gather(fire(db), fire(other), fire(db), fire(other))
    finally:
        await other.dispose()
    async with db.transaction() as session:
        keys = list((await session.execute(select(OutboxMessage.dedupe_key))).scalars())
        sent = (await session.execute(select(func.count()).select_from(ReminderDelivery))
                ).scalar_one()
    assert len(keys) == len(set(keys)) and sent > 100
    async with db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
        per_item = Counter((row.identity_id, item.get("kind"), item.get("meeting_id"),
                            item.get("round_id")) for row in rows for item in items(row)
                           if row.payload.get("notice") in REMINDER_NOTICES
                           and item.get("kind") != "opinions_overdue")  # daily, by design
    assert max(per_item.values()) == 1
