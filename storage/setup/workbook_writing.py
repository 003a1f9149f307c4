"""Writing the commune workbook: the blank template the office starts from, and the export.

Both have the same layout (`workbook_sheets`): a guide sheet first, then one sheet per kind of
row with a styled, frozen header, drop-down lists where a column has fixed values, and code
and phone columns kept as text so Excel does not drop their leading zeros. Whatever is written
reads back (`workbook_file.read_workbook`) as the values it was written from.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

from openpyxl import Workbook as Book
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from storage.setup.workbook import Workbook
from storage.setup.workbook_example import MINH_TIEN
from storage.setup.workbook_names import Names
from storage.setup.workbook_sheets import (
    CHOICES,
    COMMUNES,
    GUIDE_SHEET,
    MAX_ROWS,
    SHEETS,
    Sheet,
)

_REQUIRED_FILL = PatternFill("solid", fgColor="9BC2E6")  # darker: must be filled in
_OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADING_FILL = PatternFill("solid", fgColor="FFF2CC")
_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
# One font throughout: a font left unnamed shows as the viewer's default, often a serif.
_FONT = "Calibri"
_PLAIN = Font(name=_FONT, size=11)
_BOLD = Font(name=_FONT, size=11, bold=True)
_EXAMPLE_FONT = Font(name=_FONT, size=11, italic=True, color="595959")  # grey: to overwrite
# About how many characters of Vietnamese text fit in one unit of column width.
_CHARACTERS_PER_WIDTH = 1.1

_INTRODUCTION = (
    "Bảng này đưa thông tin của xã vào hệ thống hỏi đáp qua Zalo và Telegram: các thôn, đơn "
    "vị bầu cử, đại biểu HĐND, lĩnh vực và cơ quan giải quyết kiến nghị, nội dung đối thoại. "
    "Một bảng có thể ghi một xã hoặc tất cả các xã, phường của tỉnh.",
    "Mỗi trang (các thẻ ở phía dưới màn hình) là một loại thông tin, mỗi dòng là một mục. Dòng "
    "đầu tiên là tên cột: không xóa, không đổi tên. Cột đầu tiên của mọi trang là Mã xã, để "
    "biết dòng đó thuộc xã nào.",
    "Ô tiêu đề màu xanh đậm là cột bắt buộc phải ghi; màu xanh nhạt là cột có thể để trống. "
    "Có thể ghi chữ có dấu hoặc không dấu; dòng trống được bỏ qua.",
    "Mã (mã tỉnh, mã xã, mã thôn, mã lĩnh vực...) chỉ gồm chữ thường không dấu, chữ số và dấu "
    "gạch ngang, ví dụ minh-tien. Nếu gõ «Nà Lừa» thì hệ thống tự hiểu là na-lua.",
    "Mã thôn không được trùng trong cả tỉnh: nên ghi mã xã ở đầu, ví dụ minh-tien-na-lua.",
    "Số điện thoại ghi đủ 10 chữ số (di động) hoặc 11 chữ số (máy bàn), ví dụ 0912 345 678 "
    "hoặc 0205 3825 100.",
)
_EXAMPLE_NOTE = (
    "Các dòng chữ nghiêng màu xám là ví dụ của xã Minh Tiến, tỉnh Lạng Sơn: hãy sửa hoặc xóa "
    "đi rồi ghi thông tin của xã mình.")
_LAST_NOTE = (
    "Ghi xong, lưu tệp dạng Excel (.xlsx) rồi gửi lại. Nếu có chỗ sai, hệ thống báo rõ trang, "
    "dòng và cột cần sửa; chưa có gì được thay đổi cho đến khi tệp không còn lỗi.")


def build_workbook_template(example: Workbook | None = None) -> bytes:
    """The workbook an office fills in: the guide, and the sheets with `example`'s rows in
    grey (xã Minh Tiến, tỉnh Lạng Sơn when not given; pass `Workbook()` for empty sheets)."""
    return _write(MINH_TIEN if example is None else example, example=True)


def write_workbook(workbook: Workbook) -> bytes:
    """The export of `workbook` in the template's layout; reading it back gives `workbook`."""
    return _write(workbook, example=False)


def _write(values: Workbook, *, example: bool) -> bytes:
    book = Book()
    guide = book.active
    assert isinstance(guide, Worksheet)
    guide.title = GUIDE_SHEET
    _write_guide(guide, example=example and bool(values.communes))
    for sheet in SHEETS:
        page = book.create_sheet(sheet.title)
        _write_header(page, sheet)
        for number, cells in enumerate(_cells(sheet, values), start=2):
            lines = 1
            for position, (column, value) in enumerate(zip(sheet.columns, cells, strict=True),
                                                       start=1):
                cell = page.cell(row=number, column=position)
                _put(cell, value)
                if column.text:
                    cell.number_format = "@"
                cell.font = _EXAMPLE_FONT if example else _PLAIN
                cell.alignment = Alignment(
                    vertical="top", wrap_text=True,
                    horizontal="center" if isinstance(value, int) else None)
                lines = max(lines, _lines(str(value or ""), column.width))
            if lines > 1:
                page.row_dimensions[number].height = 15 * lines + 2
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_header(page: Worksheet, sheet: Sheet) -> None:
    for position, column in enumerate(sheet.columns, start=1):
        cell = page.cell(row=1, column=position)
        _put(cell, column.header)
        cell.font = _BOLD
        cell.fill = _REQUIRED_FILL if column.required else _OPTIONAL_FILL
        cell.border = _BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        letter = get_column_letter(position)
        page.column_dimensions[letter].width = column.width
        if column.text:  # rows the office adds keep their leading zeros too
            page.column_dimensions[letter].number_format = "@"
        choices = CHOICES.get((sheet.kind, column.field))
        if choices is not None:
            # A drop-down that still accepts what is typed: other spellings are understood.
            _drop_down(page, letter, '"' + ",".join(choices[0].values()) + '"')
        elif column.field == "commune_code":
            code = get_column_letter(
                next(i for i, c in enumerate(COMMUNES.columns, start=1) if c.field == "code"))
            _drop_down(page, letter,
                       f"'{COMMUNES.title}'!${code}$2:${code}${MAX_ROWS + 1}")
    page.freeze_panes = "A2"
    page.row_dimensions[1].height = 34
    page.page_setup.orientation = "landscape"
    page.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    page.page_setup.fitToHeight = 0


def _drop_down(page: Worksheet, letter: str, formula: str) -> None:
    rule = DataValidation(type="list", formula1=formula, allow_blank=True,
                          showErrorMessage=False)
    rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    page.add_data_validation(rule)


_GUIDE_WIDTHS = (28, 10, 95)


def _fit_height(page: Worksheet, row: int, text: str, width: int) -> None:
    """Room for the lines `text` wraps to: merged cells, and some viewers, do not grow."""
    page.row_dimensions[row].height = 15 * _lines(text, width) + 2


def _lines(text: str, width: int) -> int:
    """About how many lines `text` takes in a column `width` wide, wrapped."""
    per_line = width * _CHARACTERS_PER_WIDTH
    return sum(1 + int(len(line) / per_line) for line in text.split("\n"))


def _write_guide(guide: Worksheet, *, example: bool) -> None:
    for letter, width in zip("ABC", _GUIDE_WIDTHS, strict=True):
        guide.column_dimensions[letter].width = width
    row = 1
    title = guide.cell(row=row, column=1, value="HƯỚNG DẪN ĐIỀN BẢNG THÔNG TIN XÃ")
    title.font = Font(name=_FONT, bold=True, size=14)
    row += 2
    for paragraph in (*_INTRODUCTION, *((_EXAMPLE_NOTE,) if example else ()), _LAST_NOTE):
        guide.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        cell = guide.cell(row=row, column=1, value=paragraph)
        cell.font = _PLAIN
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        _fit_height(guide, row, paragraph, _GUIDE_WIDTHS[0] + _GUIDE_WIDTHS[1] + _GUIDE_WIDTHS[2])
        row += 1
    for sheet in SHEETS:
        row += 1
        guide.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        about = f"Trang «{sheet.title}»: {sheet.about}"
        heading = guide.cell(row=row, column=1, value=about)
        heading.font = _BOLD
        heading.fill = _HEADING_FILL
        heading.alignment = Alignment(wrap_text=True, vertical="top")
        _fit_height(guide, row, about, sum(_GUIDE_WIDTHS))
        row += 1
        for position, text in enumerate(("Cột", "Bắt buộc", "Cách ghi"), start=1):
            cell = guide.cell(row=row, column=position, value=text)
            cell.font = _BOLD
            cell.fill = _OPTIONAL_FILL
            cell.border = _BOX
        for column in sheet.columns:
            row += 1
            cells = (column.header, "Có" if column.required else "Không", column.guide)
            for position, text in enumerate(cells, start=1):
                cell = guide.cell(row=row, column=position, value=text)
                cell.font = _PLAIN
                cell.border = _BOX
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            _fit_height(guide, row, column.guide, _GUIDE_WIDTHS[2])
    guide.page_setup.orientation = "landscape"
    guide.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    guide.page_setup.fitToHeight = 0


# --- The values, row by row, in each sheet's column order ------------------------------------


def _cells(sheet: Sheet, values: Workbook) -> Iterator[Sequence[object]]:
    labels = {field: choices[0] for (kind, field), choices in CHOICES.items()
              if kind == sheet.kind}
    if sheet.kind == "communes":
        for commune in values.communes:
            yield (commune.province_code, commune.province_name, commune.code, commune.name,
                   labels["kind"].get(commune.kind, commune.kind), commune.district,
                   commune.office_phone, commune.address, commune.opening_hours,
                   commune.reception_schedule, commune.answer_days)
    elif sheet.kind == "hamlets":
        for hamlet in values.hamlets:
            yield hamlet.commune_code, hamlet.code, hamlet.name, hamlet.households
    elif sheet.kind == "units":
        written = _hamlets_as_written(values)
        for unit in values.units:
            yield (unit.commune_code, unit.number, unit.name, "; ".join(
                written.get((unit.commune_code, code), code) for code in unit.hamlet_codes))
    elif sheet.kind == "seats":
        for seat in values.seats:
            yield seat.commune_code, seat.name, seat.unit_number, seat.phone, seat.title
    elif sheet.kind == "fields":
        for field in values.fields:
            yield field.commune_code, field.code, field.name, field.answer_days
    elif sheet.kind == "agencies":
        for agency in values.agencies:
            yield (agency.commune_code, agency.name,
                   labels["competence"].get(agency.competence, agency.competence),
                   "; ".join(agency.field_codes))
    elif sheet.kind == "options":
        for option in values.options:
            yield (option.commune_code, labels["kind"].get(option.kind, option.kind),
                   option.code, option.name)


def _hamlets_as_written(values: Workbook) -> dict[tuple[str, str], str]:
    """A unit's hamlets by name, which the office reads more easily than codes, wherever the
    name reads back as the same hamlet; by code elsewhere."""
    names: dict[str, Names] = {}
    for hamlet in values.hamlets:
        names.setdefault(hamlet.commune_code, Names()).add(hamlet.code, hamlet.name)
    return {
        (hamlet.commune_code, hamlet.code): hamlet.name
        for hamlet in values.hamlets
        if not any(mark in hamlet.name for mark in ";\n\r")
        and names[hamlet.commune_code].find(hamlet.name) == {hamlet.code}
    }


def _put(cell: Cell | MergedCell, value: object) -> None:
    """Stores `value`; strings always as text (a name starting with "=" is not a formula)."""
    if value is None:
        return
    cell.value = value  # type: ignore[assignment]
    if isinstance(value, str):
        cell.data_type = "s"
