"""The token-free chat: `cutri run` with no token serves a page a newcomer can talk to."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.e2e.process import BotProcess

BROWSER = "3f9a6c1e-4b2d-4e8f-9a7b-123456789abc"


async def test_newcomer_chats_on_the_local_page_without_any_token(tmp_path: Path) -> None:
    bot = BotProcess(tmp_path, LOCAL_CHAT="")
    bot.cli("seed-demo", "--if-empty")
    await bot.start()
    try:
        async with aiohttp.ClientSession(base_url=bot.url) as http:
            async with http.get("/") as page:
                assert page.status == 200 and "cutri" in await page.text()
            async with http.post("/chat/send", json={"user": BROWSER, "text": "/start"}) as sent:
                assert sent.status == 200
            messages = await read_messages(http, 0, 2)
            assert messages[1]["choices"][0] == ["consent:yes", "✅ Đồng ý"]
            await http.post("/chat/send", json={"user": BROWSER, "choice": "consent:yes"})
            messages = await read_messages(http, messages[-1]["seq"], 2)
            assert "Ấp Tân Dân" in [label for _, label in messages[-1]["choices"]]
            async with http.post("/chat/send", json={"user": "../etc", "text": "x"}) as bad:
                assert bad.status == 400
            async with http.post("/chat/send", data=b"not json") as bad:
                assert bad.status == 400
    finally:
        assert await bot.stop() == 0
    bot.assert_clean_log("Xin chào")


async def read_messages(http: aiohttp.ClientSession, after: int, count: int) -> list[dict]:  # type: ignore[type-arg]
    found: list[dict] = []  # type: ignore[type-arg]
    for _ in range(10):
        async with http.get("/chat/messages", params={"user": BROWSER, "after": str(after)}) as r:
            batch = (await r.json())["messages"]
        found += batch
        if batch:
            after = batch[-1]["seq"]
        if len(found) >= count:
            return found
    raise AssertionError(f"expected {count} messages, got {found}")
