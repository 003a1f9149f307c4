"""Going live: xã Minh Tiến (seed 000) set up from its workbook alone, then used for real.

Nothing here touches code or the database: the operator runs `cutri` commands, and everyone
else talks to the real process through the fake Telegram and Zalo servers.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storage.setup.workbook_example import MINH_TIEN
from storage.setup.workbook_file import write_workbook
from tests.e2e.dialogue import step
from tests.e2e.process import BotProcess
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo, new_user_id

OFFICE = 880001
DELEGATE = 880002
CITIZEN = 880003
COMMUNE = "minh-tien"
PETITION = "Đường liên thôn Nà Lừa sạt lở <2m> & chưa có biển cảnh báo"
ZALO_PETITION = "Cống thoát nước đầu thôn Nà Lừa bị tắc, nước tràn vào nhà dân"
PLACE = "Nhà văn hóa thôn Nà Lừa"


def print_code(printed: str) -> str:
    """What the invited person sends: `/start inv-…`, as Telegram sends a deep link."""
    return printed.split("/start ", 1)[1].split()[0]


def plan_file(today: date) -> bytes:
    """The office's plan: a round open from today, with one meeting in another unit."""
    def day(days: int) -> str:
        return (today + timedelta(days=days)).strftime("%d/%m/%Y")

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Kỳ họp", "Ngày khai mạc", "Ngày bế mạc", "Đợt", "Từ ngày", "Đến ngày",
                     "Đơn vị bầu cử", "Địa điểm", "Ngày", "Giờ", "Nội dung"])
    writer.writerow(["Kỳ họp thường lệ", day(20), day(21), "Trước kỳ họp", day(0), day(14),
                     "3", "Nhà văn hóa thôn Làng Cà", day(10), "7h30", "Báo cáo kết quả"])
    return out.getvalue().encode("utf-8-sig")


async def send_plan(bot: BotProcess, telegram: FakeTelegram, content: bytes) -> str:
    await step(bot, telegram, OFFICE, press="Nhập kế hoạch")
    had = len(telegram.messages_for(OFFICE))
    document = telegram.send_document(OFFICE, file_name="ke-hoach.csv", content=content)
    await telegram.wait_for(OFFICE, had + 2, timeout=30)  # "checking", then the result
    await bot.until_handled("telegram", document["update_id"])
    return "\n".join(telegram.texts_for(OFFICE)[had:])


async def onboard_in(bot: BotProcess, telegram: FakeTelegram, chat: int, hamlet: str) -> None:
    await step(bot, telegram, chat, text="/start")
    await step(bot, telegram, chat, press="Đồng ý")
    await step(bot, telegram, chat, press=hamlet)
    await step(bot, telegram, chat, press="Bỏ qua")  # the name
    await step(bot, telegram, chat, text="Bỏ qua")  # the phone: a reply-keyboard button


async def zalo_says(bot: BotProcess, zalo: FakeZalo, user: str, text: str) -> str:
    """Type one message on Zalo and wait for the whole reply; the reply's texts."""
    had = len(zalo.messages_for(user))
    update = zalo.text(user, text)
    await bot.until_handled("zalo", update["message"]["message_id"])
    await zalo.wait_for(user, had + 1)
    return "\n".join(zalo.texts_for(user)[had:])


async def told_of(fake: FakeTelegram | FakeZalo, chat: Any, had: int, what: str) -> str:
    """The first message after the first `had` that mentions `what`: others may come first
    (the round's own reminder falls due in the same scheduler pass or the one before)."""
    count = had + 1
    while True:
        count = len(await fake.wait_for(chat, count, timeout=90)) + 1
        for text in fake.texts_for(chat)[had:]:
            if what in text:
                return text


async def set_up_from_the_workbook(bot: BotProcess, tmp_path: Path) -> str:
    """The operator's three commands; the delegate's invite as printed."""
    workbook = tmp_path / "minh-tien.xlsx"
    workbook.write_bytes(write_workbook(MINH_TIEN))
    imported = bot.cli("commune", "import", str(workbook), "--yes")
    assert "Đã áp dụng" in imported and "6 thôn" in imported and "7 đại biểu" in imported
    bot.cli("admin", "create", "--commune", COMMUNE, "--telegram", str(OFFICE))
    # The operator types the seat's name as it comes, without accents.
    return print_code(bot.cli("invite", "--commune", COMMUNE, "--role", "delegate",
                              "--seat", "hoang van thang"))


async def test_a_commune_set_up_from_its_workbook_alone_goes_live(tmp_path: Path) -> None:
    async with FakeTelegram() as telegram, FakeZalo() as zalo:
        bot = BotProcess(tmp_path, TELEGRAM_BOT_TOKEN=telegram.token,
                         TELEGRAM_API_URL=telegram.base_url, TELEGRAM_PER_CHAT_RATE="20",
                         ZALO_BOT_TOKEN=zalo.token, ZALO_API_URL=zalo.base_url,
                         ZALO_PER_CHAT_RATE="20")
        invite = await set_up_from_the_workbook(bot, tmp_path)
        await bot.start()
        try:
            # The delegate of unit 1 opens the deep link and consents.
            await step(bot, telegram, DELEGATE, text=f"/start {invite}")
            await step(bot, telegram, DELEGATE, press="Đồng ý")
            assert any("đại biểu HĐND của Xã Minh Tiến" in text
                       for text in telegram.texts_for(DELEGATE))

            await onboard_in(bot, telegram, OFFICE, "Thôn Đồng Bục")

            # A citizen of Thôn Nà Lừa (unit 1) onboards and sends a petition; the office hears.
            await onboard_in(bot, telegram, CITIZEN, "Thôn Nà Lừa")
            for press, text in (("Gửi kiến nghị", None), ("Giao thông", None), (None, PETITION),
                                ("Bỏ qua", None), ("Bỏ qua", None), ("giấu tên", None),
                                ("✅ Gửi", None)):
                await step(bot, telegram, CITIZEN, press=press, text=text)
            receipt = telegram.texts_for(CITIZEN)[-1]
            assert "KN-" in receipt, receipt
            code = "KN-" + receipt.split("KN-", 1)[1][:10]
            assert code in telegram.texts_for(OFFICE)[-1]

            # A neighbour on Zalo does the same by typing numbers.
            neighbour = new_user_id()
            await zalo_says(bot, zalo, neighbour, "Xin chào")
            # Consent, Thôn Nà Lừa, no name, no phone, "send a petition", its field; the text;
            # no attachment, no place, hide my name, send.
            for said in ("1", "2", "1", "1", "1", "2", ZALO_PETITION, "1", "1", "2"):
                await zalo_says(bot, zalo, neighbour, said)
            receipt = await zalo_says(bot, zalo, neighbour, "1")
            assert "KN-" in receipt, receipt
            zalo_code = "KN-" + receipt.split("KN-", 1)[1][:10]
            assert zalo_code != code and zalo_code in telegram.texts_for(OFFICE)[-1]

            # The office imports its plan (the round), then adds the unit's meeting by typing.
            await step(bot, telegram, OFFICE, text="menu")
            today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
            assert "Đã nhập kế hoạch" in await send_plan(bot, telegram, plan_file(today))
            await step(bot, telegram, OFFICE, text="menu")
            await step(bot, telegram, OFFICE, press="Hội nghị sắp tới")
            await step(bot, telegram, OFFICE, press="Thêm hội nghị")
            await step(bot, telegram, OFFICE, press="Kỳ họp thường lệ")
            await step(bot, telegram, OFFICE, press="Đơn vị bầu cử số 1")
            had, zalo_had = len(telegram.messages_for(DELEGATE)), len(zalo.messages_for(neighbour))
            await step(bot, telegram, OFFICE, text=f"8h sáng mai tại {PLACE}")
            assert any("Đã thêm hội nghị" in text for text in telegram.texts_for(OFFICE)[-2:])

            # Its reminders three days and one day ahead are due already: the latest due goes
            # out at the scheduler's next pass (which one depends on the hour: not asserted).
            told = await told_of(telegram, DELEGATE, had, PLACE)
            assert "Đơn vị bầu cử số 1" in told
            # The unit's voters hear of it too, on their own channel.
            await told_of(zalo, neighbour, zalo_had, PLACE)
            assert telegram.violations == [] and zalo.violations == []
        finally:
            await bot.stop()
        bot.assert_clean_log(PETITION, ZALO_PETITION, PLACE)
