"""Webhooks take only what Telegram and Zalo could send: anything else is a 4xx, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.telegram import SECRET_HEADER as TELEGRAM_SECRET_HEADER
from bot.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.telegram import TelegramChannel
from bot.zalo import SECRET_HEADER as ZALO_SECRET_HEADER
from bot.zalo import WEBHOOK_PATH as ZALO_PATH
from bot.zalo import ZaloChannel
from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from storage.db import Database

SECRET = "webhook-secret-for-tests"
DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"update_id": 1, "message": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001


@pytest.fixture
async def client(sqlite_db: Database) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    runner = ConversationRunner(sqlite_db, HandlerConfig())
    telegram = TelegramChannel("123456:TEST-TOKEN", runner, api_url="http://127.0.0.1:9",
                               webhook_url="https://example.invalid", webhook_secret=SECRET)
    zalo = ZaloChannel("zalo-token", runner, api_url="http://127.0.0.1:9",
                       webhook_url="https://example.invalid", webhook_secret=SECRET)
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(TELEGRAM_PATH, telegram.webhook)
    app.router.add_post(ZALO_PATH, zalo.webhook)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    await telegram.close()
    await zalo.close()


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, b"{not json", "«»".encode("utf-16")])
@pytest.mark.parametrize(("path", "header"), [(TELEGRAM_PATH, TELEGRAM_SECRET_HEADER),
                                              (ZALO_PATH, ZALO_SECRET_HEADER)])
async def test_a_body_no_platform_sends_is_refused_with_a_4xx(
    client: TestClient[web.Request, web.Application], path: str, header: str, body: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = await client.post(path, data=body, headers={
        header: SECRET, "Content-Type": "application/json"})
    assert 400 <= response.status < 500
    assert not any(record.exc_info for record in caplog.records)


@pytest.mark.parametrize(("path", "header"), [(TELEGRAM_PATH, TELEGRAM_SECRET_HEADER),
                                              (ZALO_PATH, ZALO_SECRET_HEADER)])
async def test_a_huge_body_is_refused_before_it_is_read(
    client: TestClient[web.Request, web.Application], path: str, header: str,
) -> None:
    body = b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = await client.post(path, data=body, headers={
        header: SECRET, "Content-Type": "application/json"})
    assert response.status == 413
