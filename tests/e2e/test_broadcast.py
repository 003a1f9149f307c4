"""End to end: the office announces through Telegram; citizens on Telegram and Zalo get it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.dialogue import onboard, step
from tests.e2e.process import BotProcess
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo, new_user_id

OFFICE = 880001
CITIZEN = 880002
TEXT = 'Lịch tiêm chủng <sáng thứ Bảy> tại trạm y tế & nhà văn hóa "ấp Tân Dân" 💉'


async def test_office_announcement_reaches_citizens_on_both_channels(tmp_path: Path) -> None:
    async with FakeTelegram() as telegram, FakeZalo() as zalo:
        bot = BotProcess(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                         TELEGRAM_API_URL=telegram.base_url, ZALO_BOT_TOKEN=zalo.token,
                         ZALO_API_URL=zalo.base_url, QUIET_HOURS="",
                         # Pacing has its own tests; here it would only slow the dialogue.
                         TELEGRAM_PER_CHAT_RATE="20", ZALO_PER_CHAT_RATE="20")
        bot.cli("seed-demo", "--commune-only")
        bot.cli("admin", "create", "--commune", "tan-thuan-tay", "--telegram", str(OFFICE))
        await bot.start()
        try:
            await onboard(bot, telegram, CITIZEN)
            villager = new_user_id()
            for text, count in (("chào", 2), ("1", 4), ("1", 5), ("1", 6), ("1", 7)):
                zalo.text(villager, text)
                await zalo.wait_for(villager, count)
            await onboard(bot, telegram, OFFICE)
            await step(bot, telegram, OFFICE, press="Gửi thông báo")
            await step(bot, telegram, OFFICE, text=TEXT)
            await step(bot, telegram, OFFICE, press="Toàn xã")
            await step(bot, telegram, OFFICE, press="Y tế")
            await step(bot, telegram, OFFICE, press="Thông thường")
            preview = "\n".join(telegram.texts_for(OFFICE)[-3:])
            assert TEXT in preview and "3 người" in preview
            citizen_had = len(telegram.messages_for(CITIZEN))
            await step(bot, telegram, OFFICE, press="Gửi ngay")
            await telegram.wait_for(CITIZEN, citizen_had + 1)
            assert TEXT in telegram.texts_for(CITIZEN)[-1]
            zalo_messages = await zalo.wait_for(villager, 8)
            assert TEXT in zalo.texts_for(villager)[len(zalo_messages) - 1]
            assert telegram.violations == [] and zalo.violations == []
        finally:
            assert await bot.stop() == 0
    bot.assert_clean_log(TEXT, "tiêm chủng", telegram.token, zalo.token)
