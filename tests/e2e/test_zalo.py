"""End to end on Zalo: the real process against the fake Zalo Bot server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.process import BotProcess
from tests.fakes.zalo import FakeZalo, new_user_id

SECRET = "zalo-webhook-secret-123"


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


async def start_bot(tmp_path: Path, zalo: FakeZalo, *, webhook: bool = False) -> BotProcess:
    # Pacing has its own tests; here it would only slow the dialogue.
    bot = BotProcess(tmp_path, ZALO_BOT_TOKEN=zalo.token, ZALO_API_URL=zalo.base_url,
                     ZALO_PER_CHAT_RATE="20")
    if webhook:
        bot.env |= {"ZALO_WEBHOOK_URL": bot.url, "ZALO_WEBHOOK_SECRET": SECRET}
    bot.cli("seed-demo")
    await bot.start()
    return bot


async def test_citizen_onboards_over_zalo_polling(tmp_path: Path, zalo: FakeZalo) -> None:
    bot = await start_bot(tmp_path, zalo)
    try:
        user = new_user_id()
        zalo.text(user, "Xin chào")
        greeting = await zalo.wait_for(user, 2)
        assert "trợ lý tự động" in zalo.texts_for(user)[0]
        assert "1. ✅ Đồng ý" in zalo.texts_for(user)[1]
        zalo.text(user, "1")
        await zalo.wait_for(user, len(greeting) + 2)
        assert "4. Ấp Tân Hậu" in zalo.texts_for(user)[-1]
        zalo.text(user, "tan hau")
        await zalo.wait_for(user, len(greeting) + 3)
        zalo.text(user, 'Võ Thị <Sáu> & "Bé" 🌾')
        await zalo.wait_for(user, len(greeting) + 5)
        assert zalo.texts_for(user)[len(greeting) + 3] == 'Cảm ơn Võ Thị <Sáu> & "Bé" 🌾.'
        zalo.text(user, "0912 345 678")
        messages = await zalo.wait_for(user, len(greeting) + 7)
        assert "Gửi kiến nghị" in zalo.texts_for(user)[len(messages) - 1]
        zalo.text(user, "Giá phân bón <tăng> & \"đắt\" 🌾")
        await zalo.wait_for(user, len(messages) + 1)
        assert all(len(text) <= 2000 for text in zalo.texts_for(user))
        assert zalo.violations == []
    finally:
        assert await bot.stop() == 0
    bot.assert_clean_log("0912", "Xin chào", "Sáu", zalo.token)


async def test_zalo_webhook_refuses_a_wrong_secret_and_handles_an_update_once(
    tmp_path: Path, zalo: FakeZalo
) -> None:
    bot = await start_bot(tmp_path, zalo, webhook=True)
    try:
        assert zalo.webhook is not None
        user = new_user_id()
        update = zalo.text(user, "Xin chào")
        status, _ = await zalo.deliver(update, secret="not-the-secret")
        assert status == 401
        status, _ = await zalo.deliver(update, secret=None)
        assert status == 401
        assert (await zalo.probe_webhook())[0] == 200
        status, _ = await zalo.deliver(update, wrapped=True)
        assert status == 200
        await zalo.wait_for(user, 2)
        status, _ = await zalo.deliver(update)
        assert status == 200
        await zalo.deliver(zalo.echo_of_bot("echo"))
        one = zalo.text(user, "1")
        status, _ = await zalo.deliver(one)
        await zalo.wait_for(user, 4)
        await bot.until_handled("zalo", one["message"]["message_id"])
        messages = zalo.messages_for(user)
        # Greeting and notice, then thanks and the hamlet question: the duplicate added nothing.
        assert len(messages) == 4, zalo.texts_for(user)
        assert "Ấp Tân Dân" in zalo.texts_for(user)[-1]
        assert zalo.violations == []
    finally:
        await bot.stop()
    bot.assert_clean_log(zalo.token, "Xin chào")
