"""One spelling for every way of typing a word."""

from __future__ import annotations

import pytest

from handlers.understanding import normalise


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Đèn đường ấp Tân Hậu bị hư", "den duong ap tan hau bi hu"),
        ("ĐĂNG KÝ", "dang ki"),
        ("đăng kí", "dang ki"),
        ("quy định", "qui dinh"),
        ("ko", "khong"),
        ("hok bit", "khong biet"),
        ("k đc", "khong duoc"),
        ("hông", "khong"),
        ("hổng có", "khong co"),
        ("dc ko", "duoc khong"),
        ("làm j", "lam gi"),
        ("bít", "biet"),
        ("zô nhà", "vo nha"),
        ("dìa nhà", "ve nha"),
        ("mần ruộng", "lam ruong"),
        ("dạ ah", "da a"),
        ("quáaaaa", "qua"),
        ("khonggggg", "khong"),
        ("wa", "qua"),
        ("  nhiều    khoảng   trắng  ", "nhieu khoang trang"),
        ("đường!!! hư??? 😢😢", "duong hu"),
        ("sdt xa", "so dien thoai xa"),
    ],
)
def test_typed_variants_become_one_spelling(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


def test_broken_is_not_read_as_the_southern_no() -> None:
    # "hỏng" (broken) and "hông" (không) fold alike; only the accented "hông" is a no.
    assert normalise("đèn hỏng") == "den hong"
    assert normalise("đèn hông sáng") == "den khong sang"


def test_digits_are_kept_as_typed() -> None:
    assert normalise("KN-2026-00042") == "kn 2026 00042"


def test_real_double_letters_survive() -> None:
    assert normalise("ưu tiên") == "uu tien"
    assert normalise("cái xoong") == "cai xoong"


def test_normalising_twice_changes_nothing() -> None:
    once = normalise("Chào cháu, bà hổng bít j hết, đc ko ạ")
    assert normalise(once) == once


def test_a_respelling_that_makes_a_stretch_is_collapsed_at_once() -> None:
    # Hypothesis found it: "wuu" respelled is "quuu", which the next reading shortened.
    for typed in ("WUU", "fhh", "jii"):
        once = normalise(typed)
        assert normalise(once) == once, typed
