"""Dialogue seats in the bot: the offer of a freed seat arrives and is answered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.demo import seed_demo
from storage.dialogues import cancel_registration, register_household
from storage.models import Dialogue, Hamlet, HamletQuota, Registration
from storage.models.base import utcnow
from tests.chat import Chat, actions, texts
from tests.storage.test_dialogues import form


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
    assert "không dành cho" in texts(await stranger.press(accept))
    confirmed = texts(await second.press(accept))
    async with db.transaction() as session:
        mine = (await session.execute(select(Registration).where(
            Registration.status == "registered"))).scalar_one()
    assert mine.code in confirmed and mine.checkin_code in confirmed
