"""A person's own data: /mydata, /forget, /language, joining two chat accounts, odd input."""

from __future__ import annotations

import re

from sqlalchemy import select

from handlers.values import Kind
from storage.db import Database
from storage.demo import seed_demo
from storage.models import ChannelIdentity, Consent, Person
from tests.chat import Chat, actions, texts


async def seeded(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)


async def test_mydata_shows_hamlet_and_masked_phone(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.reach_name_step(2)
    await chat.send('Trần  Thị <Bé> & "Út" 🌾')
    await chat.share_contact("0912345678")
    shown = texts(await chat.send("/mydata"))
    assert 'Trần Thị <Bé> & "Út" 🌾' in shown
    assert "Ấp Tân Hùng" in shown and "091****678" in shown and "0912345678" not in shown


async def test_forget_erases_personal_data_after_confirmation(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.onboard()
    person = await chat.person()
    assert person is not None
    replies = await chat.send("/forget")
    assert actions(replies) == ["forget:yes", "forget:no"]
    await chat.press("forget:yes")
    assert await chat.person() is None
    async with db.transaction() as session:
        stub = await session.get(Person, person.id)
        consents = list((await session.execute(select(Consent))).scalars())
    assert stub is not None and stub.hamlet_id is None and stub.forgotten_at is not None
    assert consents and all(c.withdrawn_at is not None for c in consents)


async def test_forget_declined_keeps_everything(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.onboard()
    await chat.send("/forget")
    await chat.press("forget:no")
    person = await chat.person()
    assert person is not None and person.hamlet_id is not None


async def test_language_switch_answers_in_english(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.onboard()
    await chat.send("/language")
    replies = await chat.press("lang:en")
    assert "Language changed." in texts(replies)
    assert "➕ More" in [c.label for r in replies for c in r.choices]


async def test_typed_phone_matching_a_verified_one_joins_only_with_the_code(db: Database) -> None:
    await seeded(db)
    telegram = Chat(db, channel="telegram", user_id="555")
    await telegram.reach_name_step(1)
    await telegram.press("name:skip")
    await telegram.share_contact("0912345678")
    zalo = Chat(db, channel="zalo", user_id="ab12cd34ef56ab12cd34", runner=telegram.runner)
    await zalo.send("Xin chào")
    await zalo.send("1")
    await zalo.send("3")
    await zalo.send("1")  # skip the name
    replies = await zalo.send("0912345678")
    assert "6 chữ số" in texts(replies)
    assert (await zalo.person()) != (await telegram.person())
    code_message = texts(await telegram.new_replies())
    code = re.search(r"\b(\d{6})\b", code_message)
    assert code is not None
    wrong = "000000" if code.group(1) != "000000" else "111111"
    await zalo.send(wrong)
    assert (await zalo.person()).id != (await telegram.person()).id  # type: ignore[union-attr]
    await zalo.send(code.group(1))
    joined_zalo, joined_telegram = await zalo.person(), await telegram.person()
    assert joined_zalo is not None and joined_telegram is not None
    assert joined_zalo.id == joined_telegram.id
    async with db.transaction() as session:
        channels = (
            await session.execute(
                select(ChannelIdentity.channel).where(
                    ChannelIdentity.person_id == joined_zalo.id
                )
            )
        ).scalars()
        assert sorted(channels) == ["telegram", "zalo"]


async def test_a_typed_phone_alone_never_joins_accounts(db: Database) -> None:
    await seeded(db)
    telegram = Chat(db, channel="telegram", user_id="556")
    await telegram.onboard()
    await telegram.send("/menu")
    await telegram.press("menu:phone")
    await telegram.send("0987654321")  # typed, so unverified
    zalo = Chat(db, channel="zalo", user_id="ffffeeeeddddccccbbbb", runner=telegram.runner)
    await zalo.onboard()
    await zalo.press("menu:phone")
    await zalo.send("0987654321")
    assert (await zalo.person()).id != (await telegram.person()).id  # type: ignore[union-attr]


async def test_photos_and_stickers_outside_a_step_get_a_hint_and_the_menu(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.onboard()
    for kind in (Kind.PHOTO, Kind.STICKER, Kind.VOICE, Kind.FILE, Kind.LOCATION,
                 Kind.UNSUPPORTED):
        replies = await chat.deliver(kind=kind)
        assert replies and "menu:more:1" in actions(replies), kind


async def test_unknown_command_in_the_middle_of_a_flow_is_answered(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.send("/start")
    replies = await chat.send("/khongco")
    assert "chưa hiểu lệnh" in texts(replies)
