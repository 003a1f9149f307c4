"""The office's voter contact in the panel: the month's meetings, attendance, the plan import."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from aiohttp import FormData
from openpyxl import load_workbook
from sqlalchemy import func, select

from storage.db import Database
from storage.models import AuditEntry, ContactRound, ElectoralUnit, Meeting, Person
from storage.petitions.petitions import LOCAL
from storage.voter_contact.meetings import (
    MeetingDraft,
    add_meeting,
    cancel_meeting,
    move_meeting,
)
from tests.bot.panel.client import panel_client, sign_in
from tests.bot.panel.desk import assert_refused, other_communes_office, sign_in_as_citizen
from tests.bot.test_plan_imports import BAD, GOOD
from tests.chat import texts
from tests.handlers.voter_contact.test_meetings import setup


async def meeting_count(db: Database) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(Meeting))
                    ).scalar_one())


async def test_the_month_shows_each_meeting_in_the_calendar_and_the_list(db: Database) -> None:
    office, _delegate, _citizen, meeting_id = await setup(db)
    actor = await office.person()
    assert actor is not None
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        local = meeting.starts_at.astimezone(LOCAL)
        staff = await session.get(Person, actor.id)
        assert staff is not None
        contact_round = await session.get(ContactRound, meeting.round_id)
        assert contact_round is not None
        units = (await session.execute(select(ElectoralUnit.id).where(
            ElectoralUnit.number.in_([2, 3])).order_by(ElectoralUnit.number))).scalars().all()
        moved, cancelled = [
            await add_meeting(session, staff, contact_round, MeetingDraft(
                unit, f"Nhà văn hóa số {unit}",
                datetime.combine(local.date() + timedelta(days=1), time(8), tzinfo=LOCAL)))
            for unit in units]
        new_start = datetime.combine(local.date(), time(14), tzinfo=LOCAL)
        await move_meeting(session, staff, moved, starts_at=new_start)
        await cancel_meeting(session, staff, cancelled, reason="Trùng lịch họp khác")
        month = f"{local:%Y-%m}"
        months = {month, f"{cancelled.starts_at.astimezone(LOCAL):%Y-%m}"}
    async with panel_client(db) as client:
        await sign_in(client, office)
        async with client.get(f"/panel/meetings?month={month}") as page:
            assert page.status == 200
            body = await page.text()
        for month_shown in months - {month}:
            async with client.get(f"/panel/meetings?month={month_shown}") as page:
                body += await page.text()
        for nonsense in ("month=abc", "month=1999-13", "month=-1"):
            async with client.get(f"/panel/meetings?{nonsense}") as page:
                assert page.status == 200
        async with client.get("/panel/meetings?month=2001-01") as page:
            empty = await page.text()
        assert "Tháng này không có hội nghị nào." in empty
        assert f"Hội nghị sắp tới: ngày {local:%d/%m/%Y}" in empty
    assert f'href="/panel/meetings/{meeting_id}"' in body
    assert f"{local:%d/%m/%Y}" in body and "07:30–09:30" in body
    assert "Nhà văn hóa ấp Tân Dân" in body and "Đơn vị bầu cử" in body
    assert "Đã dời lịch" in body and "Đã hủy" in body and "Sắp họp" in body
    assert "Trùng lịch họp khác" not in body  # the reason stays in the audit log
    assert 'class="month"' in body and "Thứ 2" in body


async def test_a_meeting_shows_who_will_attend_and_the_office_reminds_the_silent_ones(
    db: Database,
) -> None:
    office, delegate, _citizen, meeting_id = await setup(db)
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.get(f"/panel/meetings/{meeting_id}") as page:
            assert page.status == 200
            body = await page.text()
        assert "Chưa trả lời" in body and "Nhắc người chưa trả lời" in body
        async with client.post(f"/panel/meetings/{meeting_id}/remind", data={}) as forged:
            assert forged.status == 403
        assert texts(await delegate.new_replies()) == ""
        async with client.post(f"/panel/meetings/{meeting_id}/remind",
                               data={"csrf": csrf}) as done:
            assert done.status == 200
            assert "Đã nhắc các đại biểu chưa trả lời" in await done.text()
        nudge = await delegate.new_replies()
        assert "Nhà văn hóa ấp Tân Dân" in texts(nudge)
        async with client.post(f"/panel/meetings/{meeting_id}/remind",
                               data={"csrf": csrf}) as again:
            assert again.status == 200
        assert await delegate.new_replies() == []  # once a day, as in the chat


async def test_a_citizen_or_another_communes_office_cannot_open_the_meetings(
    db: Database,
) -> None:
    office, _delegate, citizen, meeting_id = await setup(db)
    other_office = await other_communes_office(db, citizen)
    async with panel_client(db) as client:
        csrf = await sign_in(client, other_office)
        await assert_refused(client, [f"/panel/meetings/{meeting_id}"],
                             private=("Nhà văn hóa ấp Tân Dân",))
        async with client.get("/panel/meetings") as page:
            assert "Nhà văn hóa ấp Tân Dân" not in await page.text()
        async with client.post(f"/panel/meetings/{meeting_id}/remind",
                               data={"csrf": csrf}) as refused:
            assert refused.status == 403
    async with panel_client(db) as client:
        await sign_in_as_citizen(client, db, office)
        await assert_refused(client, ["/panel/meetings", f"/panel/meetings/{meeting_id}",
                                      "/panel/plan", "/panel/plan/template.xlsx"])


def plan_form(csrf: str | None, content: bytes, name: str) -> FormData:
    form = FormData()
    if csrf is not None:
        form.add_field("csrf", csrf)
    form.add_field("plan", content, filename=name, content_type="text/csv")
    return form


async def test_a_bad_plan_shows_its_problems_by_row_and_column_and_a_clean_one_is_imported(
    db: Database,
) -> None:
    office, _delegate, _citizen, _meeting_id = await setup(db)
    before = await meeting_count(db)
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.get("/panel/plan") as page:
            assert 'href="/panel/plan/template.xlsx"' in await page.text()
        async with client.get("/panel/plan/template.xlsx") as template:
            assert template.status == 200
            assert template.headers["Content-Disposition"].startswith("attachment")
            sheets = load_workbook(io.BytesIO(await template.read())).sheetnames
        assert "Kế hoạch TXCT" in sheets
        async with client.post("/panel/plan", data=plan_form(None, GOOD, "a.csv")) as forged:
            assert forged.status == 403
        async with client.post("/panel/plan",
                               data=plan_form(csrf, BAD, "ke-hoach-loi.csv")) as refused:
            assert refused.status == 422
            body = await refused.text()
        assert "Chưa nhập gì từ ke-hoach-loi.csv: có 3 lỗi cần sửa." in body
        assert "<td data-label=\"Dòng\">2</td><td data-label=\"Cột\">Ngày</td>" in body
        assert "31/02/2027" in body and "25:00" in body
        assert await meeting_count(db) == before  # nothing until the file is clean
        async with client.post("/panel/plan", data=plan_form(csrf, b"", "")) as empty:
            assert empty.status == 400
        async with client.post("/panel/plan",
                               data=plan_form(csrf, GOOD, "ke-hoach.pdf")) as wrong:
            assert wrong.status == 400
        async with client.post("/panel/plan",
                               data=plan_form(csrf, GOOD, "ke-hoach-2027.csv")) as imported:
            assert imported.status == 200
            assert "4 hội nghị" in await imported.text()
        assert await meeting_count(db) == before + 4
        async with client.post("/panel/plan",
                               data=plan_form(csrf, GOOD, "ke-hoach-2027.csv")) as again:
            assert again.status == 200
        assert await meeting_count(db) == before + 4  # the same file twice adds nothing
        async with client.get("/panel/meetings?month=2027-06") as june:
            assert (await june.text()).count('class="event') >= 4


async def test_the_office_moves_and_cancels_a_meeting_with_a_reason(db: Database) -> None:
    office, _delegate, _citizen, meeting_id = await setup(db)
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        day = meeting.starts_at.astimezone(LOCAL).date() + timedelta(days=1)
        contact_round = await session.get(ContactRound, meeting.round_id)
        assert contact_round is not None
        round_end = contact_round.window_end
    path = f"/panel/meetings/{meeting_id}"
    async with panel_client(db) as client:
        csrf = await sign_in(client, office)
        async with client.post(f"{path}/move", data={
                "when": f"{day:%d/%m/%Y} 14h-16h", "reason": "Trùng lịch"}) as forged:
            assert forged.status == 403
        for form, notice in (({"when": "hôm qua", "reason": "Trùng lịch"}, "xin ghi ngày giờ"),
                             ({"when": f"{day:%d/%m/%Y} 14h-16h", "reason": " "}, "xin ghi lý do")):
            async with client.post(f"{path}/move", data={"csrf": csrf, **form}) as refused:
                assert notice in await refused.text()
        async with client.post(f"{path}/move", data={
                "csrf": csrf, "when": f"{day:%d/%m/%Y} 14h-16h", "place": "Hội trường UBND xã",
                "reason": "Nhà văn hóa đang sửa mái"}) as moved:
            body = await moved.text()
        assert "Đã dời lịch. Lời nhắc được đặt lại" in body
        assert f"{day:%d/%m/%Y}" in body and "14:00–16:00" in body
        assert "Hội trường UBND xã" in body
        late = round_end + timedelta(days=3)
        async with client.post(f"{path}/move", data={
                "csrf": csrf, "when": f"{late:%d/%m/%Y} 8h", "reason": "Mưa bão"}) as wide:
            assert "nằm ngoài thời gian của đợt" in await wide.text()
        async with client.post(f"{path}/cancel", data={"csrf": csrf, "reason": ""}) as refused:
            assert "xin ghi lý do" in await refused.text()
        async with client.post(f"{path}/cancel", data={
                "csrf": csrf, "reason": "Dời sang đợt sau"}) as cancelled:
            body = await cancelled.text()
        assert "Đã hủy hội nghị; sẽ không có lời nhắc nào" in body
        assert "Dời lịch hội nghị" not in body  # a cancelled meeting moves no more
    async with db.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None and meeting.status == "cancelled"
        reasons = (await session.execute(select(AuditEntry.reason).where(
            AuditEntry.subject_type == "meeting", AuditEntry.subject_id == meeting_id,
            AuditEntry.reason.is_not(None)).order_by(AuditEntry.id))).scalars().all()
    assert reasons == ["Nhà văn hóa đang sửa mái", "Mưa bão", "Dời sang đợt sau"]
