"""Reading what people type: accent-insensitive matching, since many type without diacritics."""

from storage.folding import fold

__all__ = ["fold", "plain_label"]


def plain_label(label: str) -> str:
    """A button label without leading emoji or punctuation, folded."""
    folded = fold(label)
    start = 0
    while start < len(folded) and not folded[start].isalnum():
        start += 1
    return folded[start:].strip()
