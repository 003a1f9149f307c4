"""The office's petition report in the bot, and the complaint letter a citizen can print."""

from __future__ import annotations

from io import BytesIO

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from storage.db import Database
from storage.files import file_by_token
from storage.models import AuditEntry, Petition
from tests.chat import actions, texts
from tests.handlers.petitions.test_submit import VOTER, send_petition, setup


async def stored(db: Database, token: str) -> bytes:
    async with db.transaction() as session:
        found = await file_by_token(session, token)
        assert found is not None
        return found.content


async def test_the_office_gets_this_months_report_as_word_and_excel(db: Database) -> None:
    office, _officer, citizen = await setup(db)
    codes = [await send_petition(db, citizen, text, photos=0)
             for text in ("Đường làng bị hỏng <nặng>", "Đèn đường ấp Tân Dân không sáng")]
    await office.new_replies()
    await office.press("menu:report")
    asked = await office.press("rp:month")
    assert "Đang chuẩn bị tệp, lát nữa sẽ gửi." in texts(asked)
    assert not any(reply.file for reply in asked)
    replies = await office.documents()
    files = [reply.file for reply in replies if reply.file is not None]
    assert [name.rsplit(".", 1)[1] for _token, name in files] == ["docx", "xlsx"]
    assert "2" in replies[0].text  # the count of petitions received

    document = Document(BytesIO(await stored(db, files[0][0])))
    annex = "\n".join(cell.text for table in document.tables for row in table.rows
                      for cell in row.cells)
    assert all(code in annex for code in codes)
    assert "Đường làng bị hỏng <nặng>" in annex

    sheet = load_workbook(BytesIO(await stored(db, files[1][0])))["Kiến nghị"]
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]]
    async with db.transaction() as session:
        in_database = sorted((await session.execute(select(Petition.code, Petition.content))
                              ).all())
    assert sorted((row[1], row[8]) for row in rows) == in_database
    # The names in it are hidden ones' too (none here), and the making of it is logged.
    assert VOTER not in annex
    office_person = await office.person()
    assert office_person is not None
    async with db.transaction() as session:
        reads = (await session.execute(select(AuditEntry.actor_id, AuditEntry.after).where(
            AuditEntry.action == "personal_data.read"))).all()
    assert [tuple(r) for r in reads] == [(office_person.id, {"what": "petition_report"})]


async def test_a_citizen_cannot_ask_for_the_report_and_bad_dates_are_asked_again(
    db: Database,
) -> None:
    office, _officer, citizen = await setup(db)
    refused = texts(await citizen.send("/report"))
    assert "rp:month" not in refused
    await office.press("menu:report")
    again = await office.send("31/02/2026 - 01/03/2026")
    assert "rp:month" in actions(again)
    backwards = await office.send("01/11/2026 - 01/10/2026")
    assert "rp:month" in actions(backwards)
    assert not any(reply.file for reply in again + backwards)


async def test_a_citizen_gets_a_letter_to_sign_instead_of_a_complaint(db: Database) -> None:
    _office, _officer, citizen = await setup(db)
    await citizen.press("menu:petition")
    await citizen.press("pf:complaint")
    replies = await citizen.press("lt:denunciation")
    (letter,) = [reply.file for reply in replies if reply.file is not None]
    text = "\n".join(p.text for p in Document(BytesIO(await stored(db, letter[0]))).paragraphs)
    assert "ĐƠN TỐ CÁO" in text and "Nguyễn Văn Tư" in text
    async with db.transaction() as session:
        assert (await session.execute(select(Petition))).first() is None


async def test_forgetting_deletes_the_letters_made_for_a_citizen(db: Database) -> None:
    _office, _officer, citizen = await setup(db)
    await citizen.press("menu:petition")
    await citizen.press("pf:complaint")
    replies = await citizen.press("lt:complaint")
    (letter,) = [reply.file for reply in replies if reply.file is not None]
    await citizen.send("/forget")
    await citizen.press("forget:yes")
    async with db.transaction() as session:
        assert await file_by_token(session, letter[0]) is None

