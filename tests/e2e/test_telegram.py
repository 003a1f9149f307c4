"""End to end on Telegram: the real process against the fake Bot API server (schema-checked)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import ChannelIdentity
from tests.e2e.process import BotProcess
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo, new_user_id

SECRET = "telegram-webhook-secret"
USER = 700001
NAME = 'Trần <b>Út</b> & "Bé" 🌾'


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def bot_for(tmp_path: Path, telegram: FakeTelegram, *, webhook: bool = False) -> BotProcess:
    # Pacing has its own tests; here it would only slow the dialogue.
    bot = BotProcess(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                     TELEGRAM_API_URL=telegram.base_url, TELEGRAM_PER_CHAT_RATE="20")
    if webhook:
        bot.env |= {"TELEGRAM_WEBHOOK_URL": bot.url, "TELEGRAM_WEBHOOK_SECRET": SECRET}
    bot.cli("seed-demo")
    return bot


async def onboard_on_telegram(telegram: FakeTelegram, deliver: bool = False) -> None:
    async def push(update: dict[str, object]) -> None:
        if deliver:
            status, _ = await telegram.deliver(update)
            assert status == 200

    await push(telegram.text(USER, "/start"))
    await telegram.wait_for(USER, 2)
    assert "trợ lý tự động" in telegram.texts_for(USER)[0]
    await push(telegram.press(USER, "consent:yes"))
    await telegram.wait_for(USER, 4)
    await push(telegram.press(USER, telegram_last_choice(telegram, "Ấp Tân Chủ")))
    await telegram.wait_for(USER, 5)
    await push(telegram.text(USER, NAME))
    await telegram.wait_for(USER, 7)
    assert telegram.texts_for(USER)[5] == f"Cảm ơn {NAME}."
    await push(telegram.share_contact(USER, "+84 912 345 678"))
    await telegram.wait_for(USER, 9)
    assert "Xong rồi" in telegram.texts_for(USER)[-1]


def telegram_last_choice(telegram: FakeTelegram, label: str) -> str:
    for message in reversed(telegram.messages_for(USER)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == label:
                    return str(button["callback_data"])
    raise AssertionError(f"no button {label!r}")


async def test_citizen_onboards_over_telegram_polling(tmp_path: Path,
                                                     telegram: FakeTelegram) -> None:
    bot = bot_for(tmp_path, telegram)
    await bot.start()
    try:
        await onboard_on_telegram(telegram)
        assert {key[1] for key in telegram.commands} >= {"vi", "en"}
        telegram.send_photo(USER, caption="ảnh đường làng")
        await telegram.wait_for(USER, 10)
        assert "ảnh" in telegram.texts_for(USER)[-1]
        assert telegram.violations == []
    finally:
        assert await bot.stop() == 0
    bot.assert_clean_log("0912345678", "Trần", telegram.token)


async def test_telegram_webhook_needs_the_secret_and_drops_redeliveries(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    bot = bot_for(tmp_path, telegram, webhook=True)
    await bot.start()
    try:
        assert telegram.webhook is not None
        update = telegram.text(USER, "/start")
        assert (await telegram.deliver(update, secret="wrong"))[0] == 401
        assert (await telegram.deliver(update, secret=None))[0] == 401
        assert (await telegram.deliver(update))[0] == 200
        await telegram.wait_for(USER, 2)
        assert (await telegram.deliver(update))[0] == 200
        press = telegram.press(USER, "consent:no")
        assert (await telegram.deliver(press))[0] == 200
        await telegram.wait_for(USER, 3)
        await bot.until_handled("telegram", press["update_id"])  # a late copy would be in by now
        messages = telegram.messages_for(USER)
        assert len(messages) == 3, telegram.texts_for(USER)
        assert telegram.violations == []
    finally:
        await bot.stop()
    bot.assert_clean_log(SECRET, telegram.token)


async def test_the_same_phone_on_telegram_and_zalo_becomes_one_person(tmp_path: Path,
                                                                      telegram: FakeTelegram
                                                                      ) -> None:
    async with FakeZalo() as zalo:
        bot = bot_for(tmp_path, telegram)
        # The code is a routine message: without quiet hours it leaves at any time of day.
        bot.env |= {"ZALO_BOT_TOKEN": zalo.token, "ZALO_API_URL": zalo.base_url,
                    "QUIET_HOURS": "", "ZALO_PER_CHAT_RATE": "20"}
        await bot.start()
        try:
            await onboard_on_telegram(telegram)
            user = new_user_id()
            for text, expected in (("Xin chào", 2), ("1", 4), ("1", 5), ("Lê Văn Tám", 7)):
                zalo.text(user, text)
                await zalo.wait_for(user, expected)
            telegram_before = len(telegram.messages_for(USER))
            zalo.text(user, "0912345678")
            await zalo.wait_for(user, 8)
            assert "6 chữ số" in zalo.texts_for(user)[-1]
            await telegram.wait_for(USER, telegram_before + 1)
            code = re.search(r"\b(\d{6})\b", telegram.texts_for(USER)[-1])
            assert code is not None, telegram.texts_for(USER)[-1]
            zalo.text(user, code.group(1))
            await zalo.wait_for(user, 10)
            assert "gộp hai tài khoản" in "\n".join(zalo.texts_for(user))
            assert telegram.violations == [] and zalo.violations == []
        finally:
            await bot.stop()
    database = Database(bot.env["DATABASE_URL"])
    async with database.transaction() as session:
        owners = {
            identity.channel: identity.person_id
            for identity in (await session.execute(select(ChannelIdentity))).scalars()
        }
    await database.dispose()
    assert owners["telegram"] is not None and owners["telegram"] == owners["zalo"]
    bot.assert_clean_log("0912345678", code.group(1))
