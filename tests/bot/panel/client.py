"""The panel served as the process serves it, and a browser-like client signed in by the bot."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.panel.app import PREFIX, build_panel_app
from bot.panel.context import Panel
from storage.db import Database
from tests.chat import Chat, texts

SIGN_IN = re.compile(r"https?://[^\s/]+(/panel/sign-in/[A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PHOTO = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
         b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00"
         b"\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


async def fetch_zalo(url: str) -> bytes:
    """Stands in for the Zalo adapter's download of a photo a citizen sent."""
    assert url.startswith("https://zalo.example/")
    return PHOTO


Fetch = Callable[[str], Awaitable[bytes]]


@asynccontextmanager
async def panel_client(db: Database, *, public_url: str = "http://127.0.0.1:8080"
                       ) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    app.add_subapp(PREFIX, build_panel_app(Panel(db, public_url=public_url,
                                                 fetchers={"zalo": fetch_zalo})))
    async with TestClient(TestServer(app)) as client:
        yield client


async def sign_in_link(chat: Chat) -> str:
    """The path of the link the bot sends when a staff member asks for the panel."""
    found = SIGN_IN.search(texts(await chat.press("menu:panel")))
    assert found is not None
    return found.group(1)


async def sign_in(client: TestClient[web.Request, web.Application], chat: Chat) -> str:
    """Ask the bot, open the link, press the button: the client holds the session cookie.
    Returns the CSRF token of the session."""
    link = await sign_in_link(chat)
    async with client.get(link) as page:
        assert page.status == 200  # a link preview's GET spends nothing
    async with client.post(link, allow_redirects=False) as signed:
        assert signed.status == 303
    async with client.get("/panel/petitions") as table:
        assert table.status == 200
        found = CSRF.search(await table.text())
    assert found is not None
    return found.group(1)
