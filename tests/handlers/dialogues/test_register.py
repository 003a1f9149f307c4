"""Dialogue seats in the bot: the offer of a freed seat arrives and is answered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.demo import seed_demo
from storage.dialogues.dialogues import TOPICS, cancel_registration, register_household
from storage.models import Consent, Dialogue, Hamlet, HamletQuota, Registration
from storage.models.base import utcnow
from tests.chat import Chat, actions, texts
from tests.storage.dialogues.test_dialogues import form


async def test_a_waiting_household_accepts_the_seat_offered_to_it(db: Database) -> None:
    first = Chat(db, user_id="6001")
    second = Chat(db, user_id="6002", runner=first.runner)
    stranger = Chat(db, user_id="6003", runner=first.runner)
    async with db.transaction() as session:
        commune = await seed_demo(session)
    for chat in (first, second, stranger):
        await chat.onboard(1)
    async with db.transaction() as session:
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Dân"))
                  ).scalar_one()
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại giảm nghèo 2026",
                            starts_at=utcnow() + timedelta(days=10), place="Hội trường xã",
                            topics=["job_loans"], categories=["poor"],
                            registration_until=utcnow() + timedelta(days=8))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlet.id, seats=1))
    for chat in (first, second):
        person = await chat.person()
        assert person is not None
        async with db.transaction() as session:
            found = await session.get(Dialogue, dialogue.id)
            assert found is not None
            await register_household(session, found, person, form(hamlet.id))
    async with db.transaction() as session:
        seated = (await session.execute(select(Registration).where(
            Registration.status == "registered"))).scalar_one()
        await cancel_registration(session, seated)
    offer = await second.new_replies()
    (accept,) = [a for a in actions(offer) if a.startswith("dlg:accept:")]
    assert "Hội trường" not in texts(offer) and "Đối thoại giảm nghèo 2026" in texts(offer)
    assert "không phải của" in texts(await stranger.press(accept))
    confirmed = texts(await second.press(accept))
    async with db.transaction() as session:
        mine = (await session.execute(select(Registration).where(
            Registration.status == "registered"))).scalar_one()
    assert mine.code in confirmed and mine.checkin_code in confirmed


async def test_a_household_registers_with_its_questions_and_gets_codes(db: Database) -> None:
    async with db.transaction() as session:
        commune = await seed_demo(session)
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Dân"))
                  ).scalar_one()
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại giảm nghèo 2026",
                            starts_at=utcnow() + timedelta(days=10), place="Hội trường xã",
                            topics=list(TOPICS), categories=["poor", "near_poor"],
                            registration_until=utcnow() + timedelta(days=8))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlet.id, seats=1))
    households = [Chat(db, user_id=f"650{n}") for n in range(2)]
    for chat in households:
        await chat.onboard(1)
        await chat.press("menu:dialogue")
        await chat.press(f"dp:{dialogue.id}")
        await chat.press("dc:yes")
        await chat.send("Lê Thị Bảy")
        await chat.press(f"dh:{hamlet.id}")
        await chat.press("dk:near_poor")
        await chat.press("dt:job_loans")
        await chat.press("dt:labour_export")
        await chat.press("dt:done")
        review = texts(await chat.send("Xin vay vốn 50 triệu nuôi bò <sinh sản>"))
        assert "nuôi bò <sinh sản>" in review
    done_first = await households[0].press("dr:send")
    assert any(reply.file and reply.file[1].endswith(".ics") for reply in done_first)
    waiting = texts(await households[1].press("dr:send"))
    assert "chờ" in waiting
    async with db.transaction() as session:
        rows = (await session.execute(select(Registration).order_by(Registration.id))
                ).scalars().all()
        consents = (await session.execute(select(Consent.purpose).where(
            Consent.purpose == "household_category"))).scalars().all()
    assert [(r.status, r.category, r.topics) for r in rows] == [
        ("registered", "near_poor", ["job_loans", "labour_export"]),
        ("waiting", "near_poor", ["job_loans", "labour_export"])]
    assert rows[0].code in texts(done_first) and rows[0].checkin_code in texts(done_first)
    assert len(consents) == 2


async def test_refusing_the_category_notice_registers_nothing(db: Database) -> None:
    async with db.transaction() as session:
        commune = await seed_demo(session)
        session.add(Dialogue(commune_id=commune.id, title="Đối thoại", place="Xã",
                             starts_at=utcnow() + timedelta(days=10), topics=list(TOPICS),
                             categories=["poor"],
                             registration_until=utcnow() + timedelta(days=8)))
    chat = Chat(db, user_id="6600")
    await chat.onboard(1)
    dialogues = await chat.press("menu:dialogue")
    (pick,) = [a for a in actions(dialogues) if a.startswith("dp:")]
    await chat.press(pick)
    await chat.press("menu:main")  # the household changes its mind at the notice
    async with db.transaction() as session:
        assert (await session.execute(select(Registration))).first() is None
        assert (await session.execute(select(Consent).where(
            Consent.purpose == "household_category"))).first() is None


async def test_a_household_cancels_and_its_seat_is_offered_on(db: Database) -> None:
    async with db.transaction() as session:
        commune = await seed_demo(session)
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Dân"))
                  ).scalar_one()
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại 2026", place="Xã",
                            starts_at=utcnow() + timedelta(days=10), topics=list(TOPICS),
                            categories=["poor"], registration_until=utcnow() + timedelta(days=8))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlet.id, seats=1))
    seated, waiting = Chat(db, user_id="6701"), Chat(db, user_id="6702")
    for chat in (seated, waiting):
        await chat.onboard(1)
        person = await chat.person()
        assert person is not None
        async with db.transaction() as session:
            found = await session.get(Dialogue, dialogue.id)
            assert found is not None
            await register_household(session, found, person, form(hamlet.id))
    mine = await seated.press("menu:dialogue")
    (cancel,) = [a for a in actions(mine) if a.startswith("dlx:")]
    assert "DT" in texts(mine)
    await seated.press(cancel)
    offer = await waiting.new_replies()
    assert any(a.startswith("dlg:accept:") for a in actions(offer))


async def test_without_the_question_form_registration_skips_the_questions(db: Database) -> None:
    async with db.transaction() as session:
        commune = await seed_demo(session)
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Dân"))
                  ).scalar_one()
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại", place="Xã",
                            starts_at=utcnow() + timedelta(days=10), topics=list(TOPICS),
                            categories=["poor"], questions_enabled=False,
                            registration_until=utcnow() + timedelta(days=8))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlet.id, seats=3))
    chat = Chat(db, user_id="6800")
    await chat.onboard(1)
    for press in ("menu:dialogue", f"dp:{dialogue.id}", "dc:yes"):
        await chat.press(press)
    await chat.send("Phan Văn Mười")
    for press in (f"dh:{hamlet.id}", "dk:poor", "dt:benefits"):
        await chat.press(press)
    review = await chat.press("dt:done")
    assert "dr:send" in actions(review)


async def test_a_waiting_household_gets_no_door_code_until_it_has_a_seat(db: Database) -> None:
    async with db.transaction() as session:
        commune = await seed_demo(session)
        hamlet = (await session.execute(select(Hamlet).where(Hamlet.name == "Ấp Tân Dân"))
                  ).scalar_one()
        dialogue = Dialogue(commune_id=commune.id, title="Đối thoại 2026", place="Xã",
                            starts_at=utcnow() + timedelta(days=10), topics=list(TOPICS),
                            categories=["poor"], registration_until=utcnow() + timedelta(days=8))
        session.add(dialogue)
        await session.flush()
        session.add(HamletQuota(dialogue_id=dialogue.id, hamlet_id=hamlet.id, seats=1))
    seated = Chat(db, user_id="6801")
    waiting = Chat(db, user_id="6802", runner=seated.runner)
    for chat in (seated, waiting):
        await chat.onboard(1)
        person = await chat.person()
        assert person is not None
        async with db.transaction() as session:
            found = await session.get(Dialogue, dialogue.id)
            assert found is not None
            await register_household(session, found, person, form(hamlet.id))
    async with db.transaction() as session:
        first, second = (await session.execute(select(Registration).order_by(Registration.id))
                         ).scalars().all()
    mine = texts(await waiting.press("menu:dialogue"))
    assert second.code in mine and second.checkin_code not in mine
    assert first.checkin_code in texts(await seated.press("menu:dialogue"))

    async with db.transaction() as session:
        found_first = await session.get(Registration, first.id)
        assert found_first is not None
        await cancel_registration(session, found_first)
    offer = await waiting.new_replies()
    assert second.checkin_code not in texts(offer)
    assert second.checkin_code not in texts(await waiting.press("menu:dialogue"))
    (accept,) = [a for a in actions(offer) if a.startswith("dlg:accept:")]
    seat = await waiting.press(accept)
    assert second.checkin_code in texts(seat)
    assert any(reply.file and reply.file[1].endswith(".ics") for reply in seat)
    assert second.checkin_code in texts(await waiting.press("menu:dialogue"))
