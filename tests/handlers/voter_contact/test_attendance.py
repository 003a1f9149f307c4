"""Who will attend a meeting, as the office sees it, and the nudge to those who have not said."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.demo import seed_demo
from storage.models import (
    Commune,
    Delegate,
    ElectoralUnit,
    Meeting,
    MeetingDelegate,
    Person,
    RoleGrant,
)
from storage.models.base import utcnow
from storage.people.roles import create_invites
from storage.voter_contact.meetings import MeetingDraft, add_meeting, create_round, create_session
from tests.chat import Chat, actions, texts
from tests.handlers.voter_contact.test_meetings import LOCAL

# Unit 1's two seats in the demo, and a third seat added for this test.
WILL, CANNOT, SILENT = "Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Thị Ngọc"


async def seat_invite(db: Database, name: str) -> str:
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune).order_by(Commune.id))).scalars().first()
        assert commune is not None
        seat = (await session.execute(select(Delegate).join(
            Person, Person.id == Delegate.person_id).where(Person.full_name == name))
        ).scalar_one_or_none()
        if seat is None:
            unit = (await session.execute(select(ElectoralUnit).where(
                ElectoralUnit.commune_id == commune.id, ElectoralUnit.number == 1))).scalar_one()
            placeholder = Person(full_name=name)
            session.add(placeholder)
            await session.flush()
            seat = Delegate(person_id=placeholder.id, commune_id=commune.id,
                            electoral_unit_id=unit.id, title="Đại biểu HĐND xã")
            session.add(seat)
            await session.flush()
        (invite,) = await create_invites(session, commune, "delegate", 1, delegate_id=seat.id)
        return invite.token


async def three_delegates_and_a_meeting(db: Database) -> tuple[Chat, dict[str, Chat], int]:
    async with db.transaction() as session:
        await seed_demo(session)
    office = Chat(db, user_id="8101")
    await office.onboard(1)
    office_person = await office.person()
    assert office_person is not None
    delegates = {}
    for number, name in enumerate((WILL, CANNOT, SILENT)):
        token = await seat_invite(db, name)
        chat = Chat(db, user_id=f"810{number + 2}", runner=office.runner)
        await chat.send(f"/start inv-{token}")
        await chat.press("consent:yes")
        delegates[name] = chat
    today = utcnow().astimezone(LOCAL).date()
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune).order_by(Commune.id))).scalars().first()
        assert commune is not None
        session.add(RoleGrant(person_id=office_person.id, commune_id=commune.id, role="office"))
        await session.flush()
        unit_id = (await session.execute(select(ElectoralUnit.id).where(
            ElectoralUnit.commune_id == commune.id, ElectoralUnit.number == 1))).scalar_one()
        council = await create_session(session, office_person, commune.id, "Kỳ họp cuối năm",
                                       today + timedelta(days=20), today + timedelta(days=22))
        contact_round = await create_round(session, office_person, council, "before", today,
                                           today + timedelta(days=15))
        meeting = await add_meeting(session, office_person, contact_round, MeetingDraft(
            unit_id, "Nhà văn hóa ấp Tân Dân",
            datetime.combine(today + timedelta(days=6), time(7, 30), tzinfo=LOCAL)))
        meeting_id = meeting.id
    for chat in (office, *delegates.values()):
        await chat.new_replies()
    return office, delegates, meeting_id


def line(screen: str, start: str) -> str:
    (found,) = [row for row in screen.splitlines() if row.startswith(start)]
    return found


async def test_the_office_sees_who_will_attend_who_cannot_and_who_has_not_said(
    db: Database,
) -> None:
    office, delegates, meeting_id = await three_delegates_and_a_meeting(db)
    await delegates[WILL].press(f"mt:yes:{meeting_id}")
    await delegates[CANNOT].press(f"mt:no:{meeting_id}")
    await office.new_replies()  # "cannot attend" reached the office
    screen = await office.press(f"mtg:{meeting_id}")
    shown = texts(screen)
    assert line(shown, "Sẽ dự (1):") == f"Sẽ dự (1): {WILL}"
    assert line(shown, "Không dự được (1):") == f"Không dự được (1): {CANNOT}"
    assert line(shown, "Chưa trả lời (1):") == f"Chưa trả lời (1): {SILENT}"
    assert f"mtgnudge:{meeting_id}" in actions(screen)

    done = texts(await office.press(f"mtgnudge:{meeting_id}"))
    assert "Đã nhắc 1 đại biểu" in done
    (nudge,) = await delegates[SILENT].new_replies()
    assert "Nhà văn hóa ấp Tân Dân" in nudge.text
    assert {c.action for c in nudge.choices} == {f"mt:yes:{meeting_id}", f"mt:no:{meeting_id}"}
    assert await delegates[WILL].new_replies() == []
    assert await delegates[CANNOT].new_replies() == []

    # Pressing again the same day sends nothing more.
    again = texts(await office.press(f"mtgnudge:{meeting_id}"))
    assert "Đã nhắc" not in again and await delegates[SILENT].new_replies() == []

    # The silent delegate answers from the nudge; the office sees everyone has answered.
    await delegates[SILENT].press(f"mt:yes:{meeting_id}")
    screen = await office.press(f"mtg:{meeting_id}")
    assert line(texts(screen), "Sẽ dự (2):") == f"Sẽ dự (2): {WILL}, {SILENT}"
    assert line(texts(screen), "Chưa trả lời (0):") == "Chưa trả lời (0): —"
    assert f"mtgnudge:{meeting_id}" not in actions(screen)


async def test_a_seat_not_yet_in_the_bot_is_listed_but_cannot_be_nudged(db: Database) -> None:
    office, delegates, meeting_id = await three_delegates_and_a_meeting(db)
    for name in (WILL, CANNOT, SILENT):
        await delegates[name].press(f"mt:yes:{meeting_id}")
    # Unit 1's meeting also counts a seat whose delegate never joined: add one to the meeting.
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        placeholder = Person(full_name="Đỗ Văn Sang")
        session.add(placeholder)
        await session.flush()
        unit = await session.get(ElectoralUnit, meeting.electoral_unit_id)
        assert unit is not None
        seat = Delegate(person_id=placeholder.id, commune_id=unit.commune_id,
                        electoral_unit_id=unit.id)
        session.add(seat)
        await session.flush()
        session.add(MeetingDelegate(meeting_id=meeting_id, delegate_id=seat.id))
    screen = await office.press(f"mtg:{meeting_id}")
    assert "Đỗ Văn Sang (chưa tham gia, không nhắc được)" in texts(screen)
    assert f"mtgnudge:{meeting_id}" not in actions(screen)
    refused = texts(await office.press(f"mtgnudge:{meeting_id}"))
    assert "Không có ai mới để nhắc" in refused


async def test_only_the_office_sees_attendance_or_nudges(db: Database) -> None:
    _office, delegates, meeting_id = await three_delegates_and_a_meeting(db)
    for chat in delegates.values():
        assert "Chưa trả lời" not in texts(await chat.press(f"mtg:{meeting_id}"))
        await chat.press(f"mtgnudge:{meeting_id}")
    for chat in delegates.values():
        assert not [r for r in await chat.new_replies() if f"mt:yes:{meeting_id}" in
                    {c.action for c in r.choices}]
