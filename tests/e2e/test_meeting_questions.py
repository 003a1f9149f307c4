"""End to end: a voter's question for a meeting reaches the unit's delegate, who answers it.

Xã Minh Tiến from its workbook; the plan puts unit 3's meeting at Thôn Làng Cà. A villager of
Thôn Đồng Tân (unit 3) sends a question for it from the meetings screen; unit 3's delegate is
told and answers in the bot; unit 1's delegate hears nothing; the villager receives the answer.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.dialogue import step
from tests.e2e.minh_tien import join_and_plan, minh_tien_bot
from tests.e2e.test_going_live import onboard_in, told_of
from tests.fakes.telegram import FakeTelegram

UNIT_3_DELEGATE, UNIT_1_DELEGATE, VOTER = 882001, 882002, 882003
SEATS = {UNIT_3_DELEGATE: "Lăng Văn Hòa", UNIT_1_DELEGATE: "Hoàng Văn Thắng"}
QUESTION = "Bao giờ đường vào thôn Đồng Tân được đổ bê tông?"
ANSWER = "Đường vào thôn Đồng Tân được đổ bê tông trong quý I năm sau."


async def test_a_question_for_the_meeting_reaches_its_delegate_who_answers_the_voter(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as telegram:
        bot, invites = minh_tien_bot(tmp_path, telegram, SEATS)
        await bot.start()
        try:
            await join_and_plan(bot, telegram, invites)
            await onboard_in(bot, telegram, VOTER, "Thôn Đồng Tân")
            await step(bot, telegram, VOTER, text="menu")
            await step(bot, telegram, VOTER, press="Lịch tiếp xúc cử tri")
            assert "Nhà văn hóa thôn Làng Cà" in telegram.texts_for(VOTER)[-1]
            await step(bot, telegram, VOTER, press="Gửi câu hỏi cho hội nghị")
            had = {chat: len(telegram.messages_for(chat)) for chat in SEATS}
            await step(bot, telegram, VOTER, text=QUESTION)

            told = await told_of(telegram, UNIT_3_DELEGATE, had[UNIT_3_DELEGATE], QUESTION)
            assert "Nhà văn hóa thôn Làng Cà" in told
            await step(bot, telegram, UNIT_3_DELEGATE, press="Trả lời tại đây")
            had_voter = len(telegram.messages_for(VOTER))
            await step(bot, telegram, UNIT_3_DELEGATE, text=ANSWER)
            answer = await told_of(telegram, VOTER, had_voter, ANSWER)
            assert "KN-" in answer
            # Unit 1's delegate was told nothing of it.
            assert not any(QUESTION in text for text in
                           telegram.texts_for(UNIT_1_DELEGATE)[had[UNIT_1_DELEGATE]:])
            assert telegram.violations == []
        finally:
            await bot.stop()
        bot.assert_clean_log(QUESTION, ANSWER, *SEATS.values())
