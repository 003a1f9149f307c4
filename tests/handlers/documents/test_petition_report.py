"""The petition report: DOCX read back with python-docx, XLSX with openpyxl, PDF via LibreOffice."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from handlers.documents import layout
from handlers.documents.layout import clean_text, date_phrase, place_name, unit_in_sentence
from handlers.documents.petition_report import (
    build_report_docx,
    build_report_xlsx,
    collation_key,
    headline_figures,
)
from handlers.documents.report_rows import ReportHeading, ReportRow

HEADING = ReportHeading(
    province="Tỉnh Đồng Tháp",
    commune="Xã Tân Thuận Tây",
    period_label="từ ngày 01/10/2026 đến ngày 22/11/2026",
    issued_on=date(2026, 11, 22),
    number="15",
    signer_title="TM. THƯỜNG TRỰC HĐND\nCHỦ TỊCH",
    signer_name="Nguyễn Văn Bình",
)

TRAFFIC = "Giao thông, xây dựng, thủy lợi"
LAND = "Đất đai, môi trường"
SOCIAL = "Lao động, thương binh và xã hội"
TRICKY = 'Cử tri hỏi: vì sao <b>&" nước thải trại heo 🐷 chảy ra kênh?\nĐề nghị kiểm tra & xử lý.'


def petition(
    number: int,
    *,
    hamlet: str = "Ấp Tân Dân",
    voter: str = "Trần Thị Lan",
    content: str = "Đề nghị nạo vét kênh Tân Dân.",
    competence: str = "commune",
    field: str = TRAFFIC,
    agency: str = "UBND xã Tân Thuận Tây",
    status: str = "Đang xử lý",
    due_on: date | None = date(2026, 11, 20),
    answered_on: date | None = None,
    answer: str = "",
    overdue: bool = False,
) -> ReportRow:
    return ReportRow(
        code=f"KN-2026-{number:05d}", received_on=date(2026, 10, number % 28 + 1),
        hamlet=hamlet, voter=voter, content=content, competence=competence, field=field,
        agency=agency, status=status, due_on=due_on, answered_on=answered_on, answer=answer,
        overdue=overdue,
    )


ROWS = [
    petition(42, content="Đề nghị sửa đoạn đường bê tông từ nhà ông Sáu đến cầu Tân Dân.",
             status="Đã trả lời", answered_on=date(2026, 11, 5),
             answer="UBND xã đưa vào kế hoạch sửa chữa quý I/2027."),
    petition(43, hamlet="Ấp Tân Hùng", content=TRICKY, competence="province", field=LAND,
             agency="Sở Nông nghiệp và Môi trường", overdue=True, status="Quá hạn"),
    petition(44, hamlet="Ấp Tân Chủ", content="=1+1", competence="utility", field="Điện, nước",
             agency="Điện lực Đồng Tháp", status="Đã trả lời", due_on=date(2026, 11, 1),
             answered_on=date(2026, 11, 3), answer="Đã kéo điện.", overdue=True),
    petition(45, hamlet="", voter="", content="Hỏi về bảo hiểm y tế cho người cao tuổi.",
             competence="", field="", agency="", status="Mới tiếp nhận", due_on=None),
    petition(46, hamlet="Ấp Tân Hậu", content="Đề nghị hỗ trợ hộ cận nghèo.", field=SOCIAL,
             status="Đã trả lời", due_on=None, answered_on=date(2026, 11, 25),
             answer="Đã xét duyệt."),
    petition(47, content="Đề nghị lắp đèn đường ấp Tân Dân.", competence="central",
             field="Quốc phòng, an ninh", agency="Bộ Công an"),
    petition(48, hamlet="Ấp Tân Hùng", content="Đề nghị cấp giấy chứng nhận quyền sử dụng đất.",
             field=LAND),
]


def read_docx(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def body_lines(document: DocxDocument) -> list[str]:
    return [p.text for p in document.paragraphs if p.text.strip()]


def report(rows: list[ReportRow] = ROWS, heading: ReportHeading = HEADING) -> DocxDocument:
    return read_docx(build_report_docx(heading, rows))


def workbook(rows: list[ReportRow] = ROWS) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_report_xlsx(HEADING, rows)))


def sheet(book: openpyxl.Workbook, title: str) -> Worksheet:
    found = book[title]
    assert isinstance(found, Worksheet)
    return found


# --- layout ------------------------------------------------------------------------------


def assert_decree_30_page(document: DocxDocument) -> None:
    for section in document.sections:
        # Word stores whole twips, so 21 cm comes back a fraction of a micrometre off.
        measured = [section.page_width, section.page_height, section.top_margin,
                    section.bottom_margin, section.left_margin, section.right_margin]
        assert [round(length.cm, 2) if length else None for length in measured] == [
            21, 29.7, 2, 2, 3, 2
        ]


def assert_times_new_roman(document: DocxDocument) -> None:
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    fonts = normal.element.rPr.rFonts
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        assert fonts.get(qn(script)) == "Times New Roman"
    defaults = document.styles.element.find(qn("w:docDefaults"))
    for element in defaults.iter(qn("w:rFonts")):
        assert element.get(qn("w:eastAsia")) == "Times New Roman"
        assert element.get(qn("w:asciiTheme")) is None
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs += cell.paragraphs
    for paragraph in paragraphs:
        for run in paragraph.runs:
            assert run.font.name in (None, "Times New Roman")
            assert run.font.size is None or 11 <= run.font.size.pt <= 14


def test_report_page_is_a4_with_decree_30_margins() -> None:
    assert_decree_30_page(report())


def test_report_is_set_in_times_new_roman_for_latin_and_east_asian_text() -> None:
    document = report()
    assert_times_new_roman(document)
    assert 13 <= document.styles["Normal"].font.size.pt <= 14


def test_heading_names_the_standing_committee_and_the_document_number() -> None:
    left, right = report().tables[0].rows[0].cells
    assert [p.text for p in left.paragraphs if p.text] == [
        "HĐND XÃ TÂN THUẬN TÂY", "THƯỜNG TRỰC", "Số: 15/BC-HĐND",
    ]
    assert left.paragraphs[1].runs[0].bold
    assert [p.text for p in right.paragraphs if p.text] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Tân Thuận Tây, ngày 22 tháng 11 năm 2026",
    ]
    assert all(p.runs[0].bold for p in right.paragraphs[:2])
    assert right.paragraphs[-1].runs[0].italic


def test_document_number_defaults_to_a_blank_for_the_clerk() -> None:
    heading = ReportHeading("Tỉnh Đồng Tháp", "Xã Tân Thuận Tây", "quý IV/2026", date(2026, 3, 5))
    left, right = report(heading=heading).tables[0].rows[0].cells
    assert "Số: …/BC-HĐND" in [p.text for p in left.paragraphs]
    assert right.paragraphs[-1].text == "Tân Thuận Tây, ngày 05 tháng 3 năm 2026"


def test_dates_pad_days_below_ten_and_only_january_and_february() -> None:
    assert date_phrase(date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert date_phrase(date(2026, 2, 28)) == "ngày 28 tháng 02 năm 2026"
    assert date_phrase(date(2026, 3, 9)) == "ngày 09 tháng 3 năm 2026"
    assert date_phrase(date(2026, 11, 22)) == "ngày 22 tháng 11 năm 2026"


def test_place_names_drop_or_lower_the_unit_type() -> None:
    assert place_name("Xã Tân Thuận Tây") == "Tân Thuận Tây"
    assert place_name("Phường Mỹ Phú") == "Mỹ Phú"
    assert place_name("Tân Thuận Tây") == "Tân Thuận Tây"
    assert unit_in_sentence("Xã Tân Thuận Tây") == "xã Tân Thuận Tây"
    assert unit_in_sentence("Tỉnh Đồng Tháp") == "tỉnh Đồng Tháp"
    assert unit_in_sentence("Thành phố Hồ Chí Minh") == "thành phố Hồ Chí Minh"


def test_title_and_subtitle_carry_the_period_centred_and_bold() -> None:
    document = report()
    lines = body_lines(document)
    assert lines[:2] == [
        "BÁO CÁO", "Tổng hợp ý kiến, kiến nghị cử tri từ ngày 01/10/2026 đến ngày 22/11/2026",
    ]
    title = next(p for p in document.paragraphs if p.text == "BÁO CÁO")
    assert title.alignment == 1 and title.runs[0].bold  # WD_ALIGN_PARAGRAPH.CENTER


def test_petitions_are_grouped_by_competence_then_field_alphabetically() -> None:
    lines = body_lines(report())
    headings = [line for line in lines if line[:1].isdigit()]
    assert headings == [
        "1. Thuộc thẩm quyền cấp xã (3 ý kiến, kiến nghị)",
        f"1.1. {LAND}",
        f"1.2. {TRAFFIC}",
        f"1.3. {SOCIAL}",
        "2. Thuộc thẩm quyền cấp tỉnh (1 ý kiến, kiến nghị)",
        f"2.1. {LAND}",
        "3. Thuộc thẩm quyền Trung ương (1 ý kiến, kiến nghị)",
        "3.1. Quốc phòng, an ninh",
        "4. Đơn vị cung cấp dịch vụ (điện, nước, viễn thông) (1 ý kiến, kiến nghị)",
        "4.1. Điện, nước",
        "5. Chưa phân loại (1 ý kiến, kiến nghị)",
    ]
    numbered = [line for line in lines if re.match(r"\(\d+\) ", line)]
    assert [line.split(" ", 1)[0] for line in numbered] == [f"({n})" for n in range(1, 8)]
    # Under each heading, the petitions that belong there, in their given order.
    order = [ROWS[i].content.split("\n")[0] for i in (6, 0, 4, 1, 5, 2, 3)]
    assert [line.split(" ", 1)[1] for line in numbered] == order


def test_each_petition_shows_its_hamlet_status_and_answer() -> None:
    lines = body_lines(report())
    first = lines.index("(2) " + ROWS[0].content)
    assert lines[first + 1] == (
        "Mã: KN-2026-00042. Ấp/khu phố: Ấp Tân Dân. Cơ quan giải quyết: UBND xã Tân Thuận Tây. "
        "Tình trạng: Đã trả lời."
    )
    assert lines[first + 2] == (
        "Trả lời (ngày 05/11/2026): UBND xã đưa vào kế hoạch sửa chữa quý I/2027."
    )
    unknown = lines.index("(7) " + ROWS[3].content)
    assert "Ấp/khu phố: Chưa xác định ấp, khu phố." in lines[unknown + 1]
    # Multi-line content becomes separate paragraphs, so justified lines are not stretched.
    tricky = lines.index('(4) Cử tri hỏi: vì sao <b>&" nước thải trại heo 🐷 chảy ra kênh?')
    assert lines[tricky + 1] == "Đề nghị kiểm tra & xử lý."


def test_overdue_is_added_to_a_status_that_does_not_say_so() -> None:
    lines = body_lines(report())
    assert any(line.endswith("Tình trạng: Đã trả lời (quá hạn).") for line in lines)
    assert any(line.endswith("Tình trạng: Quá hạn.") for line in lines)


def test_unknown_competence_values_count_as_unclassified() -> None:
    lines = body_lines(report([petition(1, competence="district", field="")]))
    assert "1. Chưa phân loại (1 ý kiến, kiến nghị)" in lines


def test_headline_figures_tell_on_time_answers_from_overdue_ones() -> None:
    figures = headline_figures(ROWS)
    assert figures.total == 7
    assert figures.by_hamlet == [
        ("Ấp Tân Chủ", 1), ("Ấp Tân Dân", 2), ("Ấp Tân Hậu", 1), ("Ấp Tân Hùng", 2), ("", 1),
    ]
    # 42 before its due date, 46 without one; 44 answered two days late.
    assert (figures.answered, figures.answered_on_time, figures.overdue) == (3, 2, 2)


def test_figures_section_states_the_headline_numbers() -> None:
    lines = body_lines(report())
    start = lines.index("I. SỐ LIỆU TỔNG HỢP")
    assert lines[start + 1 : lines.index("II. NỘI DUNG Ý KIẾN, KIẾN NGHỊ CỬ TRI")] == [
        "- Tổng số ý kiến, kiến nghị của cử tri: 7.",
        "- Phân theo ấp, khu phố:",
        "+ Ấp Tân Chủ: 1;",
        "+ Ấp Tân Dân: 2;",
        "+ Ấp Tân Hậu: 1;",
        "+ Ấp Tân Hùng: 2;",
        "+ Chưa xác định ấp, khu phố: 1;",
        "- Đã trả lời: 3, trong đó trả lời đúng hạn: 2; chưa trả lời: 4.",
        "- Quá hạn: 2.",
    ]


def test_vietnamese_names_sort_as_in_a_dictionary() -> None:
    names = ["Ấp Tân Hùng", "Y tế", "Ấp 10", "Đất đai", "Ấp Tân Hậu", "Ấp 2", "Giao thông",
             "Anh", "An Bình", "Giáo dục"]
    assert sorted(names, key=collation_key) == [
        "An Bình", "Anh", "Ấp 2", "Ấp 10", "Ấp Tân Hậu", "Ấp Tân Hùng", "Đất đai", "Giáo dục",
        "Giao thông", "Y tế",
    ]


def test_signature_block_and_recipients_close_the_report() -> None:
    left, right = report().tables[1].rows[0].cells
    assert left.paragraphs[0].text == "Nơi nhận:"
    assert left.paragraphs[0].runs[0].bold and left.paragraphs[0].runs[0].italic
    assert left.paragraphs[-1].text == "- Lưu: VT."
    signature = [p.text for p in right.paragraphs if p.text]
    assert signature == ["TM. THƯỜNG TRỰC HĐND", "CHỦ TỊCH", "Nguyễn Văn Bình"]
    assert all(p.runs[0].bold for p in right.paragraphs if p.text)


def test_annex_starts_on_a_new_page_with_its_title() -> None:
    document = report()
    annex = next(p for p in document.paragraphs if p.text == "PHỤ LỤC")
    assert annex.paragraph_format.page_break_before
    lines = body_lines(document)
    start = lines.index("PHỤ LỤC")
    assert lines[start + 1 : start + 3] == [
        "Danh sách ý kiến, kiến nghị cử tri",
        "(Kèm theo Báo cáo số 15/BC-HĐND ngày 22/11/2026 của Thường trực HĐND xã Tân Thuận Tây)",
    ]


def test_annex_lists_every_petition_in_order() -> None:
    table = report().tables[-1]
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells[0] == ["STT", "Mã", "Ấp/Khu phố", "Cử tri", "Nội dung", "Cơ quan giải quyết",
                        "Tình trạng"]
    assert cells[1:] == [
        [str(n), row.code, row.hamlet, row.voter, row.content, row.agency, row.status]
        for n, row in enumerate(ROWS, start=1)
    ]
    assert cells[2][4] == TRICKY  # '<' stays '<', '&' stays '&', the emoji survives


def test_annex_header_row_repeats_on_every_page() -> None:
    table = report().tables[-1]
    header = table.rows[0]._tr.trPr
    assert header is not None and header.find(qn("w:tblHeader")) is not None
    assert all(row._tr.trPr is None or row._tr.trPr.find(qn("w:tblHeader")) is None
               for row in table.rows[1:])


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_annex_cells_keep_any_text_exactly(content: str) -> None:
    table = report([petition(1, content=content)]).tables[-1]
    assert table.rows[1].cells[4].text == clean_text(content)


def test_a_long_report_lists_every_petition_once_and_in_order() -> None:
    # Large enough to go through the stamped fast path at scale; mixed groups and fields, so
    # the body's order differs from the annex's.
    competences = ["commune", "province", "central", "utility", ""]
    rows = [petition(n, competence=competences[n % 5], field=[TRAFFIC, LAND, SOCIAL][n % 3],
                     hamlet=f"Ấp {n % 4 + 1}", content=f"Kiến nghị số {n}.\nDòng hai.")
            for n in range(1, 2001)]
    document = report(rows)
    annex = document.tables[-1]
    assert len(annex.rows) == 2001
    cells = [[cell.text for cell in row.cells] for row in annex.rows[1:]]
    assert [row[:2] for row in cells] == [[str(n), f"KN-2026-{n:05d}"] for n in range(1, 2001)]
    assert cells[-1][4] == "Kiến nghị số 2000.\nDòng hai."
    lines = body_lines(document)
    numbered = [line.split(" ", 1)[0] for line in lines if re.match(r"\(\d+\) ", line)]
    assert numbered == [f"({n})" for n in range(1, 2001)]
    codes = [line.split(".", 1)[0] for line in lines if line.startswith("Mã: ")]
    assert sorted(codes) == [f"Mã: KN-2026-{n:05d}" for n in range(1, 2001)]
    closing = next(n for n, line in enumerate(lines) if line.startswith("Trên đây là"))
    assert lines[closing - 1].startswith("Mã: ")  # the last petition, then the closing words


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_a_stamped_paragraph_is_the_xml_the_helpers_write(text: str) -> None:
    def build(into: layout.Container, label: str, body: str) -> None:
        added = layout.paragraph(into, size=13, first_line=Cm(1),
                                 align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        layout.run(added, label, bold=True)
        layout.run(added, body, italic=True)

    document = Document()
    stamp = layout.paragraph_stamp(document, lambda into: build(into, "x", "x"))
    build(document, "(1) ", text)

    def canonical(element: etree._Element) -> bytes:
        return etree.tostring(element, method="c14n", exclusive=True)

    assert canonical(stamp("(1) ", text)) == canonical(document.paragraphs[-1]._p)


def test_xml_illegal_characters_are_dropped_instead_of_breaking_the_file() -> None:
    document = report([petition(1, content="Đường\x00 hư\x0bhỏng\r\nnặng\x1f")])
    assert document.tables[-1].rows[1].cells[4].text == "Đường hưhỏng\nnặng"


def test_report_without_petitions_says_there_are_none() -> None:
    document = report([])
    lines = body_lines(document)
    assert lines.count("Trong kỳ không có ý kiến, kiến nghị nào của cử tri.") == 2
    assert not [line for line in lines if line.startswith("(1)")]
    table = document.tables[-1]
    assert len(table.rows) == 2
    assert {cell.text for cell in table.rows[1].cells} == {"Không có ý kiến, kiến nghị."}
    assert_decree_30_page(document)


# --- XLSX --------------------------------------------------------------------------------

XLSX_HEADER = ["STT", "Mã", "Ngày nhận", "Ấp", "Cử tri", "Lĩnh vực", "Thẩm quyền", "Cơ quan",
               "Nội dung", "Tình trạng", "Hạn trả lời", "Ngày trả lời", "Quá hạn", "Trả lời"]
COMPETENCE_LABELS = {"commune": "Cấp xã", "province": "Cấp tỉnh", "central": "Trung ương",
                     "utility": "Đơn vị cung cấp dịch vụ", "": "Chưa phân loại"}


def as_date(value: object) -> date | None:
    assert value is None or isinstance(value, datetime)
    return value.date() if isinstance(value, datetime) else None


def test_xlsx_rows_equal_the_input_with_real_dates() -> None:
    petitions = sheet(workbook(), "Kiến nghị")
    rows = list(petitions.iter_rows(values_only=True))
    assert list(rows[0]) == XLSX_HEADER
    assert len(rows) == len(ROWS) + 1
    for n, (values, row) in enumerate(zip(rows[1:], ROWS, strict=True), start=1):
        text = [value or "" for value in values]
        assert values[0] == n
        assert text[1] == row.code
        assert as_date(values[2]) == row.received_on
        assert text[3:6] == [row.hamlet, row.voter, row.field]
        assert text[6] == COMPETENCE_LABELS[row.competence]
        assert text[7:10] == [row.agency, row.content, row.status]
        assert as_date(values[10]) == row.due_on
        assert as_date(values[11]) == row.answered_on
        assert text[12] == ("Có" if row.overdue else "")
        assert text[13] == row.answer
    received = petitions.cell(row=2, column=3)
    assert isinstance(received, Cell) and received.is_date
    assert received.number_format == "dd/mm/yyyy"


def test_formula_looking_text_stays_plain_text() -> None:
    risky = ["=1+1", "+84 901 234 567", "-5 hộ chưa có điện", "@SUM(A1:A2)", "#N/A"]
    data = build_report_xlsx(HEADING, [petition(n, content=text) for n, text in
                                       enumerate(risky, start=1)])
    petitions = sheet(openpyxl.load_workbook(io.BytesIO(data)), "Kiến nghị")
    contents = [petitions.cell(row=n + 1, column=9) for n in range(1, len(risky) + 1)]
    assert [cell.value for cell in contents] == risky
    assert all(cell.data_type == "s" for cell in contents)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_xlsx_header_is_bold_frozen_and_filtered() -> None:
    petitions = sheet(workbook(), "Kiến nghị")
    assert all(cell.font.bold for cell in petitions[1])
    assert petitions.freeze_panes == "A2"
    assert petitions.auto_filter.ref == f"A1:N{len(ROWS) + 1}"
    assert petitions.column_dimensions["I"].width >= 40
    assert petitions.cell(row=2, column=9).alignment.wrap_text


def test_xlsx_summary_sheet_holds_the_headline_figures() -> None:
    summary = sheet(workbook(), "Tổng hợp")
    pairs = [(label, count) for label, count in summary.iter_rows(min_row=6, max_col=2,
                                                                  values_only=True)]
    assert pairs == [
        ("Tổng số ý kiến, kiến nghị", 7),
        ("Ấp Tân Chủ", 1), ("Ấp Tân Dân", 2), ("Ấp Tân Hậu", 1), ("Ấp Tân Hùng", 2),
        ("Chưa xác định ấp, khu phố", 1),
        ("Đã trả lời", 3), ("Trả lời đúng hạn", 2), ("Quá hạn", 2),
    ]


def test_xlsx_without_petitions_has_only_the_header_and_zero_figures() -> None:
    book = workbook([])
    assert [list(row) for row in sheet(book, "Kiến nghị").iter_rows(values_only=True)] == [
        XLSX_HEADER
    ]
    summary = sheet(book, "Tổng hợp")
    assert summary.cell(row=6, column=2).value == 0


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_xlsx_cells_keep_any_text_exactly(content: str) -> None:
    petitions = sheet(workbook([petition(1, content=content)]), "Kiến nghị")
    assert (petitions.cell(row=2, column=9).value or "") == clean_text(content)


# --- PDF through LibreOffice -------------------------------------------------------------


def to_pdf(docx: bytes, directory: Path) -> Path:
    """The DOCX converted by LibreOffice; skips the test when LibreOffice is not installed."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not on PATH; run .ci/documents.sh to install it")
    source = directory / "document.docx"
    source.write_bytes(docx)
    # A profile of its own, so parallel runs do not fight over the user's LibreOffice profile.
    profile = (directory / "lo-profile").as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(directory), str(source)],
        check=True, capture_output=True, timeout=120,
    )
    pdf = directory / "document.pdf"
    assert pdf.exists(), "LibreOffice wrote no PDF"
    assert pdf.read_bytes().startswith(b"%PDF")
    return pdf


def pdf_text(pdf: Path) -> str:
    """The PDF's text with whitespace runs folded to single spaces."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not on PATH; run .ci/documents.sh")
    text = subprocess.run([pdftotext, "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, timeout=60).stdout.decode()
    return " ".join(unicodedata.normalize("NFC", text).split())


def test_libreoffice_renders_the_report_as_pdf_with_its_groups(tmp_path: Path) -> None:
    text = pdf_text(to_pdf(build_report_docx(HEADING, ROWS), tmp_path))
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 15/BC-HĐND", "BÁO CÁO",
                     "PHỤ LỤC", "KN-2026-00042", "KN-2026-00048", '<b>&"'):
        assert expected in text
    groups = ["1. Thuộc thẩm quyền cấp xã", "2. Thuộc thẩm quyền cấp tỉnh",
              "3. Thuộc thẩm quyền Trung ương", "4. Đơn vị cung cấp dịch vụ (điện, nước, viễn",
              "5. Chưa phân loại"]
    positions = [text.find(group) for group in groups]
    assert -1 not in positions and positions == sorted(positions)


def test_docx_is_a_well_formed_zip_with_a_document_part() -> None:
    with zipfile.ZipFile(io.BytesIO(build_report_docx(HEADING, ROWS))) as archive:
        assert archive.testzip() is None
        assert "word/document.xml" in archive.namelist()


def test_rows_are_plain_frozen_values() -> None:
    row = ROWS[0]
    with pytest.raises(AttributeError):
        row.status = "Đã trả lời"  # type: ignore[misc]
    assert replace(row, status="Đã trả lời").code == row.code
