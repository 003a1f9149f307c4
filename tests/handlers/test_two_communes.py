"""Two communes in one instance: each office sees and acts on its own commune only, and a
province admin acts in each after choosing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.dialogues.dialogues import DialogueDraft, create_dialogue
from storage.messaging.broadcasts import BroadcastDraft, queue_broadcast
from storage.messaging.quiet_hours import QuietHours
from storage.models import (
    Broadcast,
    ChannelIdentity,
    Commune,
    ElectoralUnit,
    Hamlet,
    Invite,
    Meeting,
    Person,
    Province,
)
from storage.models.base import utcnow
from storage.people.roles import create_invites, create_province_admin
from storage.petitions.petitions import LOCAL, PetitionDraft, submit_petition
from storage.voter_contact.meetings import MeetingDraft, add_meeting, create_round, create_session
from tests.chat import Chat, actions, texts
from tests.factories import citizen, demo, make_commune, staff

NEVER_QUIET = QuietHours.parse("", "Asia/Ho_Chi_Minh")


@dataclass
class Instance:
    a: int  # Xã Tân Thuận Tây (the demo)
    b: int  # Xã Tân Hiệp
    office_a: Chat
    office_b: Chat
    petition_a: int
    petition_b: int
    dialogue_b: int
    broadcast_b: int
    invite_b: int


async def two_communes(db: Database) -> Instance:
    a = await demo(db)
    b = await make_commune(db, "Xã Tân Hiệp", ["Ấp Đông Hòa", "Ấp Đông Thành"],
                           district="Huyện Tân Hiệp")
    await staff(db, "office-a", role="admin", commune_id=a)
    office_b = await staff(db, "office-b", role="admin", commune_id=b, hamlet_name="Ấp Đông Hòa")
    resident_a = await citizen(db, "resident-a", "Ấp Tân Dân")
    resident_b = await citizen(db, "resident-b", "Ấp Đông Hòa")
    async with db.transaction() as session:
        people = {p.id: p for p in (await session.execute(select(Person))).scalars()}
        petition_a = await submit_petition(session, people[resident_a.id], PetitionDraft(
            a, "Đèn đường ấp Tân Dân bị hỏng"))
        petition_b = await submit_petition(session, people[resident_b.id], PetitionDraft(
            b, "Cống ấp Đông Hòa bị tắc"))
        hamlet_b = (await session.execute(select(Hamlet.id).where(Hamlet.commune_id == b))
                    ).scalars().first()
        assert hamlet_b is not None
        dialogue = await create_dialogue(session, people[office_b.id], DialogueDraft(
            b, "Đối thoại chính sách giảm nghèo", utcnow() + timedelta(days=10),
            "Hội trường xã Tân Hiệp", {hamlet_b: 30}))
        broadcast = await queue_broadcast(session, people[office_b.id], BroadcastDraft(
            b, "Mời họp dân ấp Đông Hòa", {"kind": "commune"}, send_at=utcnow()
            + timedelta(days=1)), NEVER_QUIET)
        commune_b = await session.get(Commune, b)
        assert commune_b is not None
        (invite,) = await create_invites(session, commune_b, "office", actor_id=office_b.id)
        ids = (petition_a.petition.id, petition_b.petition.id, dialogue.id, broadcast.id,
               invite.invite.id)
    chat_a = Chat(db, user_id="office-a")
    chat_b = Chat(db, user_id="office-b", runner=chat_a.runner)
    return Instance(a, b, chat_a, chat_b, *ids)


async def test_one_communes_office_never_sees_or_acts_on_the_others_data(db: Database) -> None:
    two = await two_communes(db)
    office = two.office_a
    # Inbox: only its own commune's petitions.
    await office.press("menu:inbox")
    listed = await office.press("if:new")
    assert f"ip:{two.petition_a}" in actions(listed)
    assert f"ip:{two.petition_b}" not in actions(listed)
    # A petition of the other commune, by id: not opened, not moved.
    for action in (f"ip:{two.petition_b}", f"ap:{two.petition_b}",
                   f"io:classify:{two.petition_b}", f"io:reject:{two.petition_b}"):
        answer = texts(await office.press(action))
        assert "Cống ấp Đông Hòa" not in answer, action
    assert "không mở được kiến nghị này" in texts(await office.press(f"ip:{two.petition_b}"))
    # Dialogues, announcements, invites of the other commune.
    assert "Đối thoại chính sách" not in texts(await office.press("menu:dialogues"))
    shown = texts(await office.press(f"dlo:{two.dialogue_b}"))
    assert "Hội trường xã Tân Hiệp" not in shown and "Chỉ văn phòng xã" in shown
    assert "Mời họp dân ấp Đông Hòa" not in texts(await office.press("menu:broadcasts"))
    assert "không dừng được" in texts(await office.press(f"bx:{two.broadcast_b}"))
    assert f"{two.invite_b}" not in texts(await office.press("iv:list"))
    assert "đã bị thu hồi hoặc không có" in texts(
        await office.press(f"iv:rv:{two.invite_b}"))
    # Nor the province's overview, nor a change of commune.
    assert "menu:province" not in actions(await office.send("/menu"))
    assert "Chỉ quản trị viên của tỉnh" in texts(await office.press("menu:province"))
    assert "menu:commune" not in actions(await office.send("/menu"))


async def test_a_province_admin_acts_in_each_commune_after_choosing_it(db: Database) -> None:
    two = await two_communes(db)
    async with db.transaction() as session:
        province = (await session.execute(select(Province))).scalars().one()
        await create_province_admin(session, province, "telegram", "tinh")
    admin = Chat(db, user_id="tinh", runner=two.office_a.runner)
    await admin.send("/start")
    await admin.press("consent:yes")
    menu = actions(await admin.send("/menu"))
    assert menu[:2] == ["menu:province", "menu:commune"] and "menu:inbox" in menu
    further = actions(await admin.press("menu:more:1")) + actions(await admin.press("menu:more:2"))
    assert "menu:invite" in further
    overview = texts(await admin.press("menu:province"))
    assert "Xã Tân Hiệp" in overview and "Xã Tân Thuận Tây" in overview
    offered = actions(await admin.press("menu:commune"))
    assert {f"wc:{two.a}", f"wc:{two.b}"} <= set(offered)
    for commune_id, mine, other in ((two.a, two.petition_a, two.petition_b),
                                    (two.b, two.petition_b, two.petition_a)):
        assert "làm việc với" in texts(await admin.press(f"wc:{commune_id}"))
        await admin.press("menu:inbox")
        listed = actions(await admin.press("if:new"))
        assert f"ip:{mine}" in listed and f"ip:{other}" not in listed
        card = await admin.press(f"ip:{mine}")
        assert f"io:classify:{mine}" in actions(card)
    # The invite menu is for the commune chosen, here Tân Hiệp.
    await admin.press("menu:invite")
    listed = texts(await admin.press("iv:list"))
    assert f"{two.invite_b}" in listed


async def test_the_other_communes_invite_and_broadcast_are_untouched(db: Database) -> None:
    two = await two_communes(db)
    office = two.office_a
    await office.press(f"iv:rv:{two.invite_b}")
    await office.press("menu:broadcasts")
    await office.press(f"bx:{two.broadcast_b}")
    async with db.transaction() as session:
        invite = await session.get(Invite, two.invite_b)
        broadcast = await session.get(Broadcast, two.broadcast_b)
    assert invite is not None and invite.revoked_at is None
    assert broadcast is not None and broadcast.status != "cancelled"


async def test_with_many_communes_the_province_admin_types_the_one_to_work_in(
    db: Database,
) -> None:
    await demo(db)
    for n in range(10):
        await make_commune(db, f"Xã Số {n}", [f"Ấp Số {n}"])
    tan_hiep = await make_commune(db, "Xã Tân Hiệp", ["Ấp Đông Hòa"])
    async with db.transaction() as session:
        province = (await session.execute(select(Province))).scalars().one()
        await create_province_admin(session, province, "zalo", "tinh-z")
    admin = Chat(db, channel="zalo", user_id="tinh-z")
    await admin.send("/start")
    await admin.press("consent:yes")
    asked = await admin.press("menu:commune")
    assert "12 xã" in texts(asked) and len(actions(asked)) == 1  # only "cancel"
    found = await admin.send("tan hiep")
    assert actions(found)[0] == f"wc:{tan_hiep}"
    assert "Xã Tân Hiệp" in texts(await admin.send("1"))
    async with db.transaction() as session:
        person = (await session.execute(select(Person).where(
            Person.working_commune_id == tan_hiep))).scalar_one_or_none()
    assert person is not None


async def test_one_communes_office_cannot_move_or_cancel_the_others_meetings(
    db: Database,
) -> None:
    two = await two_communes(db)
    today = utcnow().astimezone(LOCAL).date()
    async with db.transaction() as session:
        office_b = (await session.execute(select(Person).join(
            ChannelIdentity, ChannelIdentity.person_id == Person.id).where(
            ChannelIdentity.external_id == "office-b"))).scalar_one()
        unit = ElectoralUnit(commune_id=two.b, number=1, name="Đơn vị bầu cử số 1")
        session.add(unit)
        await session.flush()
        council = await create_session(session, office_b, two.b, "Kỳ họp cuối năm", today,
                                       today + timedelta(days=30))
        contact_round = await create_round(session, office_b, council, "before", today,
                                           today + timedelta(days=20))
        starts = datetime.combine(today + timedelta(days=7), time(8), tzinfo=LOCAL)
        meeting = await add_meeting(session, office_b, contact_round, MeetingDraft(
            unit.id, "Nhà văn hóa ấp Đông Hòa", starts))
        meeting_id = meeting.id
    office = two.office_a
    assert f"mtg:{meeting_id}" not in actions(await office.press("menu:officemeetings"))
    for action in (f"mtg:{meeting_id}", f"mtgmv:{meeting_id}", f"mtgcx:{meeting_id}"):
        assert "Nhà văn hóa ấp Đông Hòa" not in texts(await office.press(action)), action
    # Had a step been opened anyway, what is typed next changes nothing.
    await office.send("8h sáng mai tại Hội trường xã Tân Thuận Tây")
    await office.send("Trùng lịch")
    async with db.transaction() as session:
        kept = await session.get(Meeting, meeting_id)
        assert kept is not None and kept.status == "planned" and kept.version == 1
        assert kept.starts_at == starts and kept.place == "Nhà văn hóa ấp Đông Hòa"
