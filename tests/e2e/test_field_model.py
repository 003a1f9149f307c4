"""End to end: a commune's field model trained by `cutri fields train` is used by the running
bot, whose process never maps scikit-learn (nor scipy) into its memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.process import BotProcess
from tests.e2e.test_understanding import PROBLEM, numbered, say
from tests.fakes.zalo import FakeZalo, new_user_id


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


def heavy_libraries_mapped(pid: int) -> set[str]:
    """The heavy libraries whose files the process has mapped: imported, even partly."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {name for name in ("sklearn", "scipy") if f"/{name}/" in maps}


async def test_the_running_bot_suggests_with_the_trained_model_without_loading_scikit_learn(
    tmp_path: Path, zalo: FakeZalo
) -> None:
    bot = BotProcess(tmp_path, ZALO_BOT_TOKEN=zalo.token, ZALO_API_URL=zalo.base_url,
                     ZALO_PER_CHAT_RATE="20")
    bot.cli("seed-demo")  # the lived-in demo: its office has classified petitions
    trained = bot.cli("fields", "train", "--commune", "tan-thuan-tay")
    assert "đã học từ" in trained
    await bot.start()
    try:
        user = new_user_id()
        last = await say(bot, zalo, user, PROBLEM)
        last = await say(bot, zalo, user, numbered(last, "Đồng ý"))
        last = await say(bot, zalo, user, numbered(last, "Tân Hậu"))
        last = await say(bot, zalo, user, numbered(last, "Bỏ qua"))  # the name
        last = await say(bot, zalo, user, numbered(last, "Bỏ qua"))  # the phone
        # The field suggested with the lexicon and the commune's model together.
        assert "1. ✅ Đúng — Điện, viễn thông" in last
        assert "field model loaded" in bot.log()
        assert heavy_libraries_mapped(bot.pid) == set()
    finally:
        assert await bot.stop() == 0
    bot.assert_clean_log("đèn đường")
