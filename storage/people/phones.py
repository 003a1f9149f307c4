"""Vietnamese phone numbers: one normal form, so the same number always compares equal."""

import re

_NON_DIGITS = re.compile(r"[\s.\-()]")


def normalize_phone(raw: str) -> str | None:
    """`0912345678` for any of +84 912 345 678, 84912345678, 0912.345.678; None if not a number.

    Mobile numbers have 10 digits, landlines 11 (both starting with 0 once normalised).
    """
    digits = _NON_DIGITS.sub("", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("84"):
            return None
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not digits.isdigit() or not digits.startswith("0") or len(digits) not in (10, 11):
        return None
    return digits


def mask_phone(phone: str) -> str:
    """`091****678`: enough for a person to recognise their own number."""
    return phone[:3] + "*" * (len(phone) - 6) + phone[-3:]
