"""A person's own data as a workbook (/mydata): one sheet per kind of record, headers in words.

XLSX because it opens on any phone or office computer (Excel, Google Sheets, WPS), which a
villager's child can manage; the values arrive already written out in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from handlers.documents.layout import clean_text

# (sheet title, column headers, rows)
Sheet = tuple[str, Sequence[str], Sequence[Sequence[str]]]


def build_data_export_xlsx(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        for row_number, values in enumerate([headers, *rows], start=1):
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=row_number, column=column)
                # Characters a spreadsheet cannot hold (pasted control codes) would fail the
                # whole export: cleaned as in every other document.
                cell.value = clean_text(value)[:32767]
                # The person's own words stay words: never a formula, whatever they start with.
                cell.data_type = "s"
                cell.quotePrefix = value.startswith(("=", "+", "-", "@"))
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if row_number == 1:
                    cell.font = Font(bold=True)
        for column in range(1, len(headers) + 1):
            longest = max((len(str(sheet.cell(row=r, column=column).value or ""))
                           for r in range(1, sheet.max_row + 1)), default=10)
            sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = (
                min(max(longest, 10), 60))
        sheet.freeze_panes = "A2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()
