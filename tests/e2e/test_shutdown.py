"""SIGTERM stops the real process cleanly while its work is in the middle of something.

Each test catches a kind of work mid-way – a plan import waiting on the platform, the
dispatcher and a conversation waiting for the database – sends SIGTERM, and checks that the
process exits with 0 within 10 s, leaves no traceback, and that after a restart nothing was
lost.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from tests.bot.test_plan_imports import GOOD
from tests.e2e.dialogue import onboard, step
from tests.e2e.process import BotProcess
from tests.e2e.test_voter_contact import OFFICE, meetings_in
from tests.fakes.telegram import FakeTelegram

EXIT_SECONDS = 10
CITIZEN = 870001


def answered_polls(telegram: FakeTelegram) -> int:
    """getUpdates calls answered so far; the next one to be answered carries what is queued."""
    return sum(1 for call in telegram.calls
               if call["method"] == "getUpdates" and call["status"] == 200)


def new_bot(tmp_path: Path, telegram: FakeTelegram) -> BotProcess:
    return BotProcess(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                      TELEGRAM_API_URL=telegram.base_url, TELEGRAM_PER_CHAT_RATE="20")


async def test_sigterm_during_a_plan_import_exits_cleanly_and_the_import_resumes(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as telegram:
        bot = new_bot(tmp_path, telegram)
        bot.cli("seed-demo", "--commune-only")
        bot.cli("admin", "create", "--commune", "tan-thuan-tay", "--telegram", str(OFFICE))
        await bot.start()
        gate = telegram.hold("getFile")
        try:
            await onboard(bot, telegram, OFFICE)
            await step(bot, telegram, OFFICE, press="Nhập kế hoạch")
            had = len(telegram.messages_for(OFFICE))
            telegram.send_document(OFFICE, file_name="ke-hoach-2027.csv", content=GOOD)
            await telegram.wait_for(OFFICE, had + 1)  # "received, checking"
            async with asyncio.timeout(30):
                await telegram.wait_held("getFile")  # the job is fetching the file
            assert await bot.stop(seconds=EXIT_SECONDS) == 0
        finally:
            gate.set()
        bot.assert_clean_log()
        assert meetings_in(tmp_path) == 0
        await bot.start()
        try:
            messages = await telegram.wait_for(OFFICE, had + 2, timeout=60)
            assert "Đã nhập kế hoạch" in str(messages[-1].get("text"))
            assert meetings_in(tmp_path) == 4
        finally:
            assert await bot.stop(seconds=EXIT_SECONDS) == 0
        bot.assert_clean_log()


async def test_sigterm_while_the_database_is_busy_exits_cleanly_and_loses_nothing(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as telegram:
        bot = new_bot(tmp_path, telegram)
        bot.cli("seed-demo", "--commune-only")
        await bot.start()
        # Another program holds the database's write lock (a backup, an admin's command):
        # the dispatcher's next claim and the conversation below wait for it.
        holder = sqlite3.connect(tmp_path / "cutri.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            welcome = telegram.text(CITIZEN, "/start")
            async with asyncio.timeout(30):
                await telegram.wait_for_call("getUpdates", answered_polls(telegram) + 1)
            stopping = asyncio.create_task(bot.stop(seconds=EXIT_SECONDS))
            await asyncio.sleep(1)  # the lock outlives the SIGTERM, as a real one would
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert await stopping == 0
        bot.assert_clean_log()
        await bot.start()
        try:
            # The update was handled before the exit, or is redelivered: either way the
            # welcome reaches the person exactly once.
            await telegram.wait_for(CITIZEN, 2, timeout=60)
            await bot.until_handled("telegram", welcome["update_id"])
            texts = telegram.texts_for(CITIZEN)
            assert len(texts) == 2 and "trợ lý tự động" in texts[0], texts
        finally:
            assert await bot.stop(seconds=EXIT_SECONDS) == 0
        bot.assert_clean_log()
