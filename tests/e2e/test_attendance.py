"""End to end: who will attend a meeting, and the nudge that reaches only the silent delegate.

Xã Minh Tiến's unit 3 has three delegates. The office adds the unit's meeting for tomorrow by
typing its start and end; the real scheduler reminds the three; one will attend, one cannot,
one says nothing. The office's card lists them so, and its nudge reaches only the third.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.dialogue import step
from tests.e2e.minh_tien import join_and_plan, minh_tien_bot
from tests.e2e.test_going_live import OFFICE, told_of
from tests.fakes.telegram import FakeTelegram

PLACE = "Nhà văn hóa thôn Làng Cà"
SEATS = {881001: "Lăng Văn Hòa", 881002: "Triệu Thị Mai", 881003: "Chu Văn Khánh"}
WILL, CANNOT, SILENT = SEATS


async def test_the_office_sees_three_answers_and_nudges_only_the_silent_delegate(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as telegram:
        bot, invites = minh_tien_bot(tmp_path, telegram, SEATS)
        await bot.start()
        try:
            await join_and_plan(bot, telegram, invites)

            # The office adds unit 3's meeting for tomorrow, with its end.
            await step(bot, telegram, OFFICE, text="menu")
            await step(bot, telegram, OFFICE, press="Hội nghị sắp tới")
            await step(bot, telegram, OFFICE, press="Thêm hội nghị")
            await step(bot, telegram, OFFICE, press="Kỳ họp thường lệ")
            await step(bot, telegram, OFFICE, press="Đơn vị bầu cử số 3")
            had = {chat: len(telegram.messages_for(chat)) for chat in SEATS}
            await step(bot, telegram, OFFICE, text=f"8h-10h sáng mai tại {PLACE}")
            assert any("Đã thêm hội nghị" in text and "08:00–10:00" in text
                       for text in telegram.texts_for(OFFICE)[-2:])

            # The scheduler reminds the three; each reminder has the two buttons.
            for chat in SEATS:
                told = await told_of(telegram, chat, had[chat], PLACE)
                assert "08:00–10:00" in told
            await step(bot, telegram, WILL, press="Tôi sẽ dự")
            await step(bot, telegram, CANNOT, press="Tôi không thể dự")

            await step(bot, telegram, OFFICE, text="menu")
            await step(bot, telegram, OFFICE, press="Hội nghị sắp tới")
            await step(bot, telegram, OFFICE, press="Đơn vị bầu cử số 3")
            card = telegram.texts_for(OFFICE)[-1]
            assert f"Sẽ dự (1): {SEATS[WILL]}" in card
            assert f"Không dự được (1): {SEATS[CANNOT]}" in card
            assert f"Chưa trả lời (1): {SEATS[SILENT]}" in card

            had = {chat: len(telegram.messages_for(chat)) for chat in SEATS}
            await step(bot, telegram, OFFICE, press="Nhắc người chưa trả lời")
            assert "Đã nhắc 1 đại biểu" in telegram.texts_for(OFFICE)[-1]
            nudge = await told_of(telegram, SILENT, had[SILENT], "Văn phòng hỏi")
            assert PLACE in nudge
            await step(bot, telegram, SILENT, press="Tôi sẽ dự")
            assert len(telegram.messages_for(WILL)) == had[WILL]
            assert len(telegram.messages_for(CANNOT)) == had[CANNOT]
            assert telegram.violations == []
        finally:
            await bot.stop()
        bot.assert_clean_log(PLACE, *SEATS.values())
