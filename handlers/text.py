"""Reading what people type: accent-insensitive matching, since many type without diacritics."""

import unicodedata


def fold(text: str) -> str:
    """`"Đồng ý "` → `"dong y"`: lower case, no diacritics, single spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def plain_label(label: str) -> str:
    """A button label without leading emoji or punctuation, folded."""
    folded = fold(label)
    start = 0
    while start < len(folded) and not folded[start].isalnum():
        start += 1
    return folded[start:].strip()
