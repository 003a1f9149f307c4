"""Meetings as they really move: a start and an end, anywhere in time, and the calendar file.

Seed 001's round is two days (14/7 to 15/7/2026); a postponement by a week must not need a
new plan: the round's window stretches to the new day, and the office is told it did.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from icalendar import Calendar
from sqlalchemy import select

from storage.db import Database
from storage.files import file_by_token
from storage.migrate import alembic_config, upgrade_database
from storage.models import (
    AuditEntry,
    ContactRound,
    ElectoralUnit,
    Meeting,
    OutboxMessage,
    Person,
    Reminder,
)
from storage.voter_contact.meetings import (
    BadPlan,
    MeetingDraft,
    add_meeting,
    create_round,
    create_session,
    move_meeting,
)
from storage.voter_contact.reminders import fire_due_reminders
from tests.factories import citizen, demo, staff
from tests.storage.test_migrations import run

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
PLANNED_ON = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL)


async def seed_001_round(db: Database) -> tuple[int, int]:
    """Ward office, a resident of unit 1 following voter-contact news, and unit 1's meeting on
    14/7/2026 from 7:30 to 10:30 in a round of two days. Returns (meeting id, office id)."""
    commune_id = await demo(db)
    office = await staff(db, "office-001")
    await citizen(db, "resident-001", "Ấp Tân Dân")
    async with db.transaction() as session:
        unit_id = (await session.execute(select(ElectoralUnit.id).where(
            ElectoralUnit.number == 1))).scalar_one()
        council = await create_session(session, office, commune_id, "Kỳ họp thứ Tư",
                                       date(2026, 7, 8), date(2026, 7, 10), term="khoá II")
        contact_round = await create_round(session, office, council, "after", date(2026, 7, 14),
                                           date(2026, 7, 15), front_report_by=date(2026, 7, 22),
                                           now=PLANNED_ON)
        meeting = await add_meeting(session, office, contact_round, MeetingDraft(
            unit_id, "Nhà văn hóa ấp Tân Dân", at(date(2026, 7, 14), 7, 30),
            ends_at=at(date(2026, 7, 14), 10, 30)), now=PLANNED_ON)
        return meeting.id, office.id


async def test_a_meeting_moved_a_week_past_its_round_stretches_it_and_keeps_its_end(
    db: Database,
) -> None:
    meeting_id, office_id = await seed_001_round(db)
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        office = await session.get(Person, office_id)
        assert meeting is not None and office is not None
        assert meeting.ends_at == at(date(2026, 7, 14), 10, 30)
        moved = await move_meeting(session, office, meeting,
                                   starts_at=at(date(2026, 7, 22), 8),
                                   ends_at=at(date(2026, 7, 22), 10, 30),
                                   place="Hội trường UBND phường", reason="Trùng lịch tiêm chủng",
                                   now=PLANNED_ON + timedelta(days=2))
    assert moved.stretched_from == (date(2026, 7, 14), date(2026, 7, 15))
    assert moved.window == (date(2026, 7, 14), date(2026, 7, 22))
    async with db.transaction() as session:
        contact_round = (await session.execute(select(ContactRound))).scalar_one()
        assert (contact_round.window_start, contact_round.window_end) == moved.window
        stretched = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "round.stretched"))).scalar_one()
        assert stretched.actor_id == office_id
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        assert (meeting.starts_at, meeting.ends_at) == (at(date(2026, 7, 22), 8),
                                                        at(date(2026, 7, 22), 10, 30))
        # The old day's reminders are retired; the new day's are planned for version 2.
        planned = (await session.execute(select(Reminder).where(
            Reminder.subject_type == "meeting", Reminder.status == "planned"))).scalars().all()
        assert planned and {r.subject_version for r in planned} == {2}

    # Three days ahead, the resident's reminder carries a calendar file with both times.
    async with db.transaction() as session:
        await fire_due_reminders(session, now=at(date(2026, 7, 19), 8))
        row = (await session.execute(select(OutboxMessage).where(
            OutboxMessage.payload["notice"].as_string() == "meeting_reminder"))).scalars().all()
    # The resident, and the office clerk who lives in the same hamlet.
    residents = [r for r in row if r.payload["params"]["kind"] == "meeting_ahead_citizens"]
    assert len(residents) == 2
    params = residents[0].payload["params"]
    assert datetime.fromisoformat(params["ends_at"]) == at(date(2026, 7, 22), 10, 30)
    async with db.transaction() as session:
        stored = await file_by_token(session, params["file"][0])
        assert stored is not None and stored.content is not None
    (event,) = Calendar.from_ical(stored.content).walk("VEVENT")
    assert event.decoded("dtstart") == at(date(2026, 7, 22), 8)
    assert event.decoded("dtend") == at(date(2026, 7, 22), 10, 30)
    assert str(event.get("location")) == "Hội trường UBND phường"


async def test_a_meeting_that_would_end_before_it_starts_is_refused(db: Database) -> None:
    meeting_id, office_id = await seed_001_round(db)
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        office = await session.get(Person, office_id)
        assert meeting is not None and office is not None
        for starts_at, ends_at in ((at(date(2026, 7, 15), 10), at(date(2026, 7, 15), 9)),
                                   (at(date(2026, 7, 15), 7), at(date(2026, 7, 15), 20))):
            with pytest.raises(BadPlan):
                await move_meeting(session, office, meeting, starts_at=starts_at,
                                   ends_at=ends_at, now=PLANNED_ON)
        with pytest.raises(BadPlan):  # the past
            await move_meeting(session, office, meeting, starts_at=PLANNED_ON - timedelta(1),
                               now=PLANNED_ON)
        # Without a new end, a moved meeting keeps its three hours.
        await move_meeting(session, office, meeting, starts_at=at(date(2026, 7, 15), 13, 30),
                           now=PLANNED_ON)
        assert meeting.ends_at == at(date(2026, 7, 15), 16, 30)


def test_existing_meetings_get_an_end_two_hours_after_their_start(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    url = f"sqlite+aiosqlite:///{path}"
    run(command.upgrade, alembic_config(url), "0014pj")
    with sqlite3.connect(path) as connection:
        # Only the meeting: SQLite leaves foreign keys unchecked unless asked.
        connection.execute("""
            INSERT INTO meetings (id, round_id, electoral_unit_id, place, starts_at, agenda,
                status, version, created_at)
            VALUES (1, 1, 1, 'Nhà văn hóa', '2026-07-14 00:30:00.000000', '', 'planned', 1,
                    '2026-07-01 00:00:00.000000')""")
    run(upgrade_database, url)
    with sqlite3.connect(path) as connection:
        (ends_at,) = connection.execute("SELECT ends_at FROM meetings").fetchone()
    assert ends_at.startswith("2026-07-14 02:30:00")
