"""Petition codes as people type them: "KN-2026-00042", "kn 2026 42", "mã 42", "00042".

The office issues `KN-<year>-<five digits>` (storage.petitions.next_petition_code). Citizens
read it off a card, a paper receipt or a loudspeaker announcement and type what they remember:
with or without dashes, the year, the leading zeros or the prefix. A number in a free text
("hư 2 tháng nay", "nhà số 12") is not a code: only a number tied to the prefix, to a word
that names a code ("mã", "đơn số"), or a message that is nothing but the number counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.folding import fold

_SEP = r"\s*[-_/.:#]?\s*"
_YEAR = r"(20\d\d)"
# "mà 2 tháng nay", "má tui 70 tuổi": a number followed by a unit is a quantity, not a code.
_NUMBER = (
    r"(\d{1,5})(?![0-9])(?!\s*(?:thang|ngay|nam|tuan|lan|gio|buoi|nguoi|ho|cai|con|tuoi|"
    r"met|m|km|cay|ha|trieu|nghin|ngan|dong|k|tan|kg|lit|phut|bao|cong|so)\b)"
)
# Longest forms first: with the year, then the prefix alone, then a word that names a code.
_WITH_YEAR = re.compile(rf"(?<![a-z0-9])kn{_SEP}{_YEAR}{_SEP}{_NUMBER}")
_YEAR_AND_PADDED = re.compile(rf"(?<![0-9/]){_YEAR}\s*[-/]\s*(\d{{5}})(?![0-9])")
_PREFIX_ONLY = re.compile(rf"(?<![a-z0-9])kn{_SEP}{_NUMBER}")
_NAMED = re.compile(
    r"(?<![a-z0-9])(?:ma(?: so)?(?: don| ho so| kien nghi| phan anh)?|"
    r"(?:don|kien nghi|phan anh|ho so|phieu|y kien)(?: cua toi| cua tui)? so|#)"
    rf"{_SEP}{_NUMBER}"
)
_ONLY_NUMBER = re.compile(r"[\s.#:]*(\d{1,5})[\s.?!]*")


@dataclass(frozen=True, slots=True)
class PetitionCode:
    """What the citizen gave of a code: always the number, the year only when typed."""

    number: int
    year: int | None = None

    def __str__(self) -> str:
        if self.year is None:
            return f"{self.number:05d}"
        return f"KN-{self.year}-{self.number:05d}"

    def matches(self, code: str) -> bool:
        """Whether an issued code (`KN-2026-00042`) is the one meant; no year matches any."""
        parts = code.split("-")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            return False
        if self.year is not None and int(parts[1]) != self.year:
            return False
        return int(parts[2]) == self.number


def find_petition_code(text: str) -> PetitionCode | None:
    """The petition code in a message, in any of the forms people type, or None."""
    folded = fold(text)
    match = _WITH_YEAR.search(folded)
    if match:
        return _code(match.group(2), match.group(1))
    match = _YEAR_AND_PADDED.search(folded)
    if match:
        return _code(match.group(2), match.group(1))
    match = _PREFIX_ONLY.search(folded)
    if match and not _looks_like_year(match.group(1)):
        return _code(match.group(1), None)
    match = _NAMED.search(folded)
    if match:
        return _code(match.group(1), None)
    match = _ONLY_NUMBER.fullmatch(folded)
    if match:
        return _code(match.group(1), None)
    return None


def _looks_like_year(digits: str) -> bool:
    # "kn 2026" alone is the start of a code whose number is missing, not petition 2026.
    return len(digits) == 4 and digits.startswith("20")


def _code(number: str, year: str | None) -> PetitionCode | None:
    value = int(number)
    if value == 0:
        return None
    return PetitionCode(number=value, year=int(year) if year else None)
