"""The office asks for the hamlet posters in the chat and gets one file to print."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from handlers import posters as posters_module
from handlers.conversation import ConversationRunner
from handlers.documents import pdf as pdf_module
from handlers.documents.pdf import PdfUnavailable, libreoffice
from handlers.documents.posters import Office
from handlers.turn import HandlerConfig
from storage.db import Database
from storage.files import file_by_token
from storage.models import Commune
from tests.chat import Chat, actions, texts
from tests.factories import citizen, demo, staff
from tests.handlers.documents.test_posters import page_texts, scanned_codes

BOT = "cutri_ttt_bot"
HAMLETS = ["ẤP TÂN DÂN", "ẤP TÂN HÙNG", "ẤP TÂN CHỦ", "ẤP TÂN HẬU"]


async def office_chat(db: Database, bot_username: str | None = BOT) -> Chat:
    await demo(db)
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalar_one()
        commune.office_phone = "0277 3 812 345"
        commune.opening_hours = "Thứ Hai đến Thứ Sáu, 7:00–11:30 và 13:30–17:00"
    await staff(db, "9001")
    runner = ConversationRunner(db, HandlerConfig(bot_username=bot_username))
    return Chat(db, user_id="9001", runner=runner)


async def stored(db: Database, token: str) -> bytes:
    async with db.transaction() as session:
        found = await file_by_token(session, token)
        assert found is not None and found.content is not None
        return found.content


async def test_the_office_menu_offers_the_posters_and_a_citizen_menu_does_not(
    db: Database,
) -> None:
    office = await office_chat(db)
    assert "menu:posters" in await office.menu_actions()
    await citizen(db, "9002")
    assert "menu:posters" not in await Chat(db, user_id="9002").menu_actions()


async def test_the_office_gets_every_hamlets_poster_in_one_pdf(
    db: Database, tmp_path: Path
) -> None:
    if libreoffice() is None:
        pytest.skip("LibreOffice (soffice) is not on PATH; run .ci/documents.sh to install it")
    office = await office_chat(db)
    asked = await office.press("menu:posters")
    # The answer comes at once; the file follows once the worker has built it.
    assert "Đang chuẩn bị tệp, lát nữa sẽ gửi." in texts(asked)
    assert not any(reply.file for reply in asked)
    replies = await office.documents()
    (token, name), = [reply.file for reply in replies if reply.file is not None]
    assert name == "ap-phich-tan-thuan-tay.pdf"
    pdf = await stored(db, token)
    pages = page_texts(pdf, tmp_path)
    assert len(pages) == len(HAMLETS)
    assert all(hamlet in page and "0277 3 812 345" in page
               for hamlet, page in zip(HAMLETS, pages, strict=True))
    # The Telegram code opens the bot with the hamlet; Zalo's address is not set yet.
    codes = scanned_codes(pdf, tmp_path, page=2)
    assert [code.text for code in codes] == [f"https://t.me/{BOT}?start=ttt-tan-hung"]
    assert "Chưa có mã Zalo" in pages[1]
    assert "Chưa có mã Zalo: chưa cài địa chỉ Zalo" in texts(replies)
    assert "menu:main" in actions(replies)  # one press back to the menu


async def test_without_libreoffice_the_office_gets_the_word_file(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(_docx: bytes) -> bytes:
        raise PdfUnavailable("LibreOffice (soffice) is not installed")

    monkeypatch.setattr(pdf_module, "docx_to_pdf", unavailable)
    office = await office_chat(db, bot_username=None)
    await office.press("menu:posters")
    replies = await office.documents()
    (token, name), = [reply.file for reply in replies if reply.file is not None]
    assert name == "ap-phich-tan-thuan-tay.docx"
    document = Document(io.BytesIO(await stored(db, token)))
    names = [p.text for p in document.paragraphs if p.text in HAMLETS]
    assert names == HAMLETS
    said = texts(replies)
    assert "xin gửi tệp Word thay thế" in said
    assert "Chưa có mã Telegram" in said


async def test_a_citizen_gets_no_posters(db: Database) -> None:
    await demo(db)
    await citizen(db, "9002")
    chat = Chat(db, user_id="9002")
    replies = await chat.press("menu:posters") + await chat.documents()
    assert not any(reply.file for reply in replies)
    assert "Chỉ văn phòng xã mới in được áp phích." in texts(replies)


async def test_posters_follow_the_communes_own_details(db: Database) -> None:
    await demo(db)
    async with db.transaction() as session:
        commune = (await session.execute(select(Commune))).scalar_one()
        commune.address = "Ấp Tân Dân, xã Tân Thuận Tây"
        commune.office_phone = commune.opening_hours = None
        office = posters_module.office_of(commune)
        one = await posters_module.hamlet_posters(session, commune, bot_username=BOT,
                                                  zalo_link="https://zalo.me/123",
                                                  hamlet_code=" TTT-Tan-Hung ")
    assert office == Office("Xã Tân Thuận Tây", None, "Ấp Tân Dân, xã Tân Thuận Tây", None,
                            office.reception_schedule)
    assert office.reception_schedule and "Thứ Năm hằng tuần" in office.reception_schedule
    assert [(p.name, p.code, p.telegram_link, p.zalo_link) for p in one] == [
        ("Ấp Tân Hùng", "ttt-tan-hung", f"https://t.me/{BOT}?start=ttt-tan-hung",
         "https://zalo.me/123")]
