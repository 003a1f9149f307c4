"""End to end: villagers type what they want, in their own words, and the bot understands.

The real process against the fake Zalo and Telegram servers: a petition told in the first
message, one begun with a photo, a status asked by a code typed from memory, and a complaint
typed at the menu that gets the lawful route.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.dialogue import onboard, step
from tests.e2e.process import BotProcess
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo, new_user_id

PROBLEM = "Chào cháu, đèn đường ấp Tân Hậu bị hư 2 tháng nay, tối đi lại nguy hiểm lắm"
CITIZEN = 880001


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


def petitions_in(tmp_path: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(tmp_path / "cutri.db") as connection:
        return list(connection.execute(
            "SELECT p.code, p.content, (SELECT count(*) FROM petition_attachments a "
            "WHERE a.petition_id = p.id) FROM petitions p"))


async def say(bot: BotProcess, zalo: FakeZalo, user: str, text: str) -> str:
    """Type a message on Zalo and wait for the whole answer; its last message."""
    before = len(zalo.messages_for(user))
    update: dict[str, Any] = zalo.text(user, text)
    await bot.until_handled("zalo", update["message"]["message_id"])
    await zalo.wait_for(user, before + 1)
    return zalo.texts_for(user)[-1]


def numbered(message: str, words: str) -> str:
    """The number Zalo shows before the choice whose label contains `words`."""
    for line in message.splitlines():
        number, dot, label = line.partition(". ")
        if dot and number.isdigit() and words in label:
            return number
    raise AssertionError(f"no choice with {words!r} in {message!r}")


async def test_a_villager_tells_her_problem_first_on_zalo_and_follows_it_by_its_code(
    tmp_path: Path, zalo: FakeZalo
) -> None:
    bot = BotProcess(tmp_path, ZALO_BOT_TOKEN=zalo.token, ZALO_API_URL=zalo.base_url,
                     ZALO_PER_CHAT_RATE="20")
    bot.cli("seed-demo", "--commune-only")
    await bot.start()
    try:
        user = new_user_id()
        # The whole problem in the first message, before anything else.
        last = await say(bot, zalo, user, PROBLEM)
        last = await say(bot, zalo, user, numbered(last, "Đồng ý"))
        last = await say(bot, zalo, user, numbered(last, "Tân Hậu"))
        last = await say(bot, zalo, user, numbered(last, "Bỏ qua"))  # the name
        last = await say(bot, zalo, user, numbered(last, "Bỏ qua"))  # the phone
        # Onboarding done, her message is back, with the field it is most likely about.
        assert "thành kiến nghị" in last and "đèn đường ấp Tân Hậu" in last
        assert "1. ✅ Đúng — Điện, viễn thông" in last
        last = await say(bot, zalo, user, "1")
        last = await say(bot, zalo, user, numbered(last, "Bỏ qua"))  # no photo
        last = await say(bot, zalo, user, numbered(last, "Bỏ qua"))  # no place
        # A yes/no question answered in words.
        last = await say(bot, zalo, user, "dạ không, cháu giấu tên giùm bà")
        assert "Xem lại" in last or "Gửi" in last
        last = await say(bot, zalo, user, numbered(last, "Gửi"))
        code = "KN-" + last.split("KN-", 1)[1][:10]
        [(stored_code, content, _)] = petitions_in(tmp_path)
        assert stored_code == code and content == PROBLEM

        # Later, the code as read off the receipt: lower case, spaces, no zeros.
        year, number = code.split("-")[1:]
        last = await say(bot, zalo, user, f"kn {year} {int(number)} sao rồi cháu")
        assert code in last and "đèn đường" in last

        # A complaint typed at the menu: the lawful route, nothing filed.
        last = await say(bot, zalo, user, "toi muon khieu nai quyet dinh thu hoi dat")
        assert "tiếp công dân" in last
        assert len(petitions_in(tmp_path)) == 1
        assert all(len(text) <= 2000 for text in zalo.texts_for(user))
        assert zalo.violations == []
    finally:
        assert await bot.stop() == 0
    bot.assert_clean_log("đèn đường", "khieu nai")


async def test_a_photo_sent_first_on_telegram_becomes_a_petition_with_it(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as telegram:
        bot = BotProcess(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                         TELEGRAM_API_URL=telegram.base_url, TELEGRAM_PER_CHAT_RATE="20")
        bot.cli("seed-demo", "--commune-only")
        await bot.start()
        try:
            await onboard(bot, telegram, CITIZEN)
            had = len(telegram.messages_for(CITIZEN))
            photo = telegram.send_photo(CITIZEN)
            await bot.until_handled("telegram", photo["update_id"])
            await telegram.wait_for(CITIZEN, had + 1)
            assert "giữ lại" in telegram.texts_for(CITIZEN)[-1]
            await step(bot, telegram, CITIZEN, press="Giao thông")
            await step(bot, telegram, CITIZEN, text="Cầu khỉ ấp Tân Hùng gãy một nhịp rồi")
            # The photo is already among the attachments: "Done (1 added)".
            assert "đã thêm 1" in str(telegram.messages_for(CITIZEN)[-1].get("reply_markup"))
            await step(bot, telegram, CITIZEN, press="Xong")
            await step(bot, telegram, CITIZEN, press="Bỏ qua")
            await step(bot, telegram, CITIZEN, press="giấu tên")
            await step(bot, telegram, CITIZEN, press="✅ Gửi")
            assert "KN-" in telegram.texts_for(CITIZEN)[-1]
            [(_, content, attachments)] = petitions_in(tmp_path)
            assert content.startswith("Cầu khỉ") and attachments == 1

            # A complaint typed at the menu on Telegram too.
            await step(bot, telegram, CITIZEN, text="tố cáo cán bộ xã nhận hối lộ")
            assert "tiếp công dân" in telegram.texts_for(CITIZEN)[-1]
            assert telegram.violations == []
        finally:
            await bot.stop()
