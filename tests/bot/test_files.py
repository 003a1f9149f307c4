"""Generated files leave as documents on Telegram, as expiring links on Zalo, and download once."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from aiohttp import web

from bot.files import file_route, file_url, with_file_link
from bot.telegram import TelegramChannel
from bot.zalo import ZaloChannel
from handlers.conversation import ConversationRunner
from handlers.turn import HandlerConfig
from handlers.values import Reply
from storage.db import Database
from storage.files import purge_expired_files, refer_to_platform_file, store_file
from storage.models.base import utcnow
from tests.e2e.process import free_port
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo, new_user_id

CONTENT = b"PK\x03\x04 not really a docx, but bytes are bytes"
NAME = "báo cáo kiến nghị.docx"


async def keep(db: Database, *, days: float = 0) -> str:
    async with db.transaction() as session:
        stored = store_file(session, NAME, CONTENT, owner_id=None,
                            now=utcnow() - timedelta(days=days))
        return stored.token


def payload(token: str) -> dict[str, object]:
    return Reply(text="Báo cáo tháng 11", file=(token, NAME)).to_payload()


async def test_a_stored_file_downloads_by_its_link_until_it_expires(db: Database) -> None:
    token = await keep(db)
    expired = await keep(db, days=31)
    app = web.Application()
    app.router.add_routes([file_route(db)])
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(file_url(base, token, NAME)) as response:
                assert response.status == 200
                assert await response.read() == CONTENT
                assert "attachment" in response.headers["Content-Disposition"]
            for wrong in (file_url(base, expired, NAME), file_url(base, "guess", NAME)):
                async with http.get(wrong) as response:
                    assert response.status == 404
    finally:
        await runner.cleanup()
    async with db.transaction() as session:
        assert await purge_expired_files(session) == 1


async def test_telegram_gets_the_file_as_a_document_then_the_text(db: Database) -> None:
    token = await keep(db)
    async with FakeTelegram() as telegram:
        telegram.text(550001, "xin chào")
        channel = TelegramChannel(telegram.token, ConversationRunner(db, HandlerConfig()),
                                  api_url=telegram.base_url)
        try:
            assert type(await channel.send("550001", payload(token))).__name__ == "Sent"
        finally:
            await channel.close()
        methods = [entry["method"] for entry in telegram.sent]
        assert methods == ["sendDocument", "sendMessage"]
        document = telegram.sent[0]["message"]["document"]
        assert document["file_name"] == NAME and document["file_size"] == len(CONTENT)
        assert telegram.violations == []


async def test_zalo_gets_a_link_because_it_takes_no_files(db: Database) -> None:
    token = await keep(db)
    async with FakeZalo() as zalo:
        user = new_user_id()
        zalo.text(user, "chào")
        channel = ZaloChannel(zalo.token, ConversationRunner(db, HandlerConfig()),
                              api_url=zalo.base_url, public_url="https://cutri.example.vn")
        try:
            await channel.send(user, payload(token))
        finally:
            await channel.client.aclose()
        (text,) = zalo.texts_for(user)
        assert file_url("https://cutri.example.vn", token, NAME) in text
        assert text.startswith("Báo cáo tháng 11")


async def test_an_answer_sent_as_a_telegram_document_reaches_a_zalo_citizen_by_link(
    db: Database,
) -> None:
    async with FakeTelegram() as telegram:
        officer = 550002
        sent = telegram.send_document(officer, file_name="cong-van-tra-loi.pdf")
        file_id = sent["message"]["document"]["file_id"]
        async with db.transaction() as session:
            token = refer_to_platform_file(session, "cong-van-tra-loi.pdf",
                                           f"telegram:{file_id}", owner_id=None).token
        channel = TelegramChannel(telegram.token, ConversationRunner(db, HandlerConfig()),
                                  api_url=telegram.base_url)
        app = web.Application()
        app.router.add_routes([file_route(db, {"telegram": channel.download})])
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            link = with_file_link(Reply(text="Trả lời", file=(token, "cong-van-tra-loi.pdf")),
                                  f"http://127.0.0.1:{port}").text.rsplit(" ", 1)[1]
            async with aiohttp.ClientSession() as http, http.get(link) as response:
                assert response.status == 200
                assert await response.read() == telegram.file_bytes(file_id)
            # On Telegram the same answer goes out as the officer's own document, by its id.
            telegram.text(550001, "xin chào")
            await channel.send("550001", payload(token) | {"file": [token, "x.pdf"]})
            assert telegram.sent[0]["message"]["document"]["file_id"] == file_id
        finally:
            await runner.cleanup()
            await channel.close()
        assert telegram.downloads == [file_id]
        assert telegram.violations == []


async def test_a_photo_goes_out_as_a_photo_on_both_channels(db: Database) -> None:
    async with db.transaction() as session:
        token = refer_to_platform_file(session, "thong-bao.jpg", "telegram:fake-file-5",
                                       owner_id=None).token
    photo = Reply(text="Lịch phun thuốc muỗi", file=(token, "thong-bao.jpg")).to_payload()
    async with FakeTelegram() as telegram:
        telegram.text(550001, "xin chào")
        channel = TelegramChannel(telegram.token, ConversationRunner(db, HandlerConfig()),
                                  api_url=telegram.base_url)
        try:
            await channel.send("550001", photo)
        finally:
            await channel.close()
        assert [entry["method"] for entry in telegram.sent] == ["sendPhoto", "sendMessage"]
        assert telegram.violations == []
    async with FakeZalo() as zalo:
        user = new_user_id()
        zalo.text(user, "chào")
        zalo_channel = ZaloChannel(zalo.token, ConversationRunner(db, HandlerConfig()),
                                   api_url=zalo.base_url, public_url="https://cutri.example.vn")
        try:
            await zalo_channel.send(user, photo)
        finally:
            await zalo_channel.client.aclose()
        sent = [record for record in zalo.sent if record.get("chat_id") == user
                or record.get("params", {}).get("chat_id") == user]
        assert any("thong-bao.jpg" in str(record) for record in sent)
        assert zalo.texts_for(user) == ["", "Lịch phun thuốc muỗi"]  # the photo, then the text


async def test_a_link_to_personal_data_works_once_and_for_minutes_only(db: Database) -> None:
    async with db.transaction() as session:
        lists = store_file(session, "danh-sach.xlsx", CONTENT, owner_id=None, about=[None],
                           personal=True)
        stale = store_file(session, "bao-cao.xlsx", CONTENT, owner_id=None, personal=True,
                           now=utcnow() - timedelta(minutes=16))
        plain = store_file(session, "lich.ics", b"BEGIN:VCALENDAR", owner_id=None)
        tokens = [(f.token, f.name) for f in (lists, stale, plain)]
    assert lists.personal and not plain.personal
    app = web.Application()
    app.router.add_routes([file_route(db, personal_link=timedelta(minutes=15))])
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    seen = []
    try:
        async with aiohttp.ClientSession() as http:
            for method, (token, name) in (("GET", tokens[0]), ("GET", tokens[0]),
                                          ("POST", tokens[0]), ("POST", tokens[0]),
                                          ("GET", tokens[0]), ("POST", tokens[1]),
                                          ("GET", tokens[2]), ("GET", tokens[2])):
                async with http.request(method, file_url(base, token, name)) as response:
                    body = await response.read()
                    seen.append((method, response.status, body == CONTENT or
                                 body.startswith(b"BEGIN") or response.content_type))
    finally:
        await runner.cleanup()
    # A link preview's GET sees a page with a button; the button's POST takes the file.
    assert seen == [
        ("GET", 200, "text/html"), ("GET", 200, "text/html"), ("POST", 200, True),
        ("POST", 410, "text/plain"), ("GET", 410, "text/plain"), ("POST", 410, "text/plain"),
        ("GET", 200, True), ("GET", 200, True),
    ]
