"""Petition codes in the forms people type, and numbers that are not codes."""

from __future__ import annotations

import pytest

from handlers.understanding import PetitionCode, find_petition_code, understand


@pytest.mark.parametrize(
    ("typed", "number", "year"),
    [
        ("KN-2026-00042", 42, 2026),
        ("kn 2026 42", 42, 2026),
        ("KN2026-42", 42, 2026),
        ("kn-2026/00042", 42, 2026),
        ("2026-00042", 42, 2026),
        ("00042", 42, None),
        ("mã 42", 42, None),
        ("Mã số: 17", 17, None),
        ("đơn số 15 sao rồi", 15, None),
        ("kiến nghị số 8 của tui", 8, None),
        ("#128", 128, None),
        ("KN 42", 42, None),
    ],
)
def test_a_code_is_found_in_any_form(typed: str, number: int, year: int | None) -> None:
    assert find_petition_code(typed) == PetitionCode(number, year)


@pytest.mark.parametrize(
    "typed",
    [
        "Đèn đường bị hư 2 tháng nay",
        "mà 2 tháng nay chưa ai sửa",
        "nhà số 12 ấp Tân Dân",
        "má tui 70 tuổi",
        "kn 2026",
        "ngày 12/2026",
        "mã 0",
        "gửi 3 lần rồi",
    ],
)
def test_a_quantity_is_not_a_code(typed: str) -> None:
    assert find_petition_code(typed) is None


def test_a_code_prints_as_the_office_issues_it() -> None:
    assert str(PetitionCode(42, 2026)) == "KN-2026-00042"
    assert str(PetitionCode(42)) == "00042"


def test_a_code_without_year_matches_the_number_of_any_year() -> None:
    assert PetitionCode(42).matches("KN-2025-00042")
    assert PetitionCode(42, 2026).matches("KN-2026-00042")
    assert not PetitionCode(42, 2026).matches("KN-2025-00042")
    assert not PetitionCode(42).matches("garbage")


def test_the_kn_of_a_code_is_not_a_complaint() -> None:
    got = understand("kn 2026 42 giải quyết tới đâu rồi")
    assert got.meaning == "petition_status"
    assert got.code == PetitionCode(42, 2026)


def test_kn_without_a_number_is_the_teencode_for_a_complaint() -> None:
    assert understand("kn vụ đền bù giải tỏa").meaning == "complaint"
