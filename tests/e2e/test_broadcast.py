"""End to end: the office announces through Telegram; citizens on Telegram and Zalo get it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.process import BotProcess
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo, new_user_id

OFFICE = 880001
CITIZEN = 880002
TEXT = 'Lịch tiêm chủng <sáng thứ Bảy> tại trạm y tế & nhà văn hóa "ấp Tân Dân" 💉'


def button(telegram: FakeTelegram, chat: int, label_part: str) -> str:
    for message in reversed(telegram.messages_for(chat)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for key in row:
                if label_part in key["text"]:
                    return str(key["callback_data"])
    raise AssertionError(f"no button with {label_part!r}: {telegram.texts_for(chat)[-3:]}")


async def step(telegram: FakeTelegram, chat: int, press: str | None = None,
               text: str | None = None) -> None:
    before = len(telegram.messages_for(chat))
    if press is not None:
        telegram.press(chat, button(telegram, chat, press))
    else:
        telegram.text(chat, text or "")
    await telegram.wait_for(chat, before + 1)
    # A reply may be several messages: let it finish before pressing the next button.
    while True:
        count = len(telegram.messages_for(chat))
        await asyncio.sleep(0.4)
        if len(telegram.messages_for(chat)) == count:
            return


async def onboard(telegram: FakeTelegram, chat: int) -> None:
    await step(telegram, chat, text="/start")
    await step(telegram, chat, press="Đồng ý")
    await step(telegram, chat, press="Tân Dân")
    await step(telegram, chat, press="Bỏ qua")  # the name
    await step(telegram, chat, text="Bỏ qua")  # the phone: a reply-keyboard button sends text


async def test_office_announcement_reaches_citizens_on_both_channels(tmp_path: Path) -> None:
    async with FakeTelegram() as telegram, FakeZalo() as zalo:
        bot = BotProcess(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                         TELEGRAM_API_URL=telegram.base_url, ZALO_BOT_TOKEN=zalo.token,
                         ZALO_API_URL=zalo.base_url, QUIET_HOURS="",
                         # Pacing has its own tests; here it would only slow the dialogue.
                         TELEGRAM_PER_CHAT_RATE="20")
        bot.cli("seed-demo")
        bot.cli("admin", "create", "--commune", "tan-thuan-tay", "--telegram", str(OFFICE))
        await bot.start()
        try:
            await onboard(telegram, CITIZEN)
            villager = new_user_id()
            for text, count in (("chào", 2), ("1", 4), ("1", 5), ("1", 6), ("1", 7)):
                zalo.text(villager, text)
                await zalo.wait_for(villager, count)
            await onboard(telegram, OFFICE)
            await step(telegram, OFFICE, press="Gửi thông báo")
            await step(telegram, OFFICE, text=TEXT)
            await step(telegram, OFFICE, press="Toàn xã")
            await step(telegram, OFFICE, press="Y tế")
            await step(telegram, OFFICE, press="Thông thường")
            preview = "\n".join(telegram.texts_for(OFFICE)[-3:])
            assert TEXT in preview and "3 người" in preview
            citizen_had = len(telegram.messages_for(CITIZEN))
            await step(telegram, OFFICE, press="Gửi ngay")
            await telegram.wait_for(CITIZEN, citizen_had + 1)
            assert TEXT in telegram.texts_for(CITIZEN)[-1]
            zalo_messages = await zalo.wait_for(villager, 8)
            assert TEXT in zalo.texts_for(villager)[len(zalo_messages) - 1]
            assert telegram.violations == [] and zalo.violations == []
        finally:
            assert await bot.stop() == 0
    bot.assert_clean_log(TEXT, "tiêm chủng", telegram.token, zalo.token)
