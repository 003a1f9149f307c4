"""End to end over Telegram: a petition goes to the office, to an agency, and its answer back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.dialogue import onboard, step
from tests.e2e.process import BotProcess
from tests.fakes.telegram import FakeTelegram

OFFICE = 870001
OFFICER = 870002
CITIZEN = 870003
AGENCY = "Phòng Kinh tế xã"
CONTENT = "Đường đal ấp Tân Dân bị sụt lún <30cm> & ngập khi mưa"


def new_bot(tmp_path: Path, telegram: FakeTelegram, **env: str) -> BotProcess:
    bot = BotProcess(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                     TELEGRAM_API_URL=telegram.base_url, TELEGRAM_PER_CHAT_RATE="20", **env)
    bot.cli("seed-demo", "--commune-only")
    return bot


def petitions_in(tmp_path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(tmp_path / "cutri.db") as connection:
        return list(connection.execute("SELECT code, status, content FROM petitions"))


async def send_petition(bot: BotProcess, telegram: FakeTelegram) -> str:
    await step(bot, telegram, CITIZEN, press="Gửi kiến nghị")
    await step(bot, telegram, CITIZEN, press="Giao thông")
    await step(bot, telegram, CITIZEN, text=CONTENT)
    had = len(telegram.messages_for(CITIZEN))
    photo = telegram.send_photo(CITIZEN)
    await telegram.wait_for(CITIZEN, had + 1)
    await bot.until_handled("telegram", photo["update_id"])
    assert "1/5" in telegram.texts_for(CITIZEN)[-1]
    await step(bot, telegram, CITIZEN, press="Xong")
    await step(bot, telegram, CITIZEN, text="Đầu cầu Tân Dân, tổ 3")
    await step(bot, telegram, CITIZEN, press="giấu tên")
    await step(bot, telegram, CITIZEN, press="✅ Gửi")
    receipt = telegram.texts_for(CITIZEN)[-1]
    assert "KN-2026-" in receipt or "KN-20" in receipt
    return "KN-" + receipt.split("KN-", 1)[1][:10]


async def test_petition_goes_to_the_agency_and_the_answer_comes_back(tmp_path: Path) -> None:
    async with FakeTelegram() as telegram:
        bot = new_bot(tmp_path, telegram)
        bot.cli("admin", "create", "--commune", "tan-thuan-tay", "--telegram", str(OFFICE))
        invite = bot.cli("invite", "--commune", "tan-thuan-tay", "--role", "agency",
                         "--agency", "phong kinh te xa").split("/start ", 1)[1].split()[0]
        await bot.start()
        try:
            await onboard(bot, telegram, CITIZEN)
            await onboard(bot, telegram, OFFICE)
            await step(bot, telegram, OFFICER, text=f"/start {invite}")
            await step(bot, telegram, OFFICER, press="Đồng ý")
            assert "Cán bộ cơ quan" in telegram.texts_for(OFFICER)[-2] or "cơ quan" in (
                telegram.texts_for(OFFICER)[-2])
            code = await send_petition(bot, telegram)

            assert code in telegram.texts_for(OFFICE)[-1]
            await step(bot, telegram, OFFICE, press="Mở xem")
            assert CONTENT in telegram.texts_for(OFFICE)[-1]
            await step(bot, telegram, OFFICE, press="Phân loại")
            await step(bot, telegram, OFFICE, press="Giao thông")
            await step(bot, telegram, OFFICE, press="Cấp xã")
            await step(bot, telegram, OFFICE, press=AGENCY)
            assert "hạn trả lời" in "".join(telegram.texts_for(OFFICE)[-2:])

            await telegram.wait_for(OFFICER, 4)
            await step(bot, telegram, OFFICER, press="Mở xem")
            card = telegram.texts_for(OFFICER)[-1]
            assert CONTENT in card and "Người kiến nghị" not in card  # the name was hidden
            await step(bot, telegram, OFFICER, press="Trả lời")
            had = len(telegram.messages_for(CITIZEN))
            await step(bot, telegram, OFFICER, text="Tháng 12/2026 xã sẽ nâng nền đoạn đường này.")

            await telegram.wait_for(CITIZEN, had + 1)
            answer = telegram.texts_for(CITIZEN)[-1]
            assert "nâng nền" in answer and code in answer
            await step(bot, telegram, CITIZEN, press="Chưa, mở lại")
            await step(bot, telegram, CITIZEN, text="Mưa vẫn ngập, chưa thấy sửa")
            assert any("Mưa vẫn ngập" in text for text in telegram.texts_for(OFFICE)[-3:])

            await step(bot, telegram, OFFICE, press="Mở xem")
            await step(bot, telegram, OFFICE, press="Trả lời")
            had = len(telegram.messages_for(CITIZEN))
            await step(bot, telegram, OFFICE, text="Đã khảo sát lại, thi công từ 01/12/2026.")
            await telegram.wait_for(CITIZEN, had + 1)
            await step(bot, telegram, CITIZEN, press="Đã giải quyết")
            assert code in telegram.texts_for(CITIZEN)[-2]
            assert petitions_in(tmp_path)[0][:2] == (code, "closed")
            assert telegram.violations == []
        finally:
            await bot.stop()
        bot.assert_clean_log(CONTENT, "Mưa vẫn ngập")


async def test_an_acknowledged_petition_survives_a_kill_and_a_redelivery(tmp_path: Path) -> None:
    async with FakeTelegram() as telegram:
        bot = new_bot(tmp_path, telegram)
        bot.env |= {"TELEGRAM_WEBHOOK_URL": bot.url, "TELEGRAM_WEBHOOK_SECRET": "s3cret-hook"}
        await bot.start()
        try:
            await onboard(bot, telegram, CITIZEN, webhook=True)
            for press, text in (("Gửi kiến nghị", None), ("Giao thông", None), (None, CONTENT),
                                ("Bỏ qua", None), ("Bỏ qua", None), ("giấu tên", None)):
                await step(bot, telegram, CITIZEN, press=press, text=text, webhook=True)
            send = await step(bot, telegram, CITIZEN, press="✅ Gửi", webhook=True)
            assert "KN-" in telegram.texts_for(CITIZEN)[-1]
            await bot.kill()
            assert [row[1] for row in petitions_in(tmp_path)] == ["received"]
            await bot.start()
            for _ in range(2):  # Telegram delivers the same update again after the crash
                assert (await telegram.deliver(send))[0] == 200
            assert len(petitions_in(tmp_path)) == 1
        finally:
            await bot.stop()
