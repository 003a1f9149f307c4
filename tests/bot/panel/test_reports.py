"""Reports in the panel: the petition report for any period as DOCX and XLSX, and the audit
log with its filters, which shows what happened and never anybody's data."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from storage.db import Database
from storage.models import AuditEntry, Meeting, Person, Petition
from storage.models.base import utcnow
from storage.petitions.petitions import LOCAL
from storage.voter_contact.meetings import report_meeting
from tests.bot.panel.client import panel_client, sign_in
from tests.bot.panel.desk import assert_refused, other_communes_office, sign_in_as_citizen
from tests.bot.panel.test_petitions import add_petitions
from tests.handlers.petitions.test_submit import VOTER, petition_id, send_petition, setup
from tests.handlers.voter_contact.test_meetings import setup as meeting_setup

OFFICER_NAME = "Lê Thị Thu"
ROW = re.compile(r"<tr>\s*<td class=\"code\">")


async def name_the_office(db: Database, person_id: int) -> None:
    async with db.transaction() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.full_name = OFFICER_NAME


async def test_the_report_of_a_chosen_period_downloads_as_word_and_excel(db: Database) -> None:
    office, _officer, citizen = await setup(db)
    await add_petitions(db, [("Ấp Tân Dân", "transport", "Cầu khỉ ấp Tân Dân gãy tay vịn"),
                             ("Ấp Tân Hùng", "land", "Bãi rác tự phát cạnh trường học")])
    old = await send_petition(db, citizen, "Mương nước ấp Tân Hùng bị lấp", photos=0)
    today = utcnow().astimezone(LOCAL).date()
    async with db.transaction() as session:
        petition = (await session.execute(select(Petition).where(Petition.code == old))
                    ).scalar_one()
        petition.created_at = utcnow() - timedelta(days=400)  # outside the period asked
        codes = [c for c in (await session.execute(select(Petition.code))).scalars()
                 if c != old]
    period = {"from": f"{today - timedelta(days=7):%d/%m/%Y}", "to": f"{today:%d/%m/%Y}"}
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.get("/panel/reports") as page:
            assert page.status == 200
            assert f'value="{today.replace(day=1):%d/%m/%Y}"' in await page.text()
        async with client.post("/panel/reports/petitions",
                               data={"csrf": csrf, **period, "format": "docx"}) as word:
            assert word.status == 200
            assert word.content_type == ("application/vnd.openxmlformats-officedocument."
                                         "wordprocessingml.document")
            assert word.headers["Content-Disposition"].startswith("attachment")
            assert str(word.url).endswith("/panel/reports/petitions")  # nothing in the address
            document = Document(BytesIO(await word.read()))
        async with client.post("/panel/reports/petitions",
                               data={"csrf": csrf, **period, "format": "xlsx"}) as excel:
            assert excel.status == 200
            book = load_workbook(BytesIO(await excel.read()))
    text = "\n".join([p.text for p in document.paragraphs] + [
        cell.text for table in document.tables for row in table.rows for cell in row.cells])
    assert "Cầu khỉ ấp Tân Dân gãy tay vịn" in text and "Bãi rác tự phát" in text
    assert "Mương nước ấp Tân Hùng" not in text  # received before the period
    assert f"từ ngày {period['from']} đến ngày {period['to']}" in text
    cells = {str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows()
             for cell in row if cell.value is not None}
    assert set(codes) <= cells and old not in cells
    person = await office.person()
    assert person is not None
    async with db.transaction() as session:
        reads = (await session.execute(select(AuditEntry.after).where(
            AuditEntry.action == "personal_data.read", AuditEntry.actor_id == person.id))
                 ).scalars().all()
    assert reads.count({"what": "petition_report"}) == 2  # each download a staff read


async def test_a_report_needs_two_days_in_order_and_the_forms_token(db: Database) -> None:
    office, _officer, _citizen = await setup(db)
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        for period, problem in (({"from": "31/02/2026", "to": "01/03/2026"}, "ngày/tháng/năm"),
                                ({"from": "2026-01-01", "to": "01/03/2026"}, "ngày/tháng/năm"),
                                ({"from": "01/03/2026", "to": "01/01/2026"}, "ba năm"),
                                ({"from": "01/01/2020", "to": "01/01/2026"}, "ba năm")):
            async with client.post("/panel/reports/petitions",
                                   data={"csrf": csrf, **period, "format": "docx"}) as page:
                assert page.status == 400
                assert problem in await page.text()
        async with client.post("/panel/reports/petitions", data={
                "from": "01/01/2026", "to": "31/01/2026", "format": "docx"}) as forged:
            assert forged.status == 403


async def test_the_audit_log_filters_by_kind_day_and_staff_and_pages(db: Database) -> None:
    office, _officer, citizen = await setup(db)
    code = await send_petition(db, citizen, "Cống ấp Tân Dân tắc, nước tràn vào nhà", photos=0)
    pid = await petition_id(db, code)
    await add_petitions(db, [("Ấp Tân Chủ", "land", f"Ao tù số {n} bốc mùi") for n in range(60)])
    person = await office.person()
    assert person is not None
    await name_the_office(db, person.id)
    today = utcnow().astimezone(LOCAL).date()
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.get(f"/panel/petitions/{pid}") as page:  # a staff read
            assert page.status == 200
        async with client.post(f"/panel/petitions/{pid}/reject", data={
                "csrf": csrf, "text": "Đã có kiến nghị của bà Năm cùng nội dung"}) as done:
            assert done.status == 200
        async with client.get("/panel/audit") as page:
            assert page.status == 200
            everything = await page.text()
        assert len(ROW.findall(everything)) == 50 and "Trang 1/2" in everything
        async with client.get("/panel/audit?page=2") as page:
            assert len(ROW.findall(await page.text())) >= 12
        async with client.get("/panel/audit?kind=reads") as page:
            reads = await page.text()
        assert "Xem thông tin cá nhân: phiếu kiến nghị" in reads and code in reads
        assert "Không tiếp nhận" not in reads
        async with client.get(f"/panel/audit?kind=petitions&who={person.id}") as page:
            by_office = await page.text()
        assert len(ROW.findall(by_office)) == 1 and f">{code}</a>" in by_office
        assert OFFICER_NAME in by_office
        async with client.get(f"/panel/audit?kind=petitions&from={today:%d/%m/%Y}") as page:
            assert len(ROW.findall(await page.text())) == 50  # 62 today, paged
        tomorrow = today + timedelta(days=1)
        async with client.get(f"/panel/audit?from={tomorrow:%d/%m/%Y}") as page:
            assert "Không có việc nào khớp" in await page.text()
        for nonsense in ("kind=<b>", "who=abc", "from=99/99/9999", "page=-1"):
            async with client.get(f"/panel/audit?{nonsense}") as page:
                assert page.status == 200
    for private in ("bà Năm", VOTER, "Cống ấp Tân Dân tắc"):
        assert private not in everything + reads + by_office


async def test_a_citizen_or_another_communes_office_sees_no_report_and_no_log(
    db: Database,
) -> None:
    office, _officer, citizen = await setup(db)
    code = await send_petition(db, citizen, "Đèn đường ấp Tân Dân hỏng", photos=0)
    other = await other_communes_office(db, citizen)
    async with panel_client(db) as client:
        csrf = await sign_in(client, other)
        async with client.get("/panel/audit") as page:
            assert code not in await page.text()
        async with client.post("/panel/reports/petitions", data={
                "csrf": csrf, "from": "01/01/2026", "to": "31/12/2027",
                "format": "xlsx"}) as theirs:
            assert theirs.status == 200, await theirs.text()
            cells = {str(c.value) for row in load_workbook(BytesIO(await theirs.read())).active
                     .iter_rows() for c in row}
        assert code not in cells  # their own commune's report: none of this one's petitions
    async with panel_client(db) as client:
        csrf = await sign_in_as_citizen(client, db, office)
        await assert_refused(client, ["/panel/reports", "/panel/audit"])
        async with client.post("/panel/reports/petitions", data={
                "csrf": csrf, "from": "01/01/2026", "to": "31/12/2027",
                "format": "docx"}) as refused:
            assert refused.status == 403


async def test_a_rounds_report_holds_what_its_meetings_collected(db: Database) -> None:
    office, delegate, _citizen, meeting_id = await meeting_setup(db)
    speaker = await delegate.person()
    assert speaker is not None
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        person = await session.get(Person, speaker.id)
        assert meeting is not None and person is not None
        await report_meeting(session, person, meeting, voters_present=42,
                             opinions=["Đề nghị làm lại cống thoát nước ấp Tân Dân"])
        round_id = meeting.round_id
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.get("/panel/reports") as page:
            assert f'<option value="{round_id}">' in await page.text()
        async with client.post("/panel/reports/petitions", data={
                "csrf": csrf, "round": str(round_id), "format": "xlsx"}) as excel:
            assert excel.status == 200
            book = load_workbook(BytesIO(await excel.read()))
        async with client.post("/panel/reports/petitions", data={
                "csrf": csrf, "round": "999999", "format": "docx"}) as unknown:
            assert unknown.status == 400 and "Xin chọn một đợt." in await unknown.text()
    cells = " ".join(str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows()
                     for cell in row if cell.value is not None)
    assert "Đề nghị làm lại cống thoát nước ấp Tân Dân" in cells
    assert "đợt tiếp xúc cử tri trước kỳ họp Kỳ họp thường lệ cuối năm" in cells
