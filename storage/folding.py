"""Accent-insensitive text: many people type Vietnamese without diacritics."""

import unicodedata


def fold(text: str) -> str:
    """`"Đồng ý "` → `"dong y"`: lower case, no diacritics, single spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())
