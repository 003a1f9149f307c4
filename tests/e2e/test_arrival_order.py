"""One person's updates are handled in the order Telegram delivered them.

A button press and the text typed right after it arrive together; the press's
`answerCallbackQuery` is held back by the fake server (a slow network), and still the text is
handled after the choice, in polling and in webhook mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.test_telegram import USER, bot_for
from tests.fakes.telegram import FakeTelegram

NOT_UNDERSTOOD = "chưa hiểu"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def assert_handled_in_order(telegram: FakeTelegram) -> None:
    texts = telegram.texts_for(USER)
    # /start (2 messages), the consent answer and the hamlet question, then the typed hamlet
    # answered with the name question: nothing answered "I did not understand".
    assert not any(NOT_UNDERSTOOD in text for text in texts), texts
    assert "tên" in texts[4].lower(), texts


async def test_a_text_after_a_press_in_one_batch_waits_for_the_press(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    bot = bot_for(tmp_path, telegram)
    await bot.start()
    gate = telegram.hold("answerCallbackQuery")
    try:
        telegram.text(USER, "/start")
        await telegram.wait_for(USER, 2)
        # Queued together, so one getUpdates answer carries both.
        telegram.press(USER, "consent:yes")
        telegram.text(USER, "Ấp Tân Chủ")
        async with asyncio.timeout(30):
            await telegram.wait_held("answerCallbackQuery")
        await telegram.wait_for(USER, 5, timeout=30)
        assert_handled_in_order(telegram)
    finally:
        gate.set()
        assert await bot.stop() == 0
    assert len(telegram.answered_callbacks) == 1
    bot.assert_clean_log()


async def test_a_text_after_a_press_over_the_webhook_waits_for_the_press(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    bot = bot_for(tmp_path, telegram, webhook=True)
    await bot.start()
    gate = telegram.hold("answerCallbackQuery")
    try:
        assert (await telegram.deliver(telegram.text(USER, "/start")))[0] == 200
        await telegram.wait_for(USER, 2)
        press = asyncio.create_task(telegram.deliver(telegram.press(USER, "consent:yes")))
        async with asyncio.timeout(30):
            await telegram.wait_held("answerCallbackQuery")
        assert (await telegram.deliver(telegram.text(USER, "Ấp Tân Chủ")))[0] == 200
        await telegram.wait_for(USER, 5, timeout=30)
        assert_handled_in_order(telegram)
        gate.set()
        assert (await press)[0] == 200
    finally:
        gate.set()
        assert await bot.stop() == 0
    bot.assert_clean_log()
