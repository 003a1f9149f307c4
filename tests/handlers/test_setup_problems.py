"""The commune workbook's problems, worded for the office in its language, by sheet, row and
column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import storage.setup.workbook_file as workbook_file
from handlers.i18n import Translator, translator
from handlers.setup_problems import PROBLEMS, describe_setup_problem
from storage.setup.workbook import SetupProblem
from storage.setup.workbook_file import read_workbook

VI, EN = translator("vi"), translator("en")


def test_a_cell_problem_names_its_sheet_row_and_column_in_vietnamese() -> None:
    problem = SetupProblem("Đại biểu", 4, "Điện thoại (không bắt buộc)", "bad_phone",
                           {"value": "12345"})

    assert describe_setup_problem(VI, problem) == (
        "Trang «Đại biểu», dòng 4, cột «Điện thoại (không bắt buộc)»: “12345” không phải số "
        "điện thoại: ghi đủ 10 chữ số (di động) hoặc 11 chữ số (máy bàn), ví dụ 0912 345 678.")


def test_a_cell_problem_reads_in_english_too() -> None:
    problem = SetupProblem("Thôn, ấp", 8, "Mã thôn", "hamlet_code_taken",
                           {"value": "na-lua", "commune": "minh-tien", "other_row": "3"})

    assert describe_setup_problem(EN, problem) == (
        "Sheet «Thôn, ấp», row 8, column «Mã thôn»: The hamlet code “na-lua” is already used "
        "by commune minh-tien (row 3). Hamlet codes must differ across the whole province: "
        "start them with the commune code.")


def test_a_row_a_sheet_and_the_whole_file_are_named_as_far_as_they_go() -> None:
    row = SetupProblem("Xã", 3, "", "no_hamlets")
    sheet = SetupProblem("Lĩnh vực", 0, "", "empty_sheet")
    whole = SetupProblem("", 0, "", "not_xlsx", {"filename": "ds-thon.docx"})

    assert describe_setup_problem(VI, row) == (
        "Trang «Xã», dòng 3: Xã này chưa có thôn nào ở trang «Thôn, ấp».")
    assert describe_setup_problem(VI, sheet) == (
        "Trang «Lĩnh vực»: Trang này chưa có dòng nào; cần ghi ít nhất một dòng.")
    assert describe_setup_problem(VI, whole) == (
        "Tệp ds-thon.docx không phải tệp Excel (.xlsx). Hãy gửi bảng thông tin xã dạng tệp "
        ".xlsx.")


def test_an_unknown_unit_lists_the_units_the_commune_has_when_it_has_some() -> None:
    some = SetupProblem("Đại biểu", 2, "Đơn vị số", "unknown_unit", {"value": "7",
                                                                      "known": "1, 2, 3"})
    none = SetupProblem("Đại biểu", 2, "Đơn vị số", "unknown_unit", {"value": "7", "known": ""})

    assert describe_setup_problem(EN, some).endswith(
        "no electoral unit 7 on the sheet «Đơn vị bầu cử». Its units: 1, 2, 3.")
    assert describe_setup_problem(EN, none).endswith("on the sheet «Đơn vị bầu cử».")


def _keys_the_reader_can_report() -> set[str]:
    source = Path(workbook_file.__file__).read_text(encoding="utf-8")
    # row.report(column, "key", ...), _Bad("key", ...), _refused("key", ...) and
    # self.problem(..., "key", {params}).
    calls = (r'report\(\s*[\w"]+,\s*"([a-z_]+)"', r'_Bad\("([a-z_]+)"',
             r'_refused\("([a-z_]+)"', r'"([a-z_]+)",\s*\{')
    return {key for call in calls for key in re.findall(call, source)}


def test_every_problem_the_reader_can_report_has_words() -> None:
    keys = _keys_the_reader_can_report()

    assert {"bad_phone", "hamlet_in_two_units", "too_big", "missing_sheet"} <= keys
    assert keys - set(PROBLEMS) == set()


@pytest.mark.parametrize("reader", [VI, EN], ids=["vi", "en"])
def test_a_refused_file_is_described_without_a_missing_placeholder(reader: Translator) -> None:
    parsed = read_workbook(b"PK\x03\x04" + bytes(11 * 1024 * 1024), "tinh.xlsx")

    (text,) = [describe_setup_problem(reader, problem) for problem in parsed.problems]

    assert "11" in text and "10 MB" in text
    assert "{" not in text
