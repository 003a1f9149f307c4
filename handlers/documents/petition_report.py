"""The consolidated report on voters' petitions: a Decree-30 DOCX and an XLSX workbook.

Both are built from the same `ReportRow`s and share the headline figures.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from itertools import groupby
from typing import Final

from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.oxml.text.paragraph import CT_P
from docx.shared import Cm, Length, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.parfmt import ParagraphFormat
from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from handlers.documents.layout import (
    TEXT_WIDTH,
    Container,
    Stamp,
    append_to_body,
    borderless_table,
    clean_text,
    date_phrase,
    fix_widths,
    narrow_cell_margins,
    national_motto,
    new_document,
    paragraph,
    paragraph_stamp,
    place_name,
    rule,
    run,
    to_bytes,
    unit_in_sentence,
)
from handlers.documents.report_rows import ReportHeading, ReportRow

# Report order of the competence groups, with their headings in the report and short labels
# for the spreadsheet column. Any other value is treated as unclassified.
COMPETENCES: Final = ("commune", "province", "central", "utility", "")
COMPETENCE_HEADINGS: Final = {
    "commune": "Thuộc thẩm quyền cấp xã",
    "province": "Thuộc thẩm quyền cấp tỉnh",
    "central": "Thuộc thẩm quyền Trung ương",
    "utility": "Đơn vị cung cấp dịch vụ (điện, nước, viễn thông)",
    "": "Chưa phân loại",
}
COMPETENCE_LABELS: Final = {
    "commune": "Cấp xã",
    "province": "Cấp tỉnh",
    "central": "Trung ương",
    "utility": "Đơn vị cung cấp dịch vụ",
    "": "Chưa phân loại",
}
UNKNOWN_HAMLET: Final = "Chưa xác định ấp, khu phố"
UNKNOWN_FIELD: Final = "Chưa phân loại lĩnh vực"
NO_PETITIONS: Final = "Trong kỳ không có ý kiến, kiến nghị nào của cử tri."

BODY_SIZE: Final = 14
INDENT: Final = Cm(1)
ANNEX_SIZE: Final = 11
ANNEX_COLUMNS: Final = (
    ("STT", Cm(1.0)),
    ("Mã", Cm(2.9)),
    ("Ấp/Khu phố", Cm(1.9)),
    ("Cử tri", Cm(2.0)),
    ("Nội dung", Cm(4.8)),
    ("Cơ quan giải quyết", Cm(2.0)),
    ("Tình trạng", Cm(1.4)),
)


@dataclass(frozen=True)
class Figures:
    total: int
    by_hamlet: list[tuple[str, int]]  # in hamlet order; "" (unknown hamlet) last
    answered: int
    answered_on_time: int
    overdue: int


def headline_figures(rows: Sequence[ReportRow]) -> Figures:
    per_hamlet = Counter(row.hamlet for row in rows)
    return Figures(
        total=len(rows),
        by_hamlet=sorted(per_hamlet.items(), key=lambda item: _last_if_blank(item[0])),
        answered=sum(1 for row in rows if row.answered_on is not None),
        answered_on_time=sum(1 for row in rows if _answered_on_time(row)),
        overdue=sum(1 for row in rows if row.overdue),
    )


def _answered_on_time(row: ReportRow) -> bool:
    return row.answered_on is not None and (row.due_on is None or row.answered_on <= row.due_on)


def competence_of(row: ReportRow) -> str:
    return row.competence if row.competence in COMPETENCE_HEADINGS else ""


# --- Vietnamese ordering -----------------------------------------------------------------

# Code-point order puts "Hùng" before "Hậu" and "Đ" after "Z"; dictionaries compare the base
# letters (a ă â b c d đ e ê …) first and the tones only to break ties.
_ALPHABET: Final = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_TONES: Final = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_NUMBER: Final = re.compile(r"(\d+)")
_Letter = tuple[int, int | str]


def collation_key(text: str) -> tuple[tuple[_Letter, ...], tuple[int, ...], str]:
    """Sorts Vietnamese names as a dictionary does, with "Ấp 2" before "Ấp 10"."""
    letters: list[_Letter] = []
    tones: list[int] = []
    for part in _NUMBER.split(unicodedata.normalize("NFC", text.strip().lower())):
        if part.isdigit():
            letters.append((1, int(part)))
            continue
        for char in part:
            marks = unicodedata.normalize("NFD", char)
            tones.append(next((_TONES[mark] for mark in marks if mark in _TONES), 0))
            base = unicodedata.normalize("NFC", "".join(m for m in marks if m not in _TONES))
            if len(base) == 1 and base in _ALPHABET:
                letters.append((2, _ALPHABET.index(base)))
            elif base.isalpha():
                letters.append((3, base))
            else:  # spaces and punctuation: "An Bình" comes before "Anh"
                letters.append((0, base))
    return tuple(letters), tuple(tones), text


def _last_if_blank(text: str) -> tuple[bool, tuple[object, ...]]:
    return text.strip() == "", collation_key(text)


# --- DOCX --------------------------------------------------------------------------------


def build_report_docx(heading: ReportHeading, rows: Sequence[ReportRow]) -> bytes:
    """The report "BÁO CÁO Tổng hợp ý kiến, kiến nghị cử tri" with its annex, as DOCX."""
    document = new_document(BODY_SIZE)
    figures = headline_figures(rows)
    _heading(document, heading)
    _title(document, heading)
    _body_text(
        document,
        f"Thường trực Hội đồng nhân dân {unit_in_sentence(heading.commune)} báo cáo tổng hợp "
        f"ý kiến, kiến nghị cử tri {heading.period_label}".rstrip() + " như sau:",
    )
    _section_figures(document, figures)
    _section_petitions(document, rows)
    _body_text(
        document,
        f"Trên đây là báo cáo tổng hợp ý kiến, kiến nghị cử tri {heading.period_label}".rstrip()
        + f" của Thường trực Hội đồng nhân dân {unit_in_sentence(heading.commune)}./.",
    )
    _signatures(document, heading)
    _annex(document, heading, rows)
    return to_bytes(document)


def _heading(document: DocxDocument, heading: ReportHeading) -> None:
    left_width, right_width = Cm(6.3), Length(TEXT_WIDTH - Cm(6.3))
    left, right = borderless_table(document, [left_width, right_width]).rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    # Decree 30: the parent body upright, the issuing body bold with a rule half its length.
    paragraph(left, f"HĐND {heading.commune.upper()}", size=12, align=center)
    paragraph(left, "THƯỜNG TRỰC", size=12, bold=True, align=center)
    rule(left, Cm(1.7), left_width)
    paragraph(left, f"Số: {heading.number}/BC-HĐND", size=13, align=center, before=6)
    national_motto(right, right_width)
    place_date = f"{place_name(heading.commune)}, {date_phrase(heading.issued_on)}"
    paragraph(right, place_date, size=13, italic=True, align=center, before=6)


def _title(document: DocxDocument, heading: ReportHeading) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    paragraph(document, "BÁO CÁO", size=14, bold=True, align=center, before=18)
    subtitle = f"Tổng hợp ý kiến, kiến nghị cử tri {heading.period_label}".rstrip()
    paragraph(document, subtitle, size=14, bold=True, align=center)
    rule(document, Cm(3.5), TEXT_WIDTH)
    paragraph(document, after=6)


def _body_text(container: Container, text: str, *, bold: bool = False,
               italic: bool = False) -> None:
    # One paragraph per line: Word stretches a justified line that ends in a manual break.
    for line in _lines(text):
        paragraph(container, line, bold=bold, italic=italic, first_line=INDENT,
                  align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=6)


def _lines(text: str) -> list[str]:
    """`text`'s non-blank lines, stripped."""
    return [line.strip() for line in clean_text(text).split("\n") if line.strip()]


def _section_figures(document: DocxDocument, figures: Figures) -> None:
    _body_text(document, "I. SỐ LIỆU TỔNG HỢP", bold=True)
    if figures.total == 0:
        _body_text(document, NO_PETITIONS)
        return
    _body_text(document, f"- Tổng số ý kiến, kiến nghị của cử tri: {figures.total}.")
    _body_text(document, "- Phân theo ấp, khu phố:")
    for hamlet, count in figures.by_hamlet:
        _body_text(document, f"+ {hamlet or UNKNOWN_HAMLET}: {count};")
    _body_text(
        document,
        f"- Đã trả lời: {figures.answered}, trong đó trả lời đúng hạn: "
        f"{figures.answered_on_time}; chưa trả lời: {figures.total - figures.answered}.",
    )
    _body_text(document, f"- Quá hạn: {figures.overdue}.")


def _section_petitions(document: DocxDocument, rows: Sequence[ReportRow]) -> None:
    _body_text(document, "II. NỘI DUNG Ý KIẾN, KIẾN NGHỊ CỬ TRI", bold=True)
    if not rows:
        _body_text(document, NO_PETITIONS)
        return
    # Thousands of paragraphs, which python-docx would add in quadratic time: they are
    # stamped instead and added in one go (see `Stamp`).
    stamps = _Stamps.prepare(document)
    added: list[CT_P] = []
    number = 0
    groups = [(key, [row for row in rows if competence_of(row) == key]) for key in COMPETENCES]
    present = [(key, members) for key, members in groups if members]
    for group_index, (competence, members) in enumerate(present, start=1):
        heading = (f"{group_index}. {COMPETENCE_HEADINGS[competence]} "
                   f"({len(members)} ý kiến, kiến nghị)")
        added += [stamps.group(line) for line in _lines(heading)]
        # Python's sort is stable, so petitions keep their given order inside a field. The
        # keys are worked out once per field, not once per petition.
        field_keys = {field: _last_if_blank(field) for field in {row.field for row in members}}
        by_field = sorted(members, key=lambda row: field_keys[row.field])
        fields = [(field, list(items)) for field, items in groupby(by_field, lambda r: r.field)]
        for field_index, (field, items) in enumerate(fields, start=1):
            if field or len(fields) > 1:
                heading = f"{group_index}.{field_index}. {field or UNKNOWN_FIELD}"
                added += [stamps.field(line) for line in _lines(heading)]
            for row in items:
                number += 1
                added += _petition(stamps, number, row)
    append_to_body(document, added)


@dataclass(frozen=True)
class _Stamps:
    """The kinds of paragraph in the petitions section, each built once by the usual helpers."""

    group: Stamp[CT_P]  # "1. Thuộc thẩm quyền cấp xã (3 ý kiến, kiến nghị)"
    field: Stamp[CT_P]  # "1.1. Giao thông, xây dựng, thủy lợi"
    lead: Stamp[CT_P]  # "(1) " and the petition's first line
    line: Stamp[CT_P]  # any further line of the petition or of its answer
    facts: Stamp[CT_P]  # "Mã: …. Ấp/khu phố: …. Tình trạng: …."
    answer: Stamp[CT_P]  # "Trả lời (ngày …): " and the answer's first line

    @classmethod
    def prepare(cls, document: DocxDocument) -> _Stamps:
        def stamp(build: Callable[[Container], object]) -> Stamp[CT_P]:
            return paragraph_stamp(document, build)

        return cls(
            group=stamp(lambda into: _body_text(into, "x", bold=True)),
            field=stamp(lambda into: _body_text(into, "x", bold=True, italic=True)),
            lead=stamp(lambda into: _labelled(into, "x", "x")),
            line=stamp(lambda into: _petition_paragraph(into, "x")),
            facts=stamp(lambda into: _petition_paragraph(into, "x", size=13, italic=True)),
            answer=stamp(lambda into: _labelled(into, "x", "x", italic=True)),
        )


def _petition_paragraph(container: Container, text: str = "", *, size: float | None = None,
                        italic: bool = False) -> Paragraph:
    return paragraph(container, text, size=size, italic=italic, first_line=INDENT,
                     align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=3)


def _labelled(container: Container, label: str, text: str, *, italic: bool = False) -> None:
    """A petition paragraph that starts with a bold (and maybe `italic`) `label`."""
    added = _petition_paragraph(container)
    run(added, label, bold=True, italic=italic)
    run(added, text)


def _petition(stamps: _Stamps, number: int, row: ReportRow) -> list[CT_P]:
    lines = _lines(row.content)
    added = [stamps.lead(f"({number}) ", lines[0] if lines else "")]
    added += [stamps.line(line) for line in lines[1:]]
    status = row.status
    if row.overdue and "quá hạn" not in status.lower():
        status = f"{status} (quá hạn)" if status else "Quá hạn"
    facts = [
        f"Mã: {row.code}",
        f"Ấp/khu phố: {row.hamlet or UNKNOWN_HAMLET}",
        *([f"Cơ quan giải quyết: {row.agency}"] if row.agency else []),
        f"Tình trạng: {status}" if status else "",
    ]
    added.append(stamps.facts(". ".join(fact for fact in facts if fact) + "."))
    answer = _lines(row.answer)
    if answer:
        when = f" (ngày {row.answered_on:%d/%m/%Y})" if row.answered_on else ""
        added.append(stamps.answer(f"Trả lời{when}: ", answer[0]))
        added += [stamps.line(line) for line in answer[1:]]
    ParagraphFormat(added[-1]).space_after = Pt(12)
    return added


def _signatures(document: DocxDocument, heading: ReportHeading) -> None:
    left_width, right_width = Cm(7.5), Length(TEXT_WIDTH - Cm(7.5))
    left, right = borderless_table(document, [left_width, right_width]).rows[0].cells
    paragraph(left, "Nơi nhận:", size=12, bold=True, italic=True, before=6)
    commune = unit_in_sentence(heading.commune)
    recipients = [
        f"- Thường trực HĐND {unit_in_sentence(heading.province)};" if heading.province else "",
        f"- UBND {commune};",
        f"- Ủy ban MTTQ Việt Nam {commune};",
        f"- Đại biểu HĐND {commune};",
        "- Lưu: VT.",
    ]
    for recipient in filter(None, recipients):
        paragraph(left, recipient, size=11)
    center = WD_ALIGN_PARAGRAPH.CENTER
    titles = [line.strip() for line in clean_text(heading.signer_title).split("\n")]
    for index, title in enumerate(filter(None, titles)):
        paragraph(right, title.upper(), size=14, bold=True, align=center, before=6 * (index == 0))
    # Room for the handwritten signature and the seal.
    for _ in range(4):
        paragraph(right, size=14)
    paragraph(right, heading.signer_name, size=14, bold=True, align=center)


def _annex(document: DocxDocument, heading: ReportHeading, rows: Sequence[ReportRow]) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    title = paragraph(document, "PHỤ LỤC", size=14, bold=True, align=center)
    title.paragraph_format.page_break_before = True
    paragraph(document, "Danh sách ý kiến, kiến nghị cử tri", size=14, bold=True, align=center)
    paragraph(
        document,
        f"(Kèm theo Báo cáo số {heading.number}/BC-HĐND ngày {heading.issued_on:%d/%m/%Y} "
        f"của Thường trực HĐND {unit_in_sentence(heading.commune)})",
        size=13, italic=True, align=center, after=12,
    )
    widths: list[Length] = [width for _, width in ANNEX_COLUMNS]
    table = document.add_table(rows=1, cols=len(ANNEX_COLUMNS))
    table.style = document.styles["Table Grid"]
    narrow_cell_margins(table, Cm(0.1))
    header = table.rows[0]
    _repeat_as_header(header._tr)
    for cell, (label, _) in zip(header.cells, ANNEX_COLUMNS, strict=True):
        _cell_text(cell, label, bold=True, align=center)
    if rows:
        # Widths first: `add_row` copies them from the grid into the model row.
        fix_widths(table, widths)
        _annex_rows(table, table.add_row(), rows)
    else:
        merged = table.add_row().cells
        _cell_text(merged[0].merge(merged[-1]), "Không có ý kiến, kiến nghị.", italic=True,
                   align=center)
        fix_widths(table, widths)  # after the merge, which adds up the widths it finds


def _annex_rows(table: Table, model: _Row, rows: Sequence[ReportRow]) -> None:
    """Formats `model`, a fresh row, the usual way, then fills `table` with a copy of it per
    petition (the fast path, see `Stamp`)."""
    for column, cell in enumerate(model.cells):
        _cell_text(cell, "x", align=WD_ALIGN_PARAGRAPH.CENTER if column == 0 else None)
    stamp = Stamp(model._tr)
    # An empty value gets no run at all, as `_cell_text` does.
    table._tbl.extend(
        stamp(*(value or None for value in (str(index), row.code, row.hamlet, row.voter,
                                            row.content, row.agency, row.status)))
        for index, row in enumerate(rows, start=1)
    )


def _repeat_as_header(row: CT_Row) -> None:
    properties = row.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)


def _cell_text(cell: _Cell, text: str, *, bold: bool = False, italic: bool = False,
               align: WD_ALIGN_PARAGRAPH | None = None) -> None:
    # One run per cell, so the cell reads back exactly as given ("\n" become line breaks).
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    target = cell.paragraphs[0]
    if align is not None:
        target.alignment = align
    target.paragraph_format.space_before = Length(0)
    target.paragraph_format.space_after = Length(0)
    if text:
        run(target, text, size=ANNEX_SIZE, bold=bold, italic=italic)


# --- XLSX --------------------------------------------------------------------------------

_DATE_FORMAT: Final = "dd/mm/yyyy"
_WRAP: Final = Alignment(wrap_text=True, vertical="top")
_TOP: Final = Alignment(vertical="top")
_FORMULA_STARTS: Final = ("=", "+", "-", "@")
_XLSX_COLUMNS: Final[tuple[tuple[str, float, Callable[[int, ReportRow], object]], ...]] = (
    ("STT", 6, lambda index, row: index),
    ("Mã", 16, lambda index, row: row.code),
    ("Ngày nhận", 12, lambda index, row: row.received_on),
    ("Ấp", 16, lambda index, row: row.hamlet),
    ("Cử tri", 20, lambda index, row: row.voter),
    ("Lĩnh vực", 24, lambda index, row: row.field),
    ("Thẩm quyền", 16, lambda index, row: COMPETENCE_LABELS[competence_of(row)]),
    ("Cơ quan", 22, lambda index, row: row.agency),
    ("Nội dung", 60, lambda index, row: row.content),
    ("Tình trạng", 16, lambda index, row: row.status),
    ("Hạn trả lời", 12, lambda index, row: row.due_on),
    ("Ngày trả lời", 12, lambda index, row: row.answered_on),
    ("Quá hạn", 9, lambda index, row: "Có" if row.overdue else ""),
    ("Trả lời", 60, lambda index, row: row.answer),
)
_WRAPPED: Final = {"Nội dung", "Trả lời", "Lĩnh vực", "Cơ quan"}


def build_report_xlsx(heading: ReportHeading, rows: Sequence[ReportRow]) -> bytes:
    """The petitions one per row (sheet "Kiến nghị") and the headline figures ("Tổng hợp")."""
    workbook = Workbook()
    workbook.properties.title = (
        f"Tổng hợp ý kiến, kiến nghị cử tri {heading.period_label}".rstrip()
    )
    workbook.properties.creator = f"Thường trực HĐND {unit_in_sentence(heading.commune)}"
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Kiến nghị"
    _petition_sheet(sheet, rows)
    _figures_sheet(workbook.create_sheet("Tổng hợp"), heading, headline_figures(rows))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _petition_sheet(sheet: Worksheet, rows: Sequence[ReportRow]) -> None:
    bold = Font(bold=True)
    for column, (label, width, _) in enumerate(_XLSX_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column)
        _put(cell, label)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    for index, row in enumerate(rows, start=1):
        for column, (label, _, value_of) in enumerate(_XLSX_COLUMNS, start=1):
            cell = sheet.cell(row=index + 1, column=column)
            _put(cell, value_of(index, row))
            cell.alignment = _WRAP if label in _WRAPPED else _TOP
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(_XLSX_COLUMNS))}{len(rows) + 1}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _figures_sheet(sheet: Worksheet, heading: ReportHeading, figures: Figures) -> None:
    bold = Font(bold=True)
    title = sheet.cell(row=1, column=1)
    _put(title, "Tổng hợp ý kiến, kiến nghị cử tri")
    title.font = Font(bold=True, size=13)
    _put(sheet.cell(row=2, column=1),
         ", ".join(part for part in (heading.commune, heading.province) if part))
    _put(sheet.cell(row=3, column=1), heading.period_label)
    for column, label in enumerate(("Chỉ tiêu", "Số lượng"), start=1):
        cell = sheet.cell(row=5, column=column)
        _put(cell, label)
        cell.font = bold
    lines: list[tuple[str, int, int]] = [("Tổng số ý kiến, kiến nghị", figures.total, 0)]
    lines += [(hamlet or UNKNOWN_HAMLET, count, 1) for hamlet, count in figures.by_hamlet]
    lines += [
        ("Đã trả lời", figures.answered, 0),
        ("Trả lời đúng hạn", figures.answered_on_time, 0),
        ("Quá hạn", figures.overdue, 0),
    ]
    for offset, (label, count, indent) in enumerate(lines, start=6):
        _put(sheet.cell(row=offset, column=1), label)
        sheet.cell(row=offset, column=1).alignment = Alignment(indent=indent)
        sheet.cell(row=offset, column=2).value = count
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 12


def _put(cell: Cell | MergedCell, value: object) -> None:
    """Stores `value`, with dates as real dates and every string as plain text."""
    if isinstance(value, str):
        if not value:
            return
        # openpyxl turns a string that starts with "=" into a formula (and "#N/A" into an
        # error). Forcing the string type keeps the visible text identical, unlike a leading
        # apostrophe, which would become part of the value; quotePrefix makes Excel keep it
        # text even after someone edits the cell.
        cell.value = clean_text(value)[:32767]
        cell.data_type = "s"
        if value.startswith(_FORMULA_STARTS):
            cell.quotePrefix = True
        return
    cell.value = value  # type: ignore[assignment]
    if isinstance(value, date):
        cell.number_format = _DATE_FORMAT
