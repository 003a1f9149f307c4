"""`cutri commune import` with broken workbooks: refused in Vietnamese, by sheet, row and
column, with exit status 2 and not one row changed; and a changed workbook shown before it is
applied, applied only when the operator says yes."""

from __future__ import annotations

import argparse
import asyncio
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import func, select

from bot.cli_commune import run_commune
from storage.db import Database
from storage.models import Base, Hamlet
from storage.setup.workbook import HamletRow, SeatRow
from storage.setup.workbook_example import MINH_TIEN
from storage.setup.workbook_file import write_workbook
from tests.storage.setup.test_workbook_file import with_cells

Counts = dict[str, int]


async def row_counts(db: Database) -> Counts:
    async with db.transaction() as session:
        return {table.name: int((await session.execute(
            select(func.count()).select_from(table))).scalar_one())
            for table in Base.metadata.sorted_tables}


async def cutri_commune(db: Database, *args: str, answer: str = "") -> tuple[int, str]:
    """`cutri commune ARGS` on this database; its exit status and what it printed.

    The command runs its own event loop, as in the real process: a thread of its own here.
    """
    parsed = argparse.Namespace(action=args[0], file=args[1] if len(args) > 1 else None,
                                output=None, commune=None, yes="--yes" in args)
    printed: list[str] = []

    def ask(question: str) -> str:
        printed.append(question)
        return answer

    out, err = io.StringIO(), io.StringIO()

    def run() -> int:
        from contextlib import redirect_stderr, redirect_stdout
        with redirect_stdout(out), redirect_stderr(err):
            return run_commune(db.url, parsed, ask=ask)

    status = await asyncio.to_thread(run)
    return status, out.getvalue() + err.getvalue() + "".join(printed)


async def imported(db: Database, tmp_path: Path, name: str, content: bytes, *,
                   answer: str = "", yes: bool = True) -> tuple[int, str]:
    path = tmp_path / name
    path.write_bytes(content)
    return await cutri_commune(db, "import", str(path), *(["--yes"] if yes else []),
                               answer=answer)


def docx_bytes() -> bytes:
    document = Document()
    document.add_paragraph("Danh sách thôn, xã Minh Tiến")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def fifty_megabytes() -> bytes:
    """A real workbook padded to 50 MB with an incompressible part: too big to look at."""
    buffer = io.BytesIO(write_workbook(MINH_TIEN))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as book:
        book.writestr("xl/media/image1.png", bytes(50 * 1024 * 1024))
    return buffer.getvalue()


def without_rows(sheet: str) -> bytes:
    """The Minh Tiến export with every row of one sheet deleted but its header."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(write_workbook(MINH_TIEN)))
    book[sheet].delete_rows(2, book[sheet].max_row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


BROKEN: dict[str, tuple[str, bytes | None, tuple[str, ...]]] = {
    # name: (file name, content or None for built in the test, what the message must say)
    "a seat in an unknown unit": ("minh-tien.xlsx", write_workbook(replace(
        MINH_TIEN, seats=(*MINH_TIEN.seats, SeatRow("minh-tien", "Hà Văn Tâm", 7, None,
                                                     "Trưởng thôn")))),
        ("Trang «Đại biểu», dòng 9, cột «Đơn vị số»", "số 7")),
    "a hamlet code twice": ("minh-tien.xlsx", write_workbook(replace(
        MINH_TIEN, hamlets=(*MINH_TIEN.hamlets, HamletRow("minh-tien", "minh-tien-na-lua",
                                                          "Thôn Nà Lừa 2")))),
        ("Trang «Thôn, ấp», dòng 8, cột «Mã thôn»", "dòng 3")),
    "a bad phone": ("minh-tien.xlsx", with_cells(("Đại biểu", "D2", "12345")),
                    ("Trang «Đại biểu», dòng 2, cột «Điện thoại",
                     "“12345” không phải số điện thoại")),
    "an empty sheet": ("minh-tien.xlsx", without_rows("Thôn, ấp"),
                       ("Trang «Thôn, ấp»: Trang này chưa có dòng nào",)),
    "a Word file renamed": ("minh-tien.xlsx", docx_bytes(), ("không phải tệp Excel",)),
    "a CSV file": ("minh-tien.csv", "Mã xã;Tên\nminh-tien;Xã Minh Tiến\n".encode(),
                   ("không phải tệp Excel",)),
    "a 50 MB file": ("minh-tien.xlsx", None, ("Tệp quá lớn (50 MB)",)),
}


@pytest.mark.parametrize("broken", list(BROKEN))
async def test_a_broken_workbook_is_refused_in_vietnamese_and_changes_nothing(
    db: Database, tmp_path: Path, broken: str
) -> None:
    assert (await imported(db, tmp_path, "minh-tien.xlsx", write_workbook(MINH_TIEN)))[0] == 0
    before = await row_counts(db)
    name, content, said = BROKEN[broken]
    status, printed = await imported(db, tmp_path, name,
                                     content if content is not None else fifty_megabytes())
    assert status == 2, printed
    assert printed.startswith("Chưa thay đổi gì"), printed
    for words in said:
        assert words in printed, printed
    assert await row_counts(db) == before


async def test_a_changed_workbook_is_shown_and_applied_only_when_the_operator_says_yes(
    db: Database, tmp_path: Path
) -> None:
    assert (await imported(db, tmp_path, "minh-tien.xlsx", write_workbook(MINH_TIEN)))[0] == 0
    before = await row_counts(db)
    changed = write_workbook(replace(MINH_TIEN, hamlets=(
        *MINH_TIEN.hamlets, HamletRow("minh-tien", "minh-tien-pac-lang", "Thôn Pác Làng"))))

    status, printed = await imported(db, tmp_path, "minh-tien-2.xlsx", changed, answer="k",
                                     yes=False)
    assert status == 1
    assert "Xã Minh Tiến: thêm 1 thôn" in printed and "Áp dụng?" in printed
    assert "Đã dừng" in printed and await row_counts(db) == before

    status, printed = await imported(db, tmp_path, "minh-tien-2.xlsx", changed, answer="có",
                                     yes=False)
    assert status == 0 and "Đã áp dụng" in printed
    async with db.transaction() as session:
        names = set((await session.execute(select(Hamlet.name))).scalars())
    assert "Thôn Pác Làng" in names and len(names) == 7


def test_the_real_command_exits_with_status_2_on_a_broken_workbook(tmp_path: Path) -> None:
    """The status the shell sees, from `python -m bot.cli` itself."""
    from tests.bot.test_cli import cutri

    path = tmp_path / "minh-tien.xlsx"
    path.write_bytes(with_cells(("Đại biểu", "D2", "12345")))
    done = cutri(tmp_path, "commune", "import", str(path), "--yes")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Trang «Đại biểu», dòng 2" in done.stdout
