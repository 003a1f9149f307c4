"""Free text understood anywhere: what villagers type at the menu or at a question leads on."""

from __future__ import annotations

from sqlalchemy import select

from handlers.values import Kind
from storage.db import Database
from storage.models import Conversation, Field, Petition
from tests.chat import Chat, actions, texts
from tests.factories import citizen, demo

NOT_UNDERSTOOD = "tôi chưa hiểu ý bà con"
STREET_LIGHT = "Đèn đường ấp Tân Hậu bị hư 2 tháng nay, tối đi lại nguy hiểm lắm cháu ơi"


async def villager(db: Database, user_id: str = "5001", channel: str = "zalo") -> Chat:
    await demo(db)
    await citizen(db, user_id, channel=channel, name="Lê Thị Bảy")
    chat = Chat(db, user_id=user_id, channel=channel)
    await chat.send("/menu")
    return chat


async def field_id(db: Database, code: str) -> int:
    async with db.transaction() as session:
        return (await session.execute(select(Field.id).where(Field.code == code))).scalar_one()


async def send_by_menu(chat: Chat, db: Database, content: str) -> str:
    """A petition sent the long way, by buttons; its code."""
    await chat.press("menu:petition")
    await chat.press(f"pf:{await field_id(db, 'transport')}")
    await chat.send(content)
    await chat.press("pa:done")
    await chat.press("pl:skip")
    await chat.press("pn:no")
    receipt = texts(await chat.press("pr:send"))
    return "KN-" + receipt.split("KN-", 1)[1][:10]


# -- the observed failures --------------------------------------------------------------------


async def test_a_question_about_poor_household_money_at_the_menu_is_asked_back(
    db: Database,
) -> None:
    chat = await villager(db)
    replies = await chat.send("chào cháu, bà muốn hỏi tiền hỗ trợ hộ nghèo")
    assert NOT_UNDERSTOOD not in texts(replies)
    offered = actions(replies)
    # One short question: the likely meanings, and the way back to the menu.
    assert "un:petition" in offered and "menu:dialogue" in offered
    assert "menu:main" in offered
    # Chosen as a petition, what she typed is kept as its content.
    replies = await chat.press("un:petition")
    assert "tiền hỗ trợ hộ nghèo" in texts(replies)


async def test_a_typed_code_at_the_menu_shows_the_own_petition(db: Database) -> None:
    chat = await villager(db)
    code = await send_by_menu(chat, db, "Cống thoát nước ấp Tân Dân bị nghẹt")
    replies = await chat.send(code)
    assert NOT_UNDERSTOOD not in texts(replies)
    assert any(reply.title == code for reply in replies)
    assert "Cống thoát nước" in texts(replies)
    # As people type it off a paper: lower case, spaces, no zeros.
    number = int(code.rsplit("-", 1)[1])
    replies = await chat.send(f"kn {code[3:7]} {number}")
    assert any(reply.title == code for reply in replies)


async def test_someone_elses_code_gets_a_polite_answer_and_shows_nothing(db: Database) -> None:
    chat = await villager(db)
    code = await send_by_menu(chat, db, "Cống thoát nước ấp Tân Dân bị nghẹt")
    await citizen(db, "5002", channel="zalo")
    stranger = Chat(db, user_id="5002", channel="zalo")
    replies = await stranger.send(code)
    shown = texts(replies)
    assert "Cống thoát nước" not in shown and NOT_UNDERSTOOD not in shown
    assert code in shown  # the answer names what was asked about
    unknown = texts(await stranger.send("KN-2026-09999"))
    # An unknown code and someone else's get the same answer: nothing tells them apart.
    assert unknown.replace("KN-2026-09999", code) == shown


async def test_typed_complaints_at_the_menu_get_the_lawful_route(db: Database) -> None:
    chat = await villager(db)
    for typed in ("tố cáo cán bộ xã nhận hối lộ", "toi muon khieu nai quyet dinh thu hoi dat"):
        replies = await chat.send(typed)
        assert NOT_UNDERSTOOD not in texts(replies)
        assert "lt:complaint" in actions(replies), typed
    # The letter carries what was typed.
    async with db.transaction() as session:
        conversation = (await session.execute(select(Conversation).where(
            Conversation.flow == "complaint"))).scalar_one()
        assert "khieu nai quyet dinh" in conversation.data["content"]
    async with db.transaction() as session:
        assert (await session.execute(select(Petition))).first() is None


async def test_a_problem_typed_instead_of_a_field_is_kept(db: Database) -> None:
    chat = await villager(db)
    await chat.press("menu:petition")
    replies = await chat.send(STREET_LIGHT)
    assert "Đèn đường ấp Tân Hậu" in texts(replies)
    electricity = await field_id(db, "power")
    assert f"pf:{electricity}" == actions(replies)[0]
    # One press confirms the suggested field; the content is not asked again.
    replies = await chat.press(f"pf:{electricity}")
    assert "pa:done" in actions(replies)
    await chat.press("pa:done")
    await chat.press("pl:skip")
    review = texts(await chat.press("pn:yes"))
    assert STREET_LIGHT in review


async def test_menu_items_typed_loosely_work_after_any_screen(db: Database) -> None:
    chat = await villager(db)
    for typed in ("dang ky doi thoai", "dang ki doi thoai", "doi thoai"):
        await chat.press("menu:mypetitions")  # another screen first
        replies = await chat.send(typed)
        assert NOT_UNDERSTOOD not in texts(replies), typed
        assert "Đối thoại" in texts(replies) or "đối thoại" in texts(replies), typed
    await chat.press("menu:help")
    replies = await chat.send("kien nghi")
    assert any(a.startswith("pf:") for a in actions(replies))


# -- more of the same rule --------------------------------------------------------------------


async def test_a_problem_typed_at_the_menu_becomes_a_draft_with_a_suggested_field(
    db: Database,
) -> None:
    chat = await villager(db)
    replies = await chat.send(STREET_LIGHT)
    assert "kiến nghị" in texts(replies) and STREET_LIGHT[:30] in texts(replies)
    electricity = await field_id(db, "power")
    assert actions(replies)[:2] == [f"pf:{electricity}", "pf:list"]
    replies = await chat.send("2")  # another field, by its number on Zalo
    assert f"pf:{electricity}" in actions(replies)
    await chat.press(f"pf:{await field_id(db, 'transport')}")
    await chat.press("pa:done")
    await chat.press("pl:skip")
    await chat.press("pn:no")
    receipt = texts(await chat.press("pr:send"))
    assert "KN-" in receipt
    async with db.transaction() as session:
        petition = (await session.execute(select(Petition))).scalar_one()
        assert petition.content == STREET_LIGHT


async def test_a_photo_sent_first_starts_a_petition_that_keeps_it(db: Database) -> None:
    chat = await villager(db)
    replies = await chat.deliver(kind=Kind.PHOTO, file_ref="zalo-photo-1")
    assert any(a.startswith("pf:") for a in actions(replies))
    await chat.press(f"pf:{await field_id(db, 'transport')}")
    replies = await chat.send("Cầu khỉ ấp Tân Hùng gãy rồi")
    assert "Done" in texts(replies) or "Xong" in " ".join(
        c.label for r in replies for c in r.choices)
    await chat.press("pa:done")
    await chat.press("pl:skip")
    review = texts(await chat.press("pn:no"))
    assert ": 1" in review  # one attachment already


async def test_a_newcomers_first_message_waits_through_onboarding(db: Database) -> None:
    await demo(db)
    chat = Chat(db, user_id="5009", channel="zalo")
    replies = await chat.send(STREET_LIGHT)
    assert "consent:yes" in actions(replies)
    await chat.press("consent:yes")
    await chat.send("1")  # hamlet
    await chat.press("name:skip")
    replies = await chat.press("phone:skip")
    assert STREET_LIGHT[:30] in texts(replies)
    assert "pf:list" in actions(replies)


async def test_yes_and_no_are_understood_at_a_yes_no_question(db: Database) -> None:
    chat = await villager(db)
    await chat.press("menu:petition")
    await chat.press(f"pf:{await field_id(db, 'transport')}")
    await chat.send("Đường đất ấp Tân Dân lầy lội mùa mưa")
    await chat.press("pa:done")
    await chat.press("pl:skip")
    review = await chat.send("dạ không, giấu tên giùm bà")
    assert "pr:send" in actions(review)
    async with db.transaction() as session:
        conversation = (await session.execute(select(Conversation).where(
            Conversation.flow == "petition"))).scalar_one()
        assert conversation.data["show_name"] is False


async def test_forgetting_typed_at_the_menu_still_asks_to_confirm(db: Database) -> None:
    chat = await villager(db)
    replies = await chat.send("bà muốn xóa hết dữ liệu của bà")
    assert "forget:yes" in actions(replies) or "menu:forget" in actions(replies)
    person = await chat.person()
    assert person is not None and person.hamlet_id is not None


async def test_free_text_at_a_step_that_takes_text_is_still_the_answer(db: Database) -> None:
    chat = await villager(db)
    await chat.press("menu:petition")
    await chat.press(f"pf:{await field_id(db, 'transport')}")
    # "đối thoại" in a petition's text is its content, not a way out of the flow.
    replies = await chat.send("Đề nghị xã tổ chức đối thoại về đường ấp Tân Dân")
    assert "pa:done" in actions(replies)


async def test_nothing_understood_gets_a_question_with_buttons(db: Database) -> None:
    chat = await villager(db)
    replies = await chat.send("xyz qwe")
    assert len(actions(replies)) >= 2 and "menu:main" in actions(replies)


async def test_consent_can_be_given_in_words(db: Database) -> None:
    await demo(db)
    chat = Chat(db, user_id="5010", channel="zalo")
    await chat.send("/start")
    replies = await chat.send("dạ đồng ý")
    assert any(a.startswith("hamlet:") for a in actions(replies))
    person = await chat.person()
    assert person is not None


async def test_a_field_named_in_words_is_chosen(db: Database) -> None:
    chat = await villager(db)
    await chat.press("menu:petition")
    replies = await chat.send("giao thong")
    assert "pe:cancel" in actions(replies) and not any(
        a.startswith("pf:") for a in actions(replies))


# -- an unsent draft is not dropped by a detour ------------------------------------------------


async def draft_at_the_attachment_step(db: Database) -> Chat:
    """A villager told her problem, confirmed the field and is asked for photos."""
    chat = await villager(db)
    await chat.send(STREET_LIGHT)
    replies = await chat.press(f"pf:{await field_id(db, 'power')}")
    assert "pa:done" in actions(replies)
    return chat


async def test_a_code_typed_while_writing_a_petition_asks_before_dropping_it(
    db: Database,
) -> None:
    chat = await draft_at_the_attachment_step(db)
    replies = await chat.send("KN-2026-00042")  # remembered her old petition
    assert actions(replies) == ["pe:resume", "pe:leave"]
    assert "chưa được gửi" in texts(replies)
    # She goes on: the question she was at comes back, and her petition is sent whole.
    replies = await chat.press("pe:resume")
    assert "pa:done" in actions(replies)
    await chat.press("pa:done")
    await chat.press("pl:skip")
    await chat.press("pn:no")
    assert "KN-" in texts(await chat.press("pr:send"))
    async with db.transaction() as session:
        petition = (await session.execute(select(Petition))).scalar_one()
    assert petition.content == STREET_LIGHT


async def test_leaving_the_unsent_petition_does_what_was_asked(db: Database) -> None:
    chat = await draft_at_the_attachment_step(db)
    await chat.send("kn 2026 42")
    replies = await chat.send("có")  # yes, leave it
    assert "KN-2026-00042" in texts(replies)  # the code looked up
    async with db.transaction() as session:
        conversation = (await session.execute(select(Conversation))).scalars().all()
        assert all(c.flow != "petition" for c in conversation)
        assert (await session.execute(select(Petition))).first() is None


async def test_a_draft_of_a_photo_alone_is_kept_the_same_way(db: Database) -> None:
    chat = await villager(db)
    await chat.deliver(kind=Kind.PHOTO, file_ref="zalo-photo-1")
    replies = await chat.send("đăng ký đối thoại")
    assert actions(replies) == ["pe:resume", "pe:leave"]
    replies = await chat.send("không")  # no: back to her petition, at the field question
    assert any(a.startswith("pf:") for a in actions(replies))
