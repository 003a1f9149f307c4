"""Phone numbers compare equal whatever way they were typed."""

import pytest

from storage.people.phones import mask_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    ["0912345678", "+84912345678", "84912345678", "+84 912 345 678", "0912.345.678",
     "(091) 234-5678", " 0912345678 "],
)
def test_one_mobile_number_typed_many_ways_is_one_number(typed: str) -> None:
    assert normalize_phone(typed) == "0912345678"


@pytest.mark.parametrize("typed", ["", "abc", "12345", "+1 650 253 0000", "091234567890",
                                   "1912345678", "09123456a8"])
def test_what_is_not_a_vietnamese_number_is_refused(typed: str) -> None:
    assert normalize_phone(typed) is None


def test_landlines_have_eleven_digits() -> None:
    assert normalize_phone("0277 3851 234") == "02773851234"


def test_a_masked_number_keeps_only_its_ends() -> None:
    assert mask_phone("0912345678") == "091****678"
