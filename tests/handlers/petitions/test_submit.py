"""Petitions in the bot: sent by a citizen, worked by the office and an agency, answered."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.values import Kind
from storage.db import Database
from storage.demo import seed_demo
from storage.models import (
    Agency,
    Commune,
    Field,
    Hamlet,
    Petition,
    PetitionAttachment,
    RoleGrant,
)
from storage.petitions.petitions import LOCAL
from storage.working_days import add_working_days
from tests.chat import Chat, actions, texts

AGENCY = "Phòng Kinh tế xã"
VOTER = "Nguyễn Văn Tư"
LONG_TEXT = "Đường ấp Tân Dân có nhiều ổ gà. " * 200


async def setup(db: Database) -> tuple[Chat, Chat, Chat]:
    async with db.transaction() as session:
        await seed_demo(session)
    office = Chat(db, user_id="9001")
    officer = Chat(db, user_id="9002", runner=office.runner)
    citizen = Chat(db, user_id="9003", runner=office.runner, channel="zalo")
    for chat in (office, officer):
        await chat.onboard(1)
    await citizen.reach_name_step(1)
    await citizen.send(VOTER)
    await citizen.press("phone:skip")
    people = [await office.person(), await officer.person()]
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        agency = (await session.execute(select(Agency).where(Agency.name == AGENCY))).scalar_one()
        assert commune is not None
        for person, role, agency_id in zip(people, ("office", "agency"), (None, agency.id),
                                           strict=True):
            assert person is not None
            session.add(RoleGrant(person_id=person.id, commune_id=commune.id, role=role,
                                  agency_id=agency_id))
    await office.new_replies()
    await officer.new_replies()
    return office, officer, citizen


async def field_action(db: Database, code: str, prefix: str = "pf") -> str:
    async with db.transaction() as session:
        field_id = (await session.execute(select(Field.id).where(Field.code == code))
                    ).scalar_one()
    return f"{prefix}:{field_id}"


async def send_petition(db: Database, citizen: Chat, text: str, *, hide: bool = True,
                        photos: int = 1) -> str:
    await citizen.press("menu:petition")
    await citizen.press(await field_action(db, "transport"))
    await citizen.send(text)
    for n in range(photos):
        await citizen.deliver(kind=Kind.PHOTO, file_ref=f"https://zalo.example/photo-{n}.jpg")
    await citizen.press("pa:done")
    await citizen.send("Tổ 3, ấp Tân Dân")
    review = await citizen.press("pn:no" if hide else "pn:yes")
    assert "pr:send" in actions(review)
    receipt = texts(await citizen.press("pr:send"))
    assert "KN-" in receipt
    return receipt.split("KN-", 1)[1][:10].join(["KN-", ""])


async def petition_id(db: Database, code: str) -> int:
    async with db.transaction() as session:
        return (await session.execute(select(Petition.id).where(Petition.code == code))
                ).scalar_one()


async def test_a_petition_travels_from_citizen_to_agency_and_back(db: Database) -> None:
    office, officer, citizen = await setup(db)
    code = await send_petition(db, citizen, "Đường làng bị hỏng <nặng> & lầy lội")
    pid = await petition_id(db, code)
    assert f"ip:{pid}" in actions(await office.new_replies())

    card = texts(await office.press(f"ip:{pid}"))
    assert "Đường làng bị hỏng <nặng> & lầy lội" in card
    assert VOTER in card
    await office.press(f"io:classify:{pid}")
    await office.press(await field_action(db, "transport", "of"))
    assert any(a.startswith("oa:") for a in actions(await office.press("oc:commune")))
    async with db.transaction() as session:
        agency_id = (await session.execute(select(Agency.id).where(Agency.name == AGENCY))
                     ).scalar_one()
    forwarded = texts(await office.press(f"oa:{agency_id}"))
    assert AGENCY in forwarded and "/20" in forwarded  # the due date, dd/mm/yyyy
    notice = await officer.new_replies()
    assert f"ap:{pid}" in actions(notice)

    # The citizen hid their name: the agency reads the petition without it.
    agency_card = texts(await officer.press(f"ap:{pid}"))
    assert "lầy lội" in agency_card
    assert VOTER not in agency_card
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(PetitionAttachment))
                ).scalar() == 1
    await officer.press(f"io:answer:{pid}")
    await officer.send("Xã sẽ sửa đường trong tháng 12/2026.")

    updates = await citizen.new_replies()
    answer = [r for r in updates if "Xã sẽ sửa đường" in r.text]
    assert answer and f"pt:ok:{pid}" in actions(answer)
    await citizen.press(f"pt:ok:{pid}")
    async with db.transaction() as session:
        petition = await session.get(Petition, pid)
        assert petition is not None and petition.status == "closed"


async def test_a_citizen_can_reopen_an_answer_with_a_reason(db: Database) -> None:
    office, _officer, citizen = await setup(db)
    code = await send_petition(db, citizen, "Đèn đường ấp Tân Dân không sáng", photos=0)
    pid = await petition_id(db, code)
    await office.press(f"io:answer:{pid}")
    await office.send("Đã thay bóng đèn.")
    await citizen.new_replies()
    await citizen.press(f"pt:reopen:{pid}")
    await citizen.send("Đèn vẫn chưa sáng")
    assert f"ip:{pid}" in actions(await office.new_replies())
    history = texts(await citizen.press(f"mp:{pid}"))
    assert "Đèn vẫn chưa sáng" in history


async def test_a_too_long_petition_is_refused_whole_and_the_step_stays(db: Database) -> None:
    _office, _officer, citizen = await setup(db)
    await citizen.press("menu:petition")
    await citizen.press(await field_action(db, "transport"))
    reply = texts(await citizen.send(LONG_TEXT.strip()))
    assert str(len(LONG_TEXT.strip())) in reply
    assert "attachments" not in reply.lower()
    # A shorter text is then accepted at the same step.
    assert "pa:done" in actions(await citizen.send("Đường ấp Tân Dân có nhiều ổ gà."))


async def test_a_complaint_typed_without_accents_is_not_taken_as_a_petition(
    db: Database,
) -> None:
    _office, _officer, citizen = await setup(db)
    await citizen.press("menu:petition")
    await citizen.press(await field_action(db, "land"))
    reply = await citizen.send("Toi muon khieu nai quyet dinh thu hoi dat cua xa")
    assert "pc:complaint" in actions(reply)
    route = texts(await citizen.press("pc:complaint"))
    assert "signed" in route or "ký" in route
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Petition))).scalar() == 0


async def test_someone_elses_petition_cannot_be_settled_or_opened(db: Database) -> None:
    office, _officer, citizen = await setup(db)
    code = await send_petition(db, citizen, "Cống thoát nước bị tắc", photos=0)
    pid = await petition_id(db, code)
    await office.press(f"io:answer:{pid}")
    await office.send("Đã nạo vét.")
    stranger = Chat(db, user_id="9100", runner=office.runner)
    await stranger.onboard(2)
    await stranger.press(f"pt:ok:{pid}")
    await stranger.press(f"ip:{pid}")
    replies = texts(await stranger.press(f"mp:{pid}"))
    assert "Cống thoát nước" not in replies
    async with db.transaction() as session:
        petition = await session.get(Petition, pid)
        assert petition is not None and petition.status == "answered"


async def test_a_sixth_attachment_is_refused(db: Database) -> None:
    _office, _officer, citizen = await setup(db)
    await citizen.press("menu:petition")
    await citizen.press(await field_action(db, "transport"))
    await citizen.send("Cầu tre ấp Tân Hùng sắp sập")
    for n in range(5):
        await citizen.deliver(kind=Kind.VOICE, file_ref=f"voice-{n}")
    reply = texts(await citizen.deliver(kind=Kind.PHOTO, file_ref="photo-6"))
    assert "5" in reply
    await citizen.press("pa:done")
    await citizen.press("pl:skip")
    await citizen.press("pn:yes")
    await citizen.press("pr:send")
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(PetitionAttachment))
                ).scalar() == 5


async def test_a_delegate_enters_what_voters_said_at_a_meeting(db: Database) -> None:
    office, _officer, citizen = await setup(db)
    delegate = Chat(db, user_id="9200", runner=office.runner)
    await delegate.onboard(2)
    person = await delegate.person()
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalars().first()
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Hùng"))
                  ).scalar_one()
        assert person is not None and commune is not None
        session.add(RoleGrant(person_id=person.id, commune_id=commune.id, role="delegate"))
    assert "rp:month" not in actions(await citizen.press("menu:collect"))
    await delegate.press("menu:collect")
    await delegate.send("Tiếp xúc cử tri ấp Tân Hùng, 20/11/2026")
    for voter, text in (("Trần Văn Sáu", "Xin nạo vét kênh Tân Hùng"), (None, "Thiếu đèn")):
        if voter:
            await delegate.send(voter)
        else:
            await delegate.press("ob:skip")
        await delegate.press(f"oh:{hamlet.id}")
        await delegate.press(await field_action(db, "agriculture", "ofd"))
        recorded = await delegate.send(text)
        assert "KN-" in texts(recorded)
        await delegate.press("ob:next")
    async with db.transaction() as session:
        rows = (await session.execute(select(Petition).order_by(Petition.id))).scalars().all()
        assert [(p.voter_name, p.source, p.hamlet_id, p.person_id) for p in rows] == [
            ("Trần Văn Sáu", "meeting", hamlet.id, None), (None, "meeting", hamlet.id, None)]
        assert rows[0].source_note == "Tiếp xúc cử tri ấp Tân Hùng, 20/11/2026"


async def test_an_answer_with_a_document_brings_the_document_to_the_citizen(
    db: Database,
) -> None:
    office, _officer, citizen = await setup(db)
    code = await send_petition(db, citizen, "Xin cấp lại sổ hộ nghèo", photos=0)
    pid = await petition_id(db, code)
    await office.press(f"io:answer:{pid}")
    await office.deliver(kind=Kind.FILE, file_ref="fake-file-77", file_name="cong-van-15.pdf",
                         text="Trả lời theo Công văn số 15/UBND")
    answer = [r for r in await citizen.new_replies() if r.file is not None]
    assert [r.file[1] for r in answer if r.file] == ["cong-van-15.pdf"]
    assert "Công văn số 15" in answer[0].text


async def test_the_citizen_is_told_when_to_expect_an_answer(db: Database) -> None:
    office, _officer, citizen = await setup(db)
    await citizen.press("menu:petition")
    await citizen.press(await field_action(db, "transport"))
    await citizen.send("Cống ấp Tân Dân bị nghẹt")
    await citizen.press("pa:done")
    await citizen.press("pl:skip")
    await citizen.press("pn:no")
    receipt = texts(await citizen.press("pr:send"))
    code = "KN-" + receipt.split("KN-", 1)[1][:10]
    pid = await petition_id(db, code)
    async with db.transaction() as session:
        petition = await session.get(Petition, pid)
        assert petition is not None
        expected = add_working_days(petition.created_at.astimezone(LOCAL).date(), 15)
    assert f"chậm nhất ngày {expected:%d/%m/%Y}" in receipt

    status = texts(await citizen.press(f"mp:{pid}"))
    assert f"chậm nhất ngày {expected:%d/%m/%Y}" in status
    assert "đã gửi đến xã" in status and "submitted" not in status

    # Once forwarded, the agency's deadline is what the citizen reads.
    await office.press(f"ip:{pid}")
    await office.press(f"io:classify:{pid}")
    await office.press(await field_action(db, "transport", "of"))
    await office.press("oc:commune")
    async with db.transaction() as session:
        agency_id = (await session.execute(select(Agency.id).where(Agency.name == AGENCY))
                     ).scalar_one()
    await office.press(f"oa:{agency_id}")
    async with db.transaction() as session:
        petition = await session.get(Petition, pid)
        assert petition is not None and petition.due_on is not None
        due = petition.due_on
    assert f"chậm nhất ngày {due:%d/%m/%Y}" in texts(await citizen.press(f"mp:{pid}"))
