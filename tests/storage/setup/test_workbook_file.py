"""The commune workbook file: the template reads back as its example, every mistake is pointed
at by sheet, row and column, and what is exported reads back unchanged."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook as Book
from openpyxl import load_workbook

import storage.setup.workbook_file as workbook_file
from storage.setup.workbook import (
    AgencyRow,
    CommuneRow,
    DialogueOptionRow,
    FieldRow,
    HamletRow,
    SeatRow,
    SetupProblem,
    UnitRow,
    Workbook,
)
from storage.setup.workbook_example import MINH_TIEN
from storage.setup.workbook_file import (
    ParsedWorkbook,
    build_workbook_template,
    read_workbook,
    write_workbook,
)
from storage.voter_contact.plan_file import build_plan_template_xlsx
from tests.setup_data import province_workbook

Where = tuple[str, int, str, str]  # sheet, row, column, key


def where(parsed: ParsedWorkbook) -> list[Where]:
    return [(p.sheet, p.row, p.column, p.key) for p in parsed.problems]


def edited(change: Callable[[Book], None], values: Workbook = MINH_TIEN) -> bytes:
    """The export of `values` after `change`, as the office would have edited it in Excel."""
    book = load_workbook(io.BytesIO(write_workbook(values)))
    change(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_cells(*cells: tuple[str, str, object]) -> bytes:
    """The Minh Tiến export with some cells overwritten: (sheet, cell, value)."""
    def change(book: Book) -> None:
        for sheet, cell, value in cells:
            book[sheet][cell] = value
    return edited(change)


def with_rows(*rows: tuple[str, tuple[object, ...]]) -> bytes:
    """The Minh Tiến export with rows added at the end of sheets: (sheet, values)."""
    def change(book: Book) -> None:
        for sheet, values in rows:
            book[sheet].append(values)
    return edited(change)


SECOND_COMMUNE = ("Xã", ("lang-son", "Tỉnh Lạng Sơn", "hoa-son", "Xã Hòa Sơn", "Xã"))


# --- The template -------------------------------------------------------------------------


def test_the_template_reads_back_as_the_minh_tien_example() -> None:
    parsed = read_workbook(build_workbook_template(), "mau-thong-tin-xa.xlsx")

    assert parsed.problems == ()
    assert parsed.ok
    assert parsed.workbook == MINH_TIEN


def test_the_template_saved_again_by_another_spreadsheet_program_still_reads() -> None:
    # LibreOffice Calc's save of the template: shared strings and its own styles.
    saved = Path(__file__).with_name("minh_tien_saved_by_calc.xlsx").read_bytes()
    # Saved before the hamlets sheet had its households column: an older file still reads.
    before_households = replace(MINH_TIEN, hamlets=tuple(
        replace(h, households=None) for h in MINH_TIEN.hamlets))

    assert read_workbook(saved, "minh-tien.xlsx") == ParsedWorkbook(before_households, ())


def test_the_template_has_a_guide_then_one_sheet_per_kind_of_row() -> None:
    book = load_workbook(io.BytesIO(build_workbook_template()))

    assert book.sheetnames == ["Hướng dẫn", "Xã", "Thôn, ấp", "Đơn vị bầu cử", "Đại biểu",
                               "Lĩnh vực", "Cơ quan", "Đối thoại"]
    guide = " ".join(str(cell.value) for row in book["Hướng dẫn"].iter_rows() for cell in row
                     if cell.value)
    assert "minh-tien-na-lua" in guide  # hamlet codes start with the commune's
    for title in book.sheetnames[1:]:
        sheet = book[title]
        assert f"Trang «{title}»" in guide
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].value == ("Mã tỉnh" if title == "Xã" else "Mã xã")
        assert sheet["A1"].font.bold


def test_columns_with_fixed_values_offer_them_in_a_list() -> None:
    book = load_workbook(io.BytesIO(build_workbook_template()))

    def lists(title: str) -> set[str]:
        return {str(rule.formula1) for rule in book[title].data_validations.dataValidation}

    assert '"Xã,Phường,Đặc khu"' in lists("Xã")
    assert '"Xã,Tỉnh,Điện nước"' in lists("Cơ quan")
    assert '"Đối tượng,Chủ đề"' in lists("Đối thoại")
    assert any("'Xã'!$C$2" in formula for formula in lists("Thôn, ấp"))  # the commune codes


def test_a_template_without_example_rows_asks_for_rows() -> None:
    parsed = read_workbook(build_workbook_template(Workbook()), "trong.xlsx")

    assert not parsed.ok
    assert ("Xã", 0, "", "empty_sheet") in where(parsed)
    assert ("Đối thoại", 0, "", "empty_sheet") not in where(parsed)  # optional


# --- What offices write differently ---------------------------------------------------------


def _typed_by_hand() -> bytes:
    """A small workbook typed without accents, columns in another order, a title above the
    header, blank rows, stray spaces, and numbers as Excel stores them."""
    book = Book()
    del book[book.sheetnames[0]]
    sheets: dict[str, list[tuple[object, ...]]] = {
        "Xa": [("BẢNG THÔNG TIN XÃ HỮU LIÊN",), (),
               ("Ten xa", "ma xa", "So ngay lam viec tra loi", "Ma tinh", "ten tinh",
                "Dien thoai van phong", "Ghi chú riêng"),
               ("  Xã Hữu Liên ", " HUU-LIEN", 20.0, "lang-son", "Tỉnh Lạng Sơn", 2053825101,
                "không đọc")],
        "Thon ap": [("Ma thon", "Ten", "Ma xa"),
                    ("Nà Lừa", "Thôn Nà Lừa", "huu-lien"), (None, None, None),
                    ("huu-lien-khuon-pinh", "Thôn Khuôn Pinh", "huu-lien")],
        "Don vi bau cu": [("Ma xa", "So", "Cac thon"),
                          ("huu-lien", 1.0, "na lua, Khuon Pinh")],
        "Dai bieu": [("Ho ten", "Ma xa", "Don vi so", "Dien thoai"),
                     ("Hoàng Văn Thắng", "huu-lien", "Đơn vị số 1", 912345678)],
        "Linh vuc": [("Ma xa", "Ma", "Ten", "So ngay tra loi"),
                     ("huu-lien", "Đất đai", "Đất đai, tài nguyên, môi trường", "30 ngày")],
        "Co quan": [("Ma xa", "Ten", "Cap", "Linh vuc"),
                    ("huu-lien", "Phòng Kinh tế xã", "cấp xã",
                     "Đất đai, tài nguyên, môi trường")],
    }
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_typed_without_accents_in_its_own_column_order_is_understood() -> None:
    parsed = read_workbook(_typed_by_hand(), "huu-lien.xlsx")

    assert parsed.problems == ()
    assert parsed.workbook == Workbook(
        communes=(CommuneRow("lang-son", "Tỉnh Lạng Sơn", "huu-lien", "Xã Hữu Liên", "xa", None,
                             "02053825101", None, None, None, 20),),
        hamlets=(HamletRow("huu-lien", "na-lua", "Thôn Nà Lừa"),
                 HamletRow("huu-lien", "huu-lien-khuon-pinh", "Thôn Khuôn Pinh")),
        units=(UnitRow("huu-lien", 1, "Đơn vị bầu cử số 1", ("na-lua", "huu-lien-khuon-pinh")),),
        seats=(SeatRow("huu-lien", "Hoàng Văn Thắng", 1, "0912345678", ""),),
        fields=(FieldRow("huu-lien", "dat-dai", "Đất đai, tài nguyên, môi trường", 30),),
        agencies=(AgencyRow("huu-lien", "Phòng Kinh tế xã", "commune", ("dat-dai",)),),
    )


def test_hamlets_of_a_unit_may_be_named_with_or_without_the_word_thon() -> None:
    parsed = read_workbook(with_cells(("Đơn vị bầu cử", "D2", "Dong Buc; minh-tien-na-lua")),
                           "x.xlsx")

    assert parsed.problems == ()
    assert parsed.workbook.units[0].hamlet_codes == ("minh-tien-dong-buc", "minh-tien-na-lua")


# --- Mistakes, each pointed at -------------------------------------------------------------


MISTAKES: dict[str, tuple[Callable[[], bytes], Where]] = {}


def mistake(name: str, expected: Where) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    def register(make: Callable[[], bytes]) -> Callable[[], bytes]:
        MISTAKES[name] = (make, expected)
        return make
    return register


@mistake("a hamlet code twice in one commune", ("Thôn, ấp", 3, "Mã thôn", "duplicate_code"))
def _() -> bytes:
    return with_cells(("Thôn, ấp", "B3", "minh-tien-dong-buc"))


@mistake("a hamlet code another commune uses", ("Thôn, ấp", 8, "Mã thôn", "hamlet_code_taken"))
def _() -> bytes:
    return with_rows(SECOND_COMMUNE, ("Thôn, ấp", ("hoa-son", "minh-tien-na-lua", "Thôn Nà Lừa")))


@mistake("a commune code twice", ("Xã", 3, "Mã xã", "duplicate_code"))
def _() -> bytes:
    return with_rows(("Xã", ("lang-son", "Tỉnh Lạng Sơn", "minh-tien", "Xã Minh Tiến 2")))


@mistake("a commune code not on the communes sheet", ("Thôn, ấp", 2, "Mã xã", "unknown_commune"))
def _() -> bytes:
    return with_cells(("Thôn, ấp", "A2", "minh-tien-2"))


@mistake("a commune with no hamlet", ("Xã", 3, "", "no_hamlets"))
def _() -> bytes:
    return with_rows(SECOND_COMMUNE)


@mistake("two names for one province", ("Xã", 3, "Tên tỉnh", "conflicting_province"))
def _() -> bytes:
    return with_rows(("Xã", ("lang-son", "Tỉnh Lang Chánh", "hoa-son", "Xã Hòa Sơn")),
                     ("Thôn, ấp", ("hoa-son", "hoa-son-ban-1", "Bản 1")))


@mistake("an electoral unit naming an unknown hamlet",
         ("Đơn vị bầu cử", 2, "Các thôn", "unknown_hamlet"))
def _() -> bytes:
    return with_cells(("Đơn vị bầu cử", "D2", "Thôn Nà Lừa; Thôn Bản Lẻ"))


@mistake("a hamlet in two units", ("Đơn vị bầu cử", 3, "Các thôn", "hamlet_in_two_units"))
def _() -> bytes:
    return with_cells(("Đơn vị bầu cử", "D3", "Thôn Khuôn Pinh; Thôn Bản Hấu; Nà Lừa"))


@mistake("a unit number twice", ("Đơn vị bầu cử", 3, "Số", "duplicate_unit"))
def _() -> bytes:
    return with_cells(("Đơn vị bầu cử", "B3", 1))


@mistake("a seat in an unknown unit", ("Đại biểu", 2, "Đơn vị số", "unknown_unit"))
def _() -> bytes:
    return with_cells(("Đại biểu", "C2", 7))


@mistake("a seat without a name", ("Đại biểu", 2, "Họ tên", "missing"))
def _() -> bytes:
    return with_cells(("Đại biểu", "B2", None))


@mistake("a bad office phone", ("Xã", 2, "Điện thoại văn phòng", "bad_phone"))
def _() -> bytes:
    return with_cells(("Xã", "G2", "0205 38"))


@mistake("a bad seat phone", ("Đại biểu", 2, "Điện thoại (không bắt buộc)", "bad_phone"))
def _() -> bytes:
    return with_cells(("Đại biểu", "D2", "12345"))


@mistake("no answer days", ("Xã", 2, "Số ngày làm việc trả lời", "bad_number"))
def _() -> bytes:
    return with_cells(("Xã", "K2", 0))


@mistake("answer days past sixty", ("Lĩnh vực", 2, "Số ngày trả lời", "bad_number"))
def _() -> bytes:
    return with_cells(("Lĩnh vực", "D2", 61))


@mistake("an agency naming an unknown field", ("Cơ quan", 2, "Lĩnh vực", "unknown_field"))
def _() -> bytes:
    return with_cells(("Cơ quan", "D2", "thu-tuc; dat-dai-2"))


@mistake("an unknown commune kind", ("Xã", 2, "Loại", "bad_choice"))
def _() -> bytes:
    return with_cells(("Xã", "E2", "Thị trấn"))


@mistake("an unknown competence", ("Cơ quan", 2, "Cấp", "bad_choice"))
def _() -> bytes:
    return with_cells(("Cơ quan", "C2", "Trung ương"))


@mistake("an unknown dialogue option kind", ("Đối thoại", 2, "Loại", "bad_choice"))
def _() -> bytes:
    return with_cells(("Đối thoại", "B2", "Hộ gia đình"))


@mistake("an over-long hamlet name", ("Thôn, ấp", 2, "Tên", "too_long"))
def _() -> bytes:
    return with_cells(("Thôn, ấp", "C2", "Thôn " + "Nà" * 120))


@mistake("a code with a slash", ("Thôn, ấp", 2, "Mã thôn", "bad_code"))
def _() -> bytes:
    return with_cells(("Thôn, ấp", "B2", "minh-tien/đồng-bục"))


@mistake("a hamlet code with an underscore", ("Thôn, ấp", 2, "Mã thôn", "bad_code"))
def _() -> bytes:
    return with_cells(("Thôn, ấp", "B2", "MT_01"))


@mistake("a field code twice", ("Lĩnh vực", 3, "Mã", "duplicate_code"))
def _() -> bytes:
    return with_cells(("Lĩnh vực", "B3", "dat-dai"))


@mistake("an agency twice", ("Cơ quan", 3, "Tên", "duplicate_name"))
def _() -> bytes:
    return with_cells(("Cơ quan", "B3", "Văn phòng HĐND và UBND xã"))


@mistake("a cell holding an Excel error", ("Đại biểu", 2, "Họ tên", "cell_error"))
def _() -> bytes:
    return with_cells(("Đại biểu", "B2", "#REF!"))


@mistake("a missing required sheet", ("Đại biểu", 0, "", "missing_sheet"))
def _() -> bytes:
    return edited(lambda book: book.remove(book["Đại biểu"]))


@mistake("a required sheet with no rows", ("Lĩnh vực", 0, "", "empty_sheet"))
def _() -> bytes:
    return edited(lambda book: book["Lĩnh vực"].delete_rows(2, 20))


@mistake("a missing required column", ("Đơn vị bầu cử", 1, "", "missing_column"))
def _() -> bytes:
    return edited(lambda book: book["Đơn vị bầu cử"].delete_cols(4))


@mistake("a column twice", ("Thôn, ấp", 1, "Ten", "duplicate_column"))
def _() -> bytes:
    return with_cells(("Thôn, ấp", "D1", "Ten"))


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_mistake_is_pointed_at_by_sheet_row_and_column(name: str) -> None:
    make, expected = MISTAKES[name]

    parsed = read_workbook(make(), "thong-tin-xa.xlsx")

    assert not parsed.ok
    assert expected in where(parsed)


def test_a_hamlet_code_taken_names_the_other_commune_and_row() -> None:
    make, _expected = MISTAKES["a hamlet code another commune uses"]

    parsed = read_workbook(make(), "x.xlsx")

    assert parsed.problems == (SetupProblem(
        "Thôn, ấp", 8, "Mã thôn", "hamlet_code_taken",
        {"value": "minh-tien-na-lua", "commune": "minh-tien", "other_row": "3"}),)


def test_every_problem_of_a_file_is_listed_in_sheet_and_row_order() -> None:
    data = with_cells(("Đối thoại", "B2", "Hộ gia đình"), ("Xã", "K2", 90),
                      ("Đại biểu", "D3", "12345"), ("Đại biểu", "C2", 7))

    assert where(read_workbook(data, "x.xlsx")) == [
        ("Xã", 2, "Số ngày làm việc trả lời", "bad_number"),
        ("Đại biểu", 2, "Đơn vị số", "unknown_unit"),
        ("Đại biểu", 3, "Điện thoại (không bắt buộc)", "bad_phone"),
        ("Đối thoại", 2, "Loại", "bad_choice"),
    ]


def test_the_other_rows_still_come_back_beside_the_problems() -> None:
    parsed = read_workbook(with_cells(("Đại biểu", "C2", 7)), "x.xlsx")

    assert not parsed.ok
    assert parsed.workbook.seats == MINH_TIEN.seats[1:]
    assert parsed.workbook.hamlets == MINH_TIEN.hamlets


def test_the_dialogue_sheet_may_be_left_out() -> None:
    parsed = read_workbook(edited(lambda book: book.remove(book["Đối thoại"])), "x.xlsx")

    assert parsed.ok
    assert parsed.workbook == replace(MINH_TIEN, options=())


def test_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook_file, "MAX_ROWS", 3)

    parsed = read_workbook(write_workbook(MINH_TIEN), "x.xlsx")

    assert ("Thôn, ấp", 0, "", "too_many_rows") in where(parsed)


# --- Files that are not a commune workbook --------------------------------------------------


def _docx() -> bytes:
    document = Document()
    document.add_paragraph("Danh sách thôn: Nà Lừa, Khuôn Pinh")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "filename", "key"), [
    (_docx(), "thong-tin-xa.docx", "not_xlsx"),
    ("Mã xã,Mã thôn,Tên\nminh-tien,na-lua,Thôn Nà Lừa\n".encode(), "thon.csv", "not_xlsx"),
    (bytes(range(256)) * 40, "thong-tin-xa.xlsx", "not_xlsx"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "bang.xlsx",
     "not_xlsx"),
    (b"PK\x03\x04" + bytes(2000), "hong.xlsx", "not_xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), "thong-tin-xa.xls", "old_excel"),
    (b"", "trong.xlsx", "not_xlsx"),
], ids=["docx", "csv", "random bytes", "renamed pdf", "broken zip", "old excel", "empty"])
def test_a_file_that_is_not_an_xlsx_is_refused_as_such(data: bytes, filename: str,
                                                        key: str) -> None:
    parsed = read_workbook(data, filename)

    assert parsed.problems == (SetupProblem("", 0, "", key, {"filename": filename}),)
    assert not parsed.ok


def test_a_50_mb_file_is_refused_without_being_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the file was opened")
    monkeypatch.setattr(workbook_file, "load_workbook", never)

    parsed = read_workbook(b"PK\x03\x04" + bytes(50 * 1024 * 1024), "tinh.xlsx")

    assert parsed.problems == (SetupProblem("", 0, "", "too_big", {"size": "50", "max": "10"}),)


def test_a_small_file_that_unpacks_into_too_much_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook_file, "MAX_UNPACKED", 20_000)

    parsed = read_workbook(build_workbook_template(), "tinh.xlsx")

    assert where(parsed) == [("", 0, "", "too_big_unpacked")]


def test_another_spreadsheet_is_refused_as_not_a_commune_workbook() -> None:
    plan = build_plan_template_xlsx(units={1: "Đơn vị bầu cử số 1"}, example_year=2026)

    assert where(read_workbook(plan, "ke-hoach.xlsx")) == [("", 0, "", "no_sheets")]


# --- The export -----------------------------------------------------------------------------


def test_the_export_reads_back_as_what_was_exported() -> None:
    tricky = replace(
        MINH_TIEN,
        communes=(replace(MINH_TIEN.communes[0], kind="dac_khu", office_phone=None,
                          district=None, reception_schedule="Thứ Ba\nThứ Năm"),),
        hamlets=(*MINH_TIEN.hamlets, HamletRow("minh-tien", "minh-tien-10", "=Thôn 10; mới")),
        units=(*MINH_TIEN.units, UnitRow("minh-tien", 4, "Đơn vị 4", ("minh-tien-10",))),
        options=(DialogueOptionRow("minh-tien", "category", "near_poor", "Hộ cận nghèo"),),
    )

    assert read_workbook(write_workbook(tricky), "xuat.xlsx") == ParsedWorkbook(tricky, ())


def test_a_province_of_a_hundred_communes_reads_back_as_exported() -> None:
    province = province_workbook(100)
    assert len(province.communes) == 100
    assert len(province.hamlets) >= 600

    parsed = read_workbook(write_workbook(province), "lang-son.xlsx")

    assert parsed.ok
    assert parsed.workbook == province


def test_two_generated_provinces_share_no_commune_or_hamlet_code() -> None:
    one, other = province_workbook(30), province_workbook(30, province_code="thai-nguyen")

    assert not {c.code for c in one.communes} & {c.code for c in other.communes}
    assert not {h.code for h in one.hamlets} & {h.code for h in other.hamlets}
    assert other.communes[0].province_name == "Tỉnh Thái Nguyên"


def test_a_hamlets_households_must_be_a_whole_number() -> None:
    parsed = read_workbook(with_rows(("Thôn, ấp", ("minh-tien", "minh-tien-moi", "Thôn Mới",
                                                    "khoảng 200 hộ"))), "xa.xlsx")
    assert any(p.key == "bad_number" and p.column == "Số hộ" for p in parsed.problems)
