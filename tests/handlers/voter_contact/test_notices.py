"""Voter-contact reminders as people read them: the day is counted from when they go out."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import ContactRound, ElectoralUnit, Person
from storage.voter_contact.meetings import MeetingDraft, add_meeting
from storage.voter_contact.reminders import fire_due_reminders
from tests.chat import Chat, texts
from tests.handlers.voter_contact.test_meetings import LOCAL, setup


async def person(chat: Chat) -> Person:
    found = await chat.person()
    assert found is not None
    return found


async def add_and_fire(db: Database, office: Person, days_ahead: int) -> tuple[datetime, int]:
    """The office adds a meeting of unit 1 `days_ahead` days ahead (14:00) at 10:00 on the
    round's first day, and the scheduler fires what is due at once."""
    async with db.transaction() as session:
        contact_round = (await session.execute(select(ContactRound))).scalar_one()
        unit = (await session.execute(select(ElectoralUnit).where(ElectoralUnit.number == 1))
                ).scalar_one()
        now = datetime.combine(contact_round.window_start, time(10, 0), tzinfo=LOCAL)
        starts_at = datetime.combine(contact_round.window_start + timedelta(days=days_ahead),
                                     time(14, 0), tzinfo=LOCAL)
        meeting = await add_meeting(session, office, contact_round, MeetingDraft(
            unit.id, "Nhà văn hóa ấp Tân Dân", starts_at), now=now)
        await fire_due_reminders(session, now=now)
        return now, meeting.id


async def test_a_meeting_added_for_tomorrow_is_announced_for_tomorrow(db: Database) -> None:
    office, delegate, citizen, _first = await setup(db)
    await add_and_fire(db, await person(office), 1)
    told = texts(await citizen.new_replies())
    assert "Ngày mai" in told and "Ba ngày nữa" not in told, told
    delegate_told = texts(await delegate.new_replies())
    assert "Ngày mai" in delegate_told and "Ba ngày nữa" not in delegate_told, delegate_told


async def test_a_meeting_added_two_days_ahead_is_announced_in_two_days(db: Database) -> None:
    office, delegate, citizen, _first = await setup(db)
    await add_and_fire(db, await person(office), 2)
    for chat in (citizen, delegate):
        told = texts(await chat.new_replies())
        assert "2 ngày nữa" in told and "Ba ngày nữa" not in told, told


async def test_a_meeting_added_for_this_afternoon_is_announced_for_today(db: Database) -> None:
    office, delegate, citizen, _first = await setup(db)
    await add_and_fire(db, await person(office), 0)
    for chat in (citizen, delegate):
        told = texts(await chat.new_replies())
        assert "Hôm nay" in told and "Ngày mai" not in told, told
