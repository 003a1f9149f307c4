"""Onboarding: consent first, then commune and hamlet, optional phone, then the menu."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.values import Kind
from storage.db import Database
from storage.demo import seed_demo
from storage.models import Consent, Hamlet, Person
from tests.chat import Chat, actions, texts
from tests.factories import demo, make_commune


async def seeded(db: Database) -> None:
    async with db.transaction() as session:
        await seed_demo(session)


async def count(db: Database, model: type) -> int:
    async with db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_start_greets_says_it_is_automated_and_asks_consent(db: Database) -> None:
    await seeded(db)
    replies = await Chat(db).send("/start")
    assert "trợ lý tự động" in texts(replies)
    assert actions(replies) == ["consent:yes", "consent:no", "consent:more"]


async def test_refusing_consent_stores_no_person(db: Database) -> None:
    await seeded(db)
    people_before = await count(db, Person)
    chat = Chat(db)
    await chat.send("/start")
    replies = await chat.press("consent:no")
    assert "không lưu" in texts(replies)
    assert await count(db, Person) == people_before
    assert await count(db, Consent) == 0


async def test_citizen_onboards_by_typing_numbers_like_on_zalo(db: Database) -> None:
    await seeded(db)
    chat = Chat(db, channel="zalo", user_id="6ede9afa66b88fe6d6a9")
    await chat.send("Xin chào")
    await chat.send("1")  # consent
    await chat.send("4")  # Ấp Tân Hậu
    await chat.send("Lê Văn Tám")
    replies = await chat.send("0912 345 678")
    assert "menu:more:1" in actions(replies)
    person = await chat.person()
    assert person is not None
    async with db.transaction() as session:
        hamlet = await session.get(Hamlet, person.hamlet_id)
    assert hamlet is not None and hamlet.name == "Ấp Tân Hậu"
    assert person.full_name == "Lê Văn Tám"
    assert person.phone == "0912345678" and not person.phone_verified


async def test_deep_link_preselects_the_hamlet(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.send("/start ttt-tan-hung")
    replies = await chat.press("consent:yes")
    assert "Ấp Tân Hùng" in texts(replies)
    assert "name:skip" in actions(replies)


async def test_hamlet_typed_without_accents_is_understood(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.send("/start")
    await chat.press("consent:yes")
    replies = await chat.send("tan hau")
    assert "name:skip" in actions(replies)


async def test_shared_own_contact_is_a_verified_phone(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.reach_name_step(1)
    await chat.press("name:skip")
    await chat.share_contact("+84912345678")
    person = await chat.person()
    assert person is not None
    assert person.phone == "0912345678" and person.phone_verified


async def test_someone_elses_contact_is_not_verified(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.reach_name_step(1)
    await chat.press("name:skip")
    await chat.share_contact("0987654321", own=False)
    person = await chat.person()
    assert person is not None
    assert person.phone == "0987654321" and not person.phone_verified


async def test_forged_hamlet_choice_gets_a_hint_and_changes_nothing(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.send("/start")
    await chat.press("consent:yes")
    replies = await chat.press("hamlet:99999")
    assert "chọn thôn, ấp" in texts(replies)
    person = await chat.person()
    assert person is not None and person.hamlet_id is None


async def test_a_redelivered_update_is_handled_once(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    first = await chat.deliver(kind=Kind.COMMAND, command="start", update_id="same")
    again = await chat.deliver(kind=Kind.COMMAND, command="start", update_id="same")
    assert first and again == []
    assert chat.last_outcome == "duplicate"


async def test_a_name_that_cannot_be_one_is_asked_again(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.reach_name_step(1)
    for typed in ("0912345678", "?", "x" * 101, "😀😀😀"):
        replies = await chat.send(typed)
        assert "Nguyễn Văn An" in texts(replies), typed
    person = await chat.person()
    assert person is not None and person.full_name is None


async def test_a_stale_button_at_the_phone_step_says_so(db: Database) -> None:
    await seeded(db)
    chat = Chat(db)
    await chat.reach_name_step(1)
    await chat.press("name:skip")
    replies = await chat.press("name:skip")  # the old message's button, pressed again
    assert "Nút này không còn dùng được" in texts(replies)
    assert "phone:skip" in actions(replies)


async def a_province(db: Database) -> None:
    """The demo commune and eleven more: too many for buttons."""
    await demo(db)
    for n, name in enumerate(["Xã Tân Hiệp", "Xã Thạnh Đông", "Xã Tân Hội", "Xã Vĩnh Hòa Hưng",
                              "Xã Định Hòa", "Xã Hòa Thuận", "Xã Bình An", "Xã Mỹ Lâm",
                              "Xã Giục Tượng", "Xã Minh Hòa", "Xã Hòa Điền"]):
        district = "Huyện Gò Quao" if name in ("Xã Vĩnh Hòa Hưng", "Xã Định Hòa") else None
        await make_commune(db, name, [f"Ấp Số {n}"], district=district)


async def test_with_many_communes_a_citizen_types_the_name_without_accents(
    db: Database,
) -> None:
    await a_province(db)
    villager = Chat(db, user_id="9301")
    await villager.send("/start")
    asked = await villager.press("consent:yes")
    assert "gõ tên xã" in texts(asked) and actions(asked) == []
    confirm = await villager.send("tan thuan tay")
    assert "Có phải Xã Tân Thuận Tây" in texts(confirm)
    hamlets = await villager.press(actions(confirm)[0])
    assert "Ấp Tân Dân" in [c.label for r in hamlets for c in r.choices]


async def test_a_typo_or_the_former_district_offers_the_best_few(db: Database) -> None:
    await a_province(db)
    villager = Chat(db, user_id="9302")
    await villager.send("/start")
    await villager.press("consent:yes")
    offered = await villager.send("huyen go quao")
    labels = [c.label for r in offered for c in r.choices]
    assert {"Xã Vĩnh Hòa Hưng", "Xã Định Hòa"} <= set(labels) and len(labels) <= 7
    again = await villager.press("commune:again")
    assert "gõ tên xã" in texts(again)
    assert "không tìm thấy xã nào" in texts(await villager.send("qqqq zzzz"))
    typo = await villager.send("Tan Thuan Tai")
    assert "Xã Tân Thuận Tây" in [c.label for r in typo for c in r.choices][:2]
