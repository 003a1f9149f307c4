"""Small turns of wording the desk pages share."""

from __future__ import annotations


def first_upper(text: str) -> str:
    """A label that may start a line ("trang trò chuyện" → "Trang trò chuyện"); the rest of
    the text keeps its case, which `capitalize` would not (Telegram, HĐND)."""
    return text[:1].upper() + text[1:]
