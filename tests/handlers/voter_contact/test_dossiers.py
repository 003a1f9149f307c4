"""The delegate's dossier in the chat: from the menu, as a DOCX that LibreOffice renders, with a
short version to read on the phone."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from docx import Document

from bot.documents import process_document_jobs
from handlers.values import Reply
from storage.db import Database
from storage.files import file_by_token
from storage.models import Meeting
from storage.voter_contact.dossiers import plan_dossiers
from tests.chat import Chat, actions, texts
from tests.factories import demo
from tests.handlers.documents.test_petition_report import pdf_text, to_pdf
from tests.handlers.test_privacy import everything_stored
from tests.storage.voter_contact.unit_history import HIDDEN_NAME, SHOWN_NAME, unit_history

CODE = re.compile(r"KN-\d{4}-\d{5}")


async def a_delegate_of_unit_one(db: Database) -> Chat:
    await demo(db)
    delegate = Chat(db, user_id="9000")
    await delegate.onboard(1)
    return delegate


async def stored_docx(reply: Reply, db: Database) -> bytes:
    assert reply.file is not None
    async with db.transaction() as session:
        stored = await file_by_token(session, reply.file[0])
        assert stored is not None and stored.content is not None
        return stored.content


def docx_text(content: bytes) -> str:
    document = Document(BytesIO(content))
    return "\n".join(p.text for p in document.paragraphs) + "\n" + "\n".join(
        c.text for t in document.tables for r in t.rows for c in r.cells)


async def test_a_delegate_asks_for_the_dossier_and_gets_exactly_the_units_petitions(
        db: Database, tmp_path: Path) -> None:
    delegate = await a_delegate_of_unit_one(db)
    person = await delegate.person()
    assert person is not None
    history = await unit_history(db, person)
    assert "menu:dossier" in await delegate.menu_actions()
    asked = await delegate.press("menu:dossier")
    assert "Hồ sơ tiếp xúc cử tri" in texts(asked)
    assert f"rbp:{history.earlier_meeting_id}" in actions(asked)
    (ready,) = [reply for reply in await delegate.documents() if reply.file]
    # Readable in the chat: counts per field and the overdue one.
    assert "Đơn vị bầu cử số 1: 11 ý kiến, kiến nghị từ ngày" in ready.text
    assert "Giao thông, xây dựng, thủy lợi" in ready.text
    assert "Quá hạn trả lời (1)" in ready.text and history.overdue in ready.text
    content = await stored_docx(ready, db)
    text = docx_text(content)
    assert set(CODE.findall(text)) == set(history.expected)
    assert not history.absent & set(CODE.findall(text))
    assert SHOWN_NAME in text and HIDDEN_NAME not in text
    # Overdue first, then the rest by field.
    assert text.index(history.overdue) < min(text.index(code) for code in history.expected
                                             if code != history.overdue)
    rendered = pdf_text(to_pdf(content, tmp_path))
    assert "HỒ SƠ TIẾP XÚC CỬ TRI" in rendered and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in rendered
    assert set(CODE.findall(rendered)) == set(history.expected)


async def test_the_dossier_reaches_the_delegate_before_the_round_unasked(db: Database) -> None:
    delegate = await a_delegate_of_unit_one(db)
    person = await delegate.person()
    assert person is not None
    history = await unit_history(db, person)
    await delegate.new_replies()
    async with db.transaction() as session:
        meeting = await session.get(Meeting, history.coming_meeting_id)
        assert meeting is not None
        assert await plan_dossiers(session, 5, now=meeting.starts_at - timedelta(days=4)) == 1
    await process_document_jobs(db)
    (sent,) = await delegate.new_replies()
    assert sent.file is not None and sent.file[1].endswith(".docx")
    assert "Hội nghị đầu tiên của anh/chị trong đợt" in sent.text


async def test_someone_without_a_seat_is_told_the_dossier_is_for_delegates(
        db: Database) -> None:
    await demo(db)
    citizen = Chat(db, user_id="9050")
    await citizen.onboard(1)
    answer = texts(await citizen.send("/dossier"))
    assert "dành cho đại biểu" in answer
    assert await citizen.documents() == []


async def test_forget_leaves_no_copy_of_a_name_the_dossier_showed(db: Database) -> None:
    delegate = await a_delegate_of_unit_one(db)
    person = await delegate.person()
    assert person is not None
    await unit_history(db, person)
    await delegate.press("menu:dossier")
    (ready,) = [reply for reply in await delegate.documents() if reply.file]
    assert SHOWN_NAME in docx_text(await stored_docx(ready, db))
    petitioner = Chat(db, user_id="9101", runner=delegate.runner)
    await petitioner.send("/forget")
    await petitioner.press("forget:yes")
    leaks = [key for key, text in (await everything_stored(db)).items() if SHOWN_NAME in text]
    assert leaks == []
    # Asked again, the dossier is built without the name.
    await delegate.press("menu:dossier")
    (again,) = [reply for reply in await delegate.documents() if reply.file]
    assert SHOWN_NAME not in docx_text(await stored_docx(again, db))
