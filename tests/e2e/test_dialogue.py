"""End to end over Telegram: the office opens a dialogue, a household registers, is checked in."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.encryption import load_key_file
from tests.e2e.dialogue import onboard, open_poverty_dialogue, step
from tests.e2e.process import BotProcess
from tests.fakes.telegram import FakeTelegram

OFFICE = 850001
HOUSEHOLD = 850002


async def test_a_household_registers_for_a_dialogue_and_is_checked_in(tmp_path: Path) -> None:
    async with FakeTelegram() as telegram:
        bot = BotProcess(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                         TELEGRAM_API_URL=telegram.base_url, TELEGRAM_PER_CHAT_RATE="20")
        bot.cli("seed-demo", "--commune-only")
        bot.cli("admin", "create", "--commune", "tan-thuan-tay", "--telegram", str(OFFICE))
        await bot.start()
        try:
            await onboard(bot, telegram, OFFICE)
            await onboard(bot, telegram, HOUSEHOLD)
            await open_poverty_dialogue(bot, telegram, OFFICE)
            assert "50" in telegram.texts_for(OFFICE)[-1]

            await step(bot, telegram, HOUSEHOLD, press="Đăng ký đối thoại")
            await step(bot, telegram, HOUSEHOLD, press="Đối thoại chính sách")
            await step(bot, telegram, HOUSEHOLD, press="Có, tôi đồng ý")
            await step(bot, telegram, HOUSEHOLD, text="Nguyễn Thị Hai")
            await step(bot, telegram, HOUSEHOLD, press="Tân Dân")
            await step(bot, telegram, HOUSEHOLD, press="Hộ cận nghèo")
            await step(bot, telegram, HOUSEHOLD, press="Vay vốn")
            await step(bot, telegram, HOUSEHOLD, press="Xong")
            await step(bot, telegram, HOUSEHOLD, text="Xin vay vốn mua máy cày <cũ>")
            await step(bot, telegram, HOUSEHOLD, press="Đăng ký")
            done = telegram.messages_for(HOUSEHOLD)[-3:]
            assert any(m.get("document", {}).get("file_name", "").endswith(".ics") for m in done)
            with sqlite3.connect(tmp_path / "cutri.db") as connection:
                code, checkin, category = connection.execute(
                    "SELECT code, checkin_code, category FROM registrations").fetchone()
            # Stored encrypted, under the key `cutri` made on first use beside the file.
            key_file = tmp_path / "cutri.db.key"
            assert category != "near_poor"
            assert load_key_file(key_file).decrypt(category, "registrations.category") == (
                "near_poor")
            assert any(checkin in (m.get("text") or "") for m in done)

            await step(bot, telegram, OFFICE, press="Thêm việc khác")
            await step(bot, telegram, OFFICE, press="Đối thoại")
            await step(bot, telegram, OFFICE, press="Đối thoại chính sách")
            assert "1/10" in telegram.texts_for(OFFICE)[-1]
            await step(bot, telegram, OFFICE, press="Điểm danh")
            await step(bot, telegram, OFFICE, text=checkin)
            assert code in telegram.texts_for(OFFICE)[-1]
            assert telegram.violations == []
        finally:
            await bot.stop()
        bot.assert_clean_log("Nguyễn Thị Hai", "máy cày")
