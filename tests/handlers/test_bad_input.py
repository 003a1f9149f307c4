"""Numbers from outside: Unicode digits, oversized ids, forged and stale callback data.

Each gets a polite answer in the person's language and changes nothing; none raises.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from handlers.conversation import Outcome
from handlers.registry import choice_number, find_action, parse_id
from handlers.router import resolve_choice
from handlers.values import Inbound, Kind
from storage.db import Database
from storage.demo import seed_demo
from storage.models import Petition
from tests.chat import Chat, actions, texts

FORGED = ["mp:²", "mp:٣", "mp:" + "9" * 30, "pf:" + "1" * 30, "pf:²", "hamlet:" + "7" * 30,
          "commune:¹", "bx:" + "5" * 20, "bh:²", "oh:" + "3" * 25, "ofd:²", "of:" + "4" * 19,
          "oa:²", "iv:rv:²", "iv:rv:" + "8" * 30, "iv:dl:" + "2" * 30, "iv:ag:³", "mp:-1",
          "mp:1e3", "mp: 1"]


@pytest.mark.parametrize("raw", ["²", "٣", "9" * 30, "-1", " 1", "1e3", "", "0x1"])
def test_an_id_from_outside_is_plain_digits_of_reasonable_length(raw: str) -> None:
    assert parse_id(raw) is None
    assert choice_number("mp:" + raw) is None
    assert find_action("mp:" + raw) is None


def test_a_plain_id_is_read() -> None:
    assert parse_id("42") == 42
    assert choice_number("pt:ok:42") == 42


def test_typed_digits_are_a_menu_number_only_when_written_plainly() -> None:
    offered = [["a:1", "One"], ["a:2", "Two"]]

    def typed(text: str) -> str | None:
        return resolve_choice(Inbound(channel="zalo", user_id="1", update_id="u", kind=Kind.TEXT,
                                      text=text),
                              offered).choice

    assert typed("2") == "a:2"
    assert typed("02") is None and typed("²") is None and typed("000001") is None
    assert typed("9" * 5000) is None  # int() of it would raise: more than 4300 digits


async def test_forged_callback_data_gets_a_polite_answer_and_changes_nothing(
    db: Database,
) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    chat = Chat(db, channel="telegram", user_id="4401")
    await chat.onboard()
    await chat.press("menu:petition")
    for raw in FORGED:
        replies = await chat.press(raw)
        assert chat.last_outcome is Outcome.HANDLED, raw
        assert replies, raw
        assert "Xin lỗi" not in texts(replies), raw  # not the apology for a crash
    # At the field step, a forged field id asks for the field again.
    await chat.press("menu:petition")
    replies = await chat.press("pf:" + "1" * 30)
    assert chat.last_outcome is Outcome.HANDLED
    assert any(a.startswith("pf:") for a in actions(replies))
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Petition))
                ).scalar_one() == 0


async def test_unicode_digits_typed_where_a_number_is_expected_are_refused_politely(
    db: Database,
) -> None:
    async with db.transaction() as session:
        await seed_demo(session)
    chat = Chat(db, channel="zalo", user_id="4402aaaaaaaaaaaaaaaa")
    await chat.send("/start")
    await chat.press("consent:yes")
    for typed in ("²", "٣", "9" * 5000, "02"):
        replies = await chat.send(typed)
        assert chat.last_outcome is Outcome.HANDLED, typed
        assert "Xin lỗi" not in texts(replies), typed
    assert (await chat.person()).hamlet_id is None  # type: ignore[union-attr]
