"""`/health` for a load balancer: ready once up, draining once stopping; updates then refused."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import HEALTH_PATH, build_process, build_web_app
from bot.settings import Settings
from bot.telegram import SECRET_HEADER, WEBHOOK_PATH
from storage.migrate import upgrade_database_async
from storage.models import InboundEvent
from tests.e2e.process import free_port

SECRET = "webhook-secret-for-tests"
UPDATE = {"update_id": 7, "message": {
    "message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
    "from": {"id": 5, "is_bot": False, "first_name": "Ba"}, "text": "/help"}}


async def test_a_stopping_replica_says_it_is_draining_and_refuses_new_updates(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cutri.db'}"
    await upgrade_database_async(url)
    settings = Settings(
        database_url=url, telegram_bot_token="123456:TEST-TOKEN",
        telegram_api_url="http://127.0.0.1:9", telegram_webhook_url="https://example.invalid",
        telegram_webhook_secret=SECRET, local_chat=False,
    )
    process = build_process(settings)
    async with TestClient(TestServer(build_web_app(process))) as client:
        assert (await client.get(HEALTH_PATH)).status == 503  # not up yet
        process.ready.set()
        assert (await client.get(HEALTH_PATH)).status == 200
        process.stop.set()  # SIGTERM
        health = await client.get(HEALTH_PATH)
        assert health.status == 503 and (await health.json())["draining"] is True
        refused = await client.post(WEBHOOK_PATH, json=UPDATE, headers={SECRET_HEADER: SECRET})
        assert refused.status == 503  # Telegram delivers it again, to a replica that is up
    async with process.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(InboundEvent)) == 0
    assert process.telegram is not None
    await process.telegram.close()
    await process.db.dispose()


async def test_an_update_that_finds_the_database_away_is_refused_to_come_again() -> None:
    # PostgreSQL restarting: nothing listens on its port for a moment.
    settings = Settings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/cutri",
        telegram_bot_token="123456:TEST-TOKEN", telegram_api_url="http://127.0.0.1:9",
        telegram_webhook_url="https://example.invalid", telegram_webhook_secret=SECRET,
        local_chat=False,
    )
    process = build_process(settings)
    async with TestClient(TestServer(build_web_app(process))) as client:
        process.ready.set()
        refused = await client.post(WEBHOOK_PATH, json=UPDATE, headers={SECRET_HEADER: SECRET})
        # Not a 500 with a traceback: a 503 that a load balancer passes to the next replica,
        # and that Telegram delivers again.
        assert refused.status == 503
        assert (await refused.json())["database"] == "unreachable"
    assert process.telegram is not None
    await process.telegram.close()
    await process.db.dispose()
