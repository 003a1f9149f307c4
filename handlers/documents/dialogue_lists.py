"""The registration lists of a dialogue as a workbook, one sheet per hamlet, for hamlet heads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from storage.dialogues.dialogues import ListRow

HEADERS = ("STT", "Mã", "Người đại diện", "Diện hộ", "Nội dung", "Câu hỏi", "Tình trạng")
WIDTHS = (6, 12, 28, 18, 40, 60, 16)


def _fill_row(sheet: Worksheet, row: int, values: Sequence[object]) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        cell.value = value  # type: ignore[assignment]
        if isinstance(value, str):
            # A household's words stay words: never a formula, whatever they start with.
            cell.data_type = "s"
            cell.quotePrefix = value.startswith(("=", "+", "-", "@"))


def build_hamlet_lists_xlsx(rows: Sequence[ListRow], label: Callable[[str, str], str]) -> bytes:
    """`label(kind, key)` turns a category, topic or status key into Vietnamese words."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    hamlets = list(dict.fromkeys(row.hamlet for row in rows)) or ["—"]
    for hamlet in hamlets:
        sheet = book.create_sheet(title=hamlet[:31])
        _fill_row(sheet, 1, HEADERS)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for number, row in enumerate((r for r in rows if r.hamlet == hamlet), start=1):
            _fill_row(sheet, number + 1, [
                number, row.code, row.representative, label("category", row.category),
                ", ".join(label("topic", t) for t in row.topics), row.questions,
                label("status", row.status)])
        for index, width in enumerate(WIDTHS):
            sheet.column_dimensions[chr(ord("A") + index)].width = width
        for line in sheet.iter_rows(min_row=2):
            for cell in line:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()
