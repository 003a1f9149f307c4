"""Xã Minh Tiến live from its workbook, with its plan and some delegates: for end-to-end tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from storage.setup.workbook_example import MINH_TIEN
from storage.setup.workbook_file import write_workbook
from tests.e2e.dialogue import step
from tests.e2e.process import BotProcess
from tests.e2e.test_going_live import (
    COMMUNE,
    OFFICE,
    onboard_in,
    plan_file,
    print_code,
    send_plan,
)
from tests.fakes.telegram import FakeTelegram


def minh_tien_bot(tmp_path: Path, telegram: FakeTelegram, seats: dict[int, str],
                  ) -> tuple[BotProcess, dict[int, str]]:
    """The operator's commands: the workbook imported, the office's admin, a delegate invite
    per seat (chat → seat name); the bot, not started, and each chat's invite code."""
    bot = BotProcess(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                     TELEGRAM_API_URL=telegram.base_url, TELEGRAM_PER_CHAT_RATE="20")
    workbook = tmp_path / "minh-tien.xlsx"
    workbook.write_bytes(write_workbook(MINH_TIEN))
    assert "Đã áp dụng" in bot.cli("commune", "import", str(workbook), "--yes")
    bot.cli("admin", "create", "--commune", COMMUNE, "--telegram", str(OFFICE))
    invites = {chat: print_code(bot.cli("invite", "--commune", COMMUNE, "--role", "delegate",
                                        "--seat", name))
               for chat, name in seats.items()}
    return bot, invites


async def join_and_plan(bot: BotProcess, telegram: FakeTelegram,
                        invites: dict[int, str]) -> None:
    """The delegates join by their invites, the office onboards and sends the round's plan."""
    for chat, invite in invites.items():
        await step(bot, telegram, chat, text=f"/start {invite}")
        await step(bot, telegram, chat, press="Đồng ý")
    await onboard_in(bot, telegram, OFFICE, "Thôn Đồng Bục")
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    assert "Đã nhập kế hoạch" in await send_plan(bot, telegram, plan_file(today))
