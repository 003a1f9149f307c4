"""Voter contact in the bot: a citizen's calendar and question, a delegate's replies and report."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from docx import Document
from sqlalchemy import select

from storage.db import Database
from storage.demo import seed_demo
from storage.files import file_by_token
from storage.models import (
    Commune,
    Delegate,
    ElectoralUnit,
    Meeting,
    MeetingDelegate,
    Petition,
    RoleGrant,
)
from storage.models.base import utcnow
from storage.people.roles import create_invites
from storage.voter_contact.meetings import MeetingDraft, add_meeting, create_round, create_session
from storage.voter_contact.reminders import fire_due_reminders
from tests.chat import Chat, actions, texts

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


async def setup(db: Database) -> tuple[Chat, Chat, Chat, int]:
    """Office, a delegate of unit 1 (Ấp Tân Dân), a citizen there; a meeting in five days."""
    async with db.transaction() as session:
        await seed_demo(session)
    office = Chat(db, user_id="7001")
    delegate = Chat(db, user_id="7002", runner=office.runner)
    citizen = Chat(db, user_id="7003", runner=office.runner, channel="zalo")
    for chat in (office, delegate, citizen):
        await chat.onboard(1)
    office_person, delegate_person = await office.person(), await delegate.person()
    assert office_person is not None and delegate_person is not None
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        assert commune is not None
        session.add(RoleGrant(person_id=office_person.id, commune_id=commune.id, role="office"))
        session.add(RoleGrant(person_id=delegate_person.id, commune_id=commune.id,
                              role="delegate"))
        unit = (await session.execute(select(ElectoralUnit).where(ElectoralUnit.number == 1))
                ).scalar_one()
        seat = (await session.execute(select(Delegate).where(
            Delegate.electoral_unit_id == unit.id).order_by(Delegate.id))).scalars().first()
        assert seat is not None
        seat.person_id = delegate_person.id
    today = utcnow().astimezone(LOCAL).date()
    async with db.transaction() as session:
        council = await create_session(session, office_person, commune.id,
                                       "Kỳ họp thường lệ cuối năm", today + timedelta(days=20),
                                       today + timedelta(days=22))
        contact_round = await create_round(session, office_person, council, "before", today,
                                           today + timedelta(days=15))
        meeting = await add_meeting(session, office_person, contact_round, MeetingDraft(
            unit.id, "Nhà văn hóa ấp Tân Dân",
            datetime.combine(today + timedelta(days=5), time(7, 30), tzinfo=LOCAL),
            agenda="Thông báo dự kiến nội dung kỳ họp"))
        meeting_id = meeting.id
    for chat in (office, delegate, citizen):
        await chat.new_replies()
    return office, delegate, citizen, meeting_id


async def test_a_citizen_sees_the_meeting_and_sends_a_question_for_it(db: Database) -> None:
    _office, _delegate, citizen, meeting_id = await setup(db)
    calendar = await citizen.press("menu:meetings")
    assert "Nhà văn hóa ấp Tân Dân" in texts(calendar)
    assert f"mq:{meeting_id}" in actions(calendar)
    await citizen.press(f"mq:{meeting_id}")
    receipt = texts(await citizen.send("Bao giờ làm lại cầu Tân Dân?"))
    assert "KN-" in receipt
    async with db.transaction() as session:
        petition = (await session.execute(select(Petition))).scalar_one()
        assert (petition.meeting_id, petition.source) == (meeting_id, "question")


async def test_a_delegate_answers_the_reminder_and_reports_the_meeting(db: Database) -> None:
    office, delegate, _citizen, meeting_id = await setup(db)
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        await fire_due_reminders(session, now=meeting.starts_at - timedelta(hours=20))
    reminder = await delegate.new_replies()
    assert f"mt:no:{meeting_id}" in actions(reminder)
    await delegate.press(f"mt:no:{meeting_id}")
    assert "không thể dự" in texts(await office.new_replies())
    await delegate.press(f"mr:{meeting_id}")
    assert "mo:done" not in actions(await delegate.send("nhiều lắm"))  # not a number
    await delegate.send("45")
    await delegate.send("Xin lắp đèn đường tổ 3")
    await delegate.send("Đề nghị nạo vét kênh Tân Dân")
    done = texts(await delegate.press("mo:done"))
    assert "45" in done and done.count("KN-") == 2
    async with db.transaction() as session:
        petitions = (await session.execute(select(Petition))).scalars().all()
        record = (await session.execute(select(MeetingDelegate).join(
            Delegate, Delegate.id == MeetingDelegate.delegate_id).where(
            MeetingDelegate.meeting_id == meeting_id, Delegate.person_id.is_not(None),
            MeetingDelegate.attendance == "cannot_attend"))).scalar_one()
    assert {p.meeting_id for p in petitions} == {meeting_id}
    assert record.opinions_sent_at is not None


async def test_a_delegate_invited_for_a_seat_gets_that_seats_meetings(db: Database) -> None:
    _office, _delegate, _citizen, meeting_id = await setup(db)
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        seat = (await session.execute(select(Delegate).join(
            ElectoralUnit, ElectoralUnit.id == Delegate.electoral_unit_id).where(
            ElectoralUnit.number == 1).order_by(Delegate.id.desc()))).scalars().first()
        assert commune is not None and seat is not None
        (invite,) = await create_invites(session, commune, "delegate", 1, delegate_id=seat.id)
        token = invite.token
    newcomer = Chat(db, user_id="7004")
    await newcomer.send(f"/start inv-{token}")
    await newcomer.press("consent:yes")
    person = await newcomer.person()
    assert person is not None and person.full_name == "Trần Thị Lan"  # the seat's name
    meetings = await newcomer.press("menu:mymeetings")
    assert "Nhà văn hóa ấp Tân Dân" in texts(meetings)
    assert meeting_id


async def test_the_office_moves_a_meeting_and_those_told_hear_of_it(db: Database) -> None:
    office, delegate, _citizen, meeting_id = await setup(db)
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        await fire_due_reminders(session, now=meeting.starts_at - timedelta(hours=20))
        new_start = meeting.starts_at + timedelta(days=2, hours=7)
    await delegate.new_replies()
    listed = await office.press("menu:officemeetings")
    assert f"mtg:{meeting_id}" in actions(listed)
    await office.press(f"mtg:{meeting_id}")
    await office.press(f"mtgmv:{meeting_id}")
    asked_again = await office.send("31/02/2026 14:00")
    examples = re.findall(r"\d\d/\d\d/\d{4}", texts(asked_again))
    assert examples and all(datetime.strptime(example, "%d/%m/%Y").date()
                            > utcnow().astimezone(LOCAL).date() for example in examples)
    # One line, as the chat page and Zalo send it: the day and time, then the new place.
    await office.send(new_start.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")
                      + " tại Hội trường UBND xã")
    done = texts(await office.send("Trùng lịch tiêm chủng"))
    assert new_start.astimezone(LOCAL).strftime("%d/%m/%Y") in done
    told = texts(await delegate.new_replies())
    assert "Hội trường UBND xã" in told and "Trùng lịch tiêm chủng" in told
    async with db.transaction() as session:
        moved = await session.get(Meeting, meeting_id)
        assert moved is not None and moved.version == 2 and moved.starts_at == new_start


async def test_the_office_adds_a_meeting_in_the_bot(db: Database) -> None:
    office, _delegate, _citizen, _meeting = await setup(db)
    await office.press("menu:officemeetings")
    rounds = await office.press("mtgadd:start")
    (round_choice,) = [a for a in actions(rounds) if a.startswith("ar:")]
    units = await office.press(round_choice)
    async with db.transaction() as session:
        unit_id = (await session.execute(select(ElectoralUnit.id).where(
            ElectoralUnit.number == 3))).scalar_one()
    assert f"au:{unit_id}" in actions(units)
    await office.press(f"au:{unit_id}")
    day = (utcnow().astimezone(LOCAL) + timedelta(days=7)).strftime("%d/%m/%Y")
    assert "au:" not in texts(await office.send(f"{day} 14:00"))  # the place is missing
    added = texts(await office.send(f"{day} 14:00\nNhà văn hóa ấp Tân Chủ"))  # or two lines
    assert day in added
    far = (utcnow().astimezone(LOCAL) + timedelta(days=40)).strftime("%d/%m/%Y")
    await office.press("mtgadd:start")
    await office.press(round_choice)
    await office.press(f"au:{unit_id}")
    refused = texts(await office.send(f"{far} 14:00\nNhà văn hóa ấp Tân Chủ"))
    assert "nằm ngoài" in refused
    async with db.transaction() as session:
        places = list((await session.execute(select(Meeting.place).where(
            Meeting.electoral_unit_id == unit_id))).scalars())
    assert places == ["Nhà văn hóa ấp Tân Chủ"]


async def test_the_office_reports_on_a_voter_contact_round(db: Database) -> None:
    office, delegate, _citizen, meeting_id = await setup(db)
    await delegate.press(f"mr:{meeting_id}")
    await delegate.send("40")
    await delegate.send("Xin lắp đèn đường tổ 3")
    await delegate.press("mo:done")
    async with db.transaction() as session:
        round_id = (await session.execute(select(Meeting.round_id))).scalar_one()
        code = (await session.execute(select(Petition.code))).scalar_one()
    await office.press("menu:report")
    rounds = await office.press("rp:round")
    assert f"rr:{round_id}" in actions(rounds)
    await office.press(f"rr:{round_id}")
    replies = await office.documents()
    (docx,) = [r.file for r in replies if r.file and r.file[1].endswith(".docx")]
    async with db.transaction() as session:
        stored = await file_by_token(session, docx[0])
        assert stored is not None and stored.content is not None
    document = Document(BytesIO(stored.content))
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        c.text for t in document.tables for r in t.rows for c in r.cells)
    assert code in text and "đợt tiếp xúc cử tri trước kỳ họp" in text


async def test_the_office_moves_a_meeting_past_its_round_with_an_end_and_is_warned(
    db: Database,
) -> None:
    office, delegate, citizen, meeting_id = await setup(db)
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        await fire_due_reminders(session, now=meeting.starts_at - timedelta(hours=20))
    await delegate.new_replies()
    await citizen.new_replies()
    today = utcnow().astimezone(LOCAL).date()
    later = (today + timedelta(days=25)).strftime("%d/%m/%Y")
    await office.press(f"mtgmv:{meeting_id}")
    await office.send(f"8h-10h30 sáng {later} tại Hội trường UBND xã")
    done = texts(await office.send("Hoãn một tuần vì mưa lũ"))
    assert f"08:00–10:30 {later}" in done
    window = f"{today:%d/%m/%Y}–{today + timedelta(days=15):%d/%m/%Y}"
    assert "Lưu ý" in done and window in done
    assert f"đến {later}" in done
    told = texts(await delegate.new_replies())
    assert f"08:00–10:30 {later}" in told and "Hoãn một tuần vì mưa lũ" in told
    # The office's card and the citizen's calendar show both times too.
    assert f"08:00–10:30 {later}" in texts(await office.press(f"mtg:{meeting_id}"))
    assert f"08:00–10:30 {later}" in texts(await citizen.press("menu:meetings"))
