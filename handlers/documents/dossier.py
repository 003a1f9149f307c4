"""The delegate's dossier (hồ sơ tiếp xúc cử tri) and the report-back page, as Decree-30 DOCX.

Both are papers the office hands a delegate for a voter-contact meeting: the dossier before it
(the unit's petitions since the last round, overdue ones first, then by field), the report-back
page for the meeting after the session (each opinion of the earlier meeting and its answer).
Vietnamese only, as every printed paper of the commune is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Final

from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.text.paragraph import CT_P
from docx.shared import Cm, Length, Pt
from docx.table import _Cell
from docx.text.parfmt import ParagraphFormat

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
from storage.voter_contact.dossiers import Dossier, DossierLine
from storage.voter_contact.report_back import MeetingFacts, Opinion

BODY_SIZE: Final = 14
INDENT: Final = Cm(1)
TABLE_SIZE: Final = 12
UNKNOWN_FIELD: Final = "Chưa phân loại lĩnh vực"
TIMING: Final = {"before": "trước", "after": "sau"}
FIGURE_COLUMNS: Final = (
    ("Lĩnh vực", Cm(6.6)),
    ("Tổng số", Cm(2.1)),
    ("Đã trả lời", Cm(2.1)),
    ("Đang giải quyết", Cm(2.3)),
    ("Quá hạn", Cm(2.9)),
)
# Status code -> the label printed (Vietnamese whatever the reader's language).
StatusLabels = Callable[[str], str]


@dataclass(frozen=True)
class FieldFigures:
    field: str
    total: int
    answered: int
    open: int
    overdue: int


def field_figures(lines: Sequence[DossierLine]) -> list[FieldFigures]:
    """Per field, in the commune's order of fields; unclassified last."""
    ordered = sorted(lines, key=lambda line: (line.field_position, line.field))
    figures = []
    for field, members in groupby(ordered, key=lambda line: line.field):
        items = list(members)
        figures.append(FieldFigures(
            field=field, total=len(items),
            answered=sum(1 for line in items if line.status in ("answered", "closed")),
            open=sum(1 for line in items
                     if line.status in ("received", "classified", "forwarded", "reopened")),
            overdue=sum(1 for line in items if line.overdue)))
    return figures


# --- shared parts ----------------------------------------------------------------------------


def _heading(document: DocxDocument, commune: str, issued_on: date) -> None:
    left_width, right_width = Cm(6.3), Length(TEXT_WIDTH - Cm(6.3))
    left, right = borderless_table(document, [left_width, right_width]).rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    # Decree 30: the parent body upright, the issuing body bold with a rule under it.
    paragraph(left, f"UBND {commune.upper()}", size=12, align=center)
    paragraph(left, "VĂN PHÒNG HĐND VÀ UBND", size=12, bold=True, align=center)
    rule(left, Cm(2.2), left_width)
    national_motto(right, right_width)
    place_date = f"{place_name(commune)}, {date_phrase(issued_on)}"
    paragraph(right, place_date, size=13, italic=True, align=center, before=6)


def _title(document: DocxDocument, title: str, subtitle: str) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    paragraph(document, title, size=14, bold=True, align=center, before=18)
    for line in _lines(subtitle):
        paragraph(document, line, size=14, bold=True, align=center)
    rule(document, Cm(3.5), TEXT_WIDTH)
    paragraph(document, after=6)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in clean_text(text).split("\n") if line.strip()]


def _body_text(container: Container, text: str, *, bold: bool = False,
               italic: bool = False) -> None:
    for line in _lines(text):
        paragraph(container, line, bold=bold, italic=italic, first_line=INDENT,
                  align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=6)


def _cell_text(cell: _Cell, text: str, *, bold: bool = False,
               align: WD_ALIGN_PARAGRAPH | None = None) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    target = cell.paragraphs[0]
    if align is not None:
        target.alignment = align
    if text:
        run(target, text, size=TABLE_SIZE, bold=bold)


@dataclass(frozen=True)
class _Stamps:
    """The paragraphs of a petition list, built once and copied (see `layout.Stamp`)."""

    group: Stamp[CT_P]
    lead: Stamp[CT_P]
    line: Stamp[CT_P]
    facts: Stamp[CT_P]
    answer: Stamp[CT_P]

    @classmethod
    def prepare(cls, document: DocxDocument) -> _Stamps:
        def stamp(build: Callable[[Container], object]) -> Stamp[CT_P]:
            return paragraph_stamp(document, build)

        return cls(
            group=stamp(lambda into: _body_text(into, "x", bold=True, italic=True)),
            lead=stamp(lambda into: _labelled(into, "x", "x")),
            line=stamp(lambda into: _item(into, "x")),
            facts=stamp(lambda into: _item(into, "x", size=13, italic=True)),
            answer=stamp(lambda into: _labelled(into, "x", "x", italic=True)),
        )


def _item(container: Container, text: str = "", *, size: float | None = None,
          italic: bool = False) -> None:
    paragraph(container, text, size=size, italic=italic, first_line=INDENT,
              align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=3)


def _labelled(container: Container, label: str, text: str, *, italic: bool = False) -> None:
    added = paragraph(container, first_line=INDENT, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=3)
    run(added, label, bold=True, italic=italic)
    run(added, text)


def _entry(stamps: _Stamps, number: int, content: str, facts: list[str], answer: str,
           answered_on: date | None) -> list[CT_P]:
    lines = _lines(content)
    added = [stamps.lead(f"({number}) ", lines[0] if lines else "")]
    added += [stamps.line(line) for line in lines[1:]]
    added.append(stamps.facts(". ".join(fact for fact in facts if fact) + "."))
    answer_lines = _lines(answer)
    if answer_lines:
        when = f" (ngày {answered_on:%d/%m/%Y})" if answered_on else ""
        added.append(stamps.answer(f"Trả lời{when}: ", answer_lines[0]))
        added += [stamps.line(line) for line in answer_lines[1:]]
    ParagraphFormat(added[-1]).space_after = Pt(10)
    return added


def _signature(document: DocxDocument, recipients: list[str]) -> None:
    left_width, right_width = Cm(7.5), Length(TEXT_WIDTH - Cm(7.5))
    left, right = borderless_table(document, [left_width, right_width]).rows[0].cells
    paragraph(left, "Nơi nhận:", size=12, bold=True, italic=True, before=12)
    for recipient in recipients:
        paragraph(left, recipient, size=11)
    center = WD_ALIGN_PARAGRAPH.CENTER
    paragraph(right, "VĂN PHÒNG HĐND VÀ UBND", size=13, bold=True, align=center, before=12)


# --- the dossier -----------------------------------------------------------------------------


def _status_of(line: DossierLine, labels: StatusLabels) -> str:
    if line.merged_into:
        return f"Đã gộp với kiến nghị {line.merged_into}"
    status = labels(line.status)
    if line.overdue and line.due_on is not None:
        return f"{status}, quá hạn trả lời từ ngày {line.due_on:%d/%m/%Y}"
    if line.due_on is not None and line.status == "forwarded":
        return f"{status}, hạn trả lời ngày {line.due_on:%d/%m/%Y}"
    return status


def _dossier_line(stamps: _Stamps, number: int, line: DossierLine,
                  labels: StatusLabels) -> list[CT_P]:
    origin = {"meeting": "Ý kiến tại hội nghị tiếp xúc cử tri",
              "question": "Câu hỏi gửi hội nghị tiếp xúc cử tri"}.get(line.source, "")
    facts = [
        f"Mã: {line.code}",
        f"Ngày nhận: {line.received_on:%d/%m/%Y}",
        f"Ấp/khu phố: {line.hamlet}" if line.hamlet else "",
        f"Cử tri: {line.voter}" if line.voter else "",
        origin,
        f"Cơ quan giải quyết: {line.agency}" if line.agency else "",
        f"Tình trạng: {_status_of(line, labels)}",
    ]
    return _entry(stamps, number, line.content, facts, line.answer, line.answered_on)


def session_in_sentence(title: str) -> str:
    """"kỳ họp thường lệ cuối năm" for "Kỳ họp thường lệ cuối năm"; "kỳ họp thứ 5" for "Thứ 5"."""
    title = " ".join(title.split())
    if title[:6].lower() == "kỳ họp":
        return "kỳ họp" + title[6:]
    return f"kỳ họp {title}".strip()


def dossier_period(dossier: Dossier) -> str:
    """"từ ngày 05/6/2026 đến ngày 01/11/2026" or "đến ngày 01/11/2026"."""
    end = f"đến ngày {dossier.today:%d/%m/%Y}"
    return f"từ ngày {dossier.since:%d/%m/%Y} {end}" if dossier.since else end


def build_dossier_docx(dossier: Dossier, labels: StatusLabels) -> bytes:
    """"HỒ SƠ TIẾP XÚC CỬ TRI" for one delegate and unit: figures, overdue, then by field."""
    document = new_document(BODY_SIZE)
    _heading(document, dossier.commune, dossier.today)
    round_label = ""
    if dossier.round_id is not None:
        round_label = (f"Đợt tiếp xúc cử tri {TIMING.get(dossier.round_timing, '')} "
                       f"{session_in_sentence(dossier.session)}")
    _title(document, "HỒ SƠ TIẾP XÚC CỬ TRI",
           f"Ý kiến, kiến nghị của cử tri {dossier.unit}\n{round_label}")
    if dossier.delegate:
        _body_text(document, f"Kính gửi: Đại biểu {dossier.delegate}, Hội đồng nhân dân "
                             f"{unit_in_sentence(dossier.commune)}.", italic=True)
    meeting = (f" Hội nghị tiếp xúc cử tri đầu tiên của đơn vị trong đợt này dự kiến ngày "
               f"{dossier.first_meeting:%d/%m/%Y}." if dossier.first_meeting else "")
    _body_text(document, f"Văn phòng HĐND và UBND {unit_in_sentence(dossier.commune)} gửi "
                         f"đại biểu tình hình giải quyết ý kiến, kiến nghị của cử tri "
                         f"{dossier.unit} {dossier_period(dossier)}.{meeting}")
    lines = dossier.lines
    _body_text(document, "I. SỐ LIỆU THEO LĨNH VỰC", bold=True)
    if not lines:
        _body_text(document, "Trong thời gian này không có ý kiến, kiến nghị nào của cử tri "
                             "đơn vị.")
    else:
        _figures_table(document, field_figures(lines))
    overdue = [line for line in lines if line.overdue]
    rest = [line for line in lines if not line.overdue]
    stamps = _Stamps.prepare(document)
    number = 0
    _body_text(document, "II. KIẾN NGHỊ QUÁ HẠN CHƯA ĐƯỢC TRẢ LỜI", bold=True)
    if not overdue:
        _body_text(document, "Không có kiến nghị nào quá hạn.")
    added: list[CT_P] = []
    for line in overdue:
        number += 1
        added += _dossier_line(stamps, number, line, labels)
    append_to_body(document, added)
    _body_text(document, "III. CÁC Ý KIẾN, KIẾN NGHỊ KHÁC THEO LĨNH VỰC", bold=True)
    if not rest:
        _body_text(document, "Không có.")
    added = []
    by_field = sorted(rest, key=lambda line: (line.field_position, line.field))
    for index, (field, members) in enumerate(
            groupby(by_field, key=lambda line: line.field), start=1):
        items = list(members)
        added.append(stamps.group(f"{index}. {field or UNKNOWN_FIELD} ({len(items)})"))
        for line in items:
            number += 1
            added += _dossier_line(stamps, number, line, labels)
    append_to_body(document, added)
    _signature(document, [f"- Đại biểu HĐND {unit_in_sentence(dossier.commune)} "
                          f"({dossier.unit});", "- Lưu: VT."])
    return to_bytes(document)


def _figures_table(document: DocxDocument, figures: list[FieldFigures]) -> None:
    table = document.add_table(rows=1, cols=len(FIGURE_COLUMNS))
    table.style = document.styles["Table Grid"]
    narrow_cell_margins(table, Cm(0.1))
    center = WD_ALIGN_PARAGRAPH.CENTER
    for cell, (label, _) in zip(table.rows[0].cells, FIGURE_COLUMNS, strict=True):
        _cell_text(cell, label, bold=True, align=center)
    totals = FieldFigures("Tổng cộng", sum(f.total for f in figures),
                          sum(f.answered for f in figures), sum(f.open for f in figures),
                          sum(f.overdue for f in figures))
    for figure in [*figures, totals]:
        cells = table.add_row().cells
        bold = figure is totals
        _cell_text(cells[0], figure.field or UNKNOWN_FIELD, bold=bold)
        for cell, value in zip(cells[1:], (figure.total, figure.answered, figure.open,
                                           figure.overdue), strict=True):
            _cell_text(cell, str(value), bold=bold, align=center)
    fix_widths(table, [width for _, width in FIGURE_COLUMNS])
    paragraph(document, after=6)


# --- the report-back page --------------------------------------------------------------------


def build_report_back_docx(facts: MeetingFacts, commune: str, opinions: Sequence[Opinion],
                           labels: StatusLabels, issued_on: date) -> bytes:
    """"Kết quả giải quyết ý kiến, kiến nghị của cử tri" for one meeting's report-back."""
    document = new_document(BODY_SIZE)
    _heading(document, commune, issued_on)
    _title(document, "KẾT QUẢ GIẢI QUYẾT Ý KIẾN, KIẾN NGHỊ CỬ TRI",
           f"tại hội nghị tiếp xúc cử tri ngày {facts.held_on:%d/%m/%Y}\n"
           f"{facts.unit} – {facts.place}")
    _body_text(document, f"Tại hội nghị tiếp xúc cử tri ngày {facts.held_on:%d/%m/%Y} ở "
                         f"{facts.place}, cử tri {facts.unit} đã nêu {len(opinions)} ý kiến, "
                         f"kiến nghị. Kết quả tiếp thu, chuyển đến cơ quan có thẩm quyền và "
                         f"trả lời đến ngày {issued_on:%d/%m/%Y} như sau:")
    if not opinions:
        _body_text(document, "Hội nghị không ghi nhận ý kiến, kiến nghị nào.")
    stamps = _Stamps.prepare(document)
    added: list[CT_P] = []
    for number, opinion in enumerate(opinions, start=1):
        if opinion.merged_into:
            status = f"{labels(opinion.status)} (cùng nội dung với kiến nghị " \
                     f"{opinion.merged_into})"
        else:
            status = labels(opinion.status)
        waiting = not opinion.answer and opinion.status not in ("answered", "closed",
                                                                 "rejected")
        facts_line = [f"Mã: {opinion.code}",
                      f"Chuyển đến: {opinion.agency}" if opinion.agency else "",
                      f"Tình trạng: {status}",
                      "Chưa có trả lời; Văn phòng tiếp tục theo dõi, đôn đốc" if waiting else ""]
        added += _entry(stamps, number, opinion.content, facts_line, opinion.answer,
                        opinion.answered_on)
    append_to_body(document, added)
    _signature(document, [f"- Đại biểu HĐND {unit_in_sentence(commune)} ({facts.unit});",
                          f"- Ban công tác Mặt trận {facts.unit};", "- Lưu: VT."])
    return to_bytes(document)
