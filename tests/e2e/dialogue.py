"""Talking to the real bot process through the fake Telegram server, as a person would."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.process import BotProcess
from tests.fakes.telegram import FakeTelegram


def button(telegram: FakeTelegram, chat: int, label_part: str) -> str:
    for message in reversed(telegram.messages_for(chat)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for key in row:
                if label_part in key["text"]:
                    return str(key["callback_data"])
    raise AssertionError(f"no button with {label_part!r}: {telegram.texts_for(chat)[-3:]}")


async def step(bot: BotProcess, telegram: FakeTelegram, chat: int, press: str | None = None,
               text: str | None = None, *, webhook: bool = False) -> dict[str, object]:
    """Press a button (by part of its label) or type a text, and wait for the whole reply.

    With `webhook`, the update is POSTed to the bot's webhook as Telegram would; the update
    is returned so that a test can deliver it again.
    """
    before = len(telegram.messages_for(chat))
    if press is not None:
        update = telegram.press(chat, button(telegram, chat, press))
    else:
        update = telegram.text(chat, text or "")
    if webhook:
        status, _body = await telegram.deliver(update)
        assert status == 200
    # A reply may be several messages, and others may be told: all of it is sent before the
    # next button is pressed.
    await bot.until_handled("telegram", update["update_id"])
    await telegram.wait_for(chat, before + 1)  # already there: the reply went out
    return update


async def onboard(bot: BotProcess, telegram: FakeTelegram, chat: int, *,
                  webhook: bool = False) -> None:
    await step(bot, telegram, chat, text="/start", webhook=webhook)
    await step(bot, telegram, chat, press="Đồng ý", webhook=webhook)
    await step(bot, telegram, chat, press="Tân Dân", webhook=webhook)
    await step(bot, telegram, chat, press="Bỏ qua", webhook=webhook)  # the name
    # The phone: a reply-keyboard button sends text.
    await step(bot, telegram, chat, text="Bỏ qua", webhook=webhook)


async def open_poverty_dialogue(bot: BotProcess, telegram: FakeTelegram, office: int) -> None:
    """The office opens a poverty-policy dialogue in 12 days: 10 seats in each of three hamlets
    and 20 for anyone, reminders the day before."""
    when = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=12)).strftime(
        "%d/%m/%Y 15:30")
    await step(bot, telegram, office, press="Thêm việc khác")
    await step(bot, telegram, office, press="Đối thoại")
    await step(bot, telegram, office, press="Tạo buổi đối thoại")
    await step(bot, telegram, office, text="Đối thoại chính sách giảm nghèo năm 2026")
    await step(bot, telegram, office, text=f"{when}\nHội trường UBND xã")
    await step(bot, telegram, office, text="10 10 10 20")
    await step(bot, telegram, office, press="Xong")
    await step(bot, telegram, office, press="Có")
    await step(bot, telegram, office, press="Ngày hôm trước")
