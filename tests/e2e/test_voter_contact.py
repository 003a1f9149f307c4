"""End to end: the office sends the year's plan as a file to the real process over Telegram."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.bot.test_plan_imports import BAD, GOOD
from tests.e2e.dialogue import onboard, step
from tests.e2e.process import BotProcess
from tests.fakes.telegram import FakeTelegram

OFFICE = 860001


def meetings_in(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "cutri.db") as connection:
        return int(connection.execute("SELECT count(*) FROM meetings").fetchone()[0])


async def send_plan(bot: BotProcess, telegram: FakeTelegram, name: str, content: bytes) -> str:
    await step(bot, telegram, OFFICE, press="Nhập kế hoạch")
    had = len(telegram.messages_for(OFFICE))
    document = telegram.send_document(OFFICE, file_name=name, content=content)
    await telegram.wait_for(OFFICE, had + 1)  # "received, checking"
    # The background job fetches the file from Telegram and answers within seconds.
    await telegram.wait_for(OFFICE, had + 2, timeout=30)
    await bot.until_handled("telegram", document["update_id"])
    return "\n".join(telegram.texts_for(OFFICE)[had:])


async def test_a_plan_file_is_fetched_checked_and_imported(tmp_path: Path) -> None:
    async with FakeTelegram() as telegram:
        bot = BotProcess(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                         TELEGRAM_API_URL=telegram.base_url, TELEGRAM_PER_CHAT_RATE="20")
        bot.cli("seed-demo", "--commune-only")
        bot.cli("admin", "create", "--commune", "tan-thuan-tay", "--telegram", str(OFFICE))
        await bot.start()
        try:
            await onboard(bot, telegram, OFFICE)
            refused = await send_plan(bot, telegram, "ke-hoach-loi.csv", BAD)
            assert "Dòng 2, cột Ngày" in refused and meetings_in(tmp_path) == 0
            imported = await send_plan(bot, telegram, "ke-hoach-2027.csv", GOOD)
            assert "Đã nhập kế hoạch" in imported and meetings_in(tmp_path) == 4
            assert any(m.get("document", {}).get("file_name", "").endswith(".xlsx")
                       for m in telegram.messages_for(OFFICE))  # the template went out
            assert telegram.violations == []
        finally:
            await bot.stop()
        bot.assert_clean_log("Xin vay", "Nhà văn hóa")
