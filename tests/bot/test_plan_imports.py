"""Importing the voter-contact plan: template out, file in, checked in the background."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from bot.plan_imports import process_plan_imports
from handlers.values import Kind
from storage.db import Database
from storage.files import file_by_token
from storage.models import Meeting, PlanImport, Reminder
from tests.chat import Chat, texts
from tests.handlers.voter_contact.test_meetings import setup

HEADER = ["Kỳ họp", "Ngày khai mạc", "Ngày bế mạc", "Đợt", "Từ ngày", "Đến ngày",
          "Đơn vị bầu cử", "Địa điểm", "Ngày", "Giờ", "Nội dung", "Đại biểu"]


def plan_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


GOOD = plan_csv([
    ["Kỳ họp thường lệ giữa năm 2027", "07/07/2027", "09/07/2027", "Trước kỳ họp",
     "07/06/2027", "21/06/2027", str(unit), f"Nhà văn hóa ấp {name}", f"{8 + unit:02d}/06/2027",
     "7h30", "Thông báo nội dung kỳ họp", ""]
    for unit, name in ((1, "Tân Dân"), (2, "Tân Hùng"), (3, "Tân Chủ"), (4, "Tân Hậu"))
])
BAD = plan_csv([
    ["Kỳ họp thường lệ giữa năm 2027", "07/07/2027", "09/07/2027", "Trước kỳ họp",
     "07/06/2027", "21/06/2027", "1", "Nhà văn hóa ấp Tân Dân", "31/02/2027", "7h30", "", ""],
    ["Kỳ họp thường lệ giữa năm 2027", "07/07/2027", "09/07/2027", "Trước kỳ họp",
     "07/06/2027", "21/06/2027", "9", "Nhà văn hóa", "10/06/2027", "25:00", "", ""],
])


async def send_plan(office: Chat, name: str) -> None:
    replies = await office.press("menu:plan")
    assert any(reply.file and reply.file[1].endswith(".xlsx") for reply in replies)
    await office.deliver(kind=Kind.FILE, file_ref=f"fake-file-{name}", file_name=name)


async def test_a_clean_plan_file_is_imported_and_its_reminders_planned(db: Database) -> None:
    office, _delegate, _citizen, _meeting = await setup(db)
    await send_plan(office, "ke-hoach-2027.csv")

    async def fetch(ref: str) -> bytes:
        assert ref == "fake-file-ke-hoach-2027.csv"
        return GOOD

    assert await process_plan_imports(db, {"telegram": fetch}) == 1
    result = texts(await office.new_replies())
    assert "4" in result and "ke-hoach-2027.csv" in result
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Meeting))).scalar() == 5
        assert (await session.execute(select(func.count()).select_from(Reminder))).scalar()
    # The same file again adds nothing.
    await send_plan(office, "ke-hoach-2027.csv")
    await process_plan_imports(db, {"telegram": fetch})
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Meeting))).scalar() == 5


async def test_a_malformed_plan_is_refused_row_by_row_and_changes_nothing(db: Database) -> None:
    office, _delegate, _citizen, _meeting = await setup(db)
    await send_plan(office, "ke-hoach-loi.csv")

    async def fetch(ref: str) -> bytes:
        return BAD

    await process_plan_imports(db, {"telegram": fetch})
    refused = texts(await office.new_replies())
    assert "Dòng 2, cột Ngày" in refused and "31/02/2027" in refused
    assert "Dòng 3, cột Đơn vị bầu cử" in refused and "Dòng 3, cột Giờ" in refused
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Meeting))).scalar() == 1
        request = (await session.execute(select(PlanImport))).scalar_one()
        assert request.status == "refused"
        assert await file_by_token(session, request.file_token) is not None


async def test_a_file_that_cannot_be_fetched_is_reported(db: Database) -> None:
    office, _delegate, _citizen, _meeting = await setup(db)
    await send_plan(office, "ke-hoach.xlsx")

    async def fetch(ref: str) -> bytes:
        raise OSError("network down")

    await process_plan_imports(db, {"telegram": fetch})
    assert "ke-hoach.xlsx" in texts(await office.new_replies())
