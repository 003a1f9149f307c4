"""Reading the hand-written corpora in tests/data (meanings, fields)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data"
MEANINGS_FILE = DATA / "understanding_corpus.tsv"
FIELDS_FILE = DATA / "understanding_fields.tsv"
HELD_OUT_FILE = DATA / "understanding_heldout.tsv"


@dataclass(frozen=True)
class Example:
    meaning: str
    field: str | None
    code: str | None
    text: str


def _rows(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


def meaning_examples(path: Path = MEANINGS_FILE) -> list[Example]:
    return [
        Example(meaning, None if field == "-" else field, None if code == "-" else code, text)
        for meaning, field, code, text in _rows(path)
    ]


def field_examples() -> list[tuple[str, str]]:
    """(text, field code) pairs: problem descriptions as citizens write them."""
    return [(text, field) for field, text in _rows(FIELDS_FILE)]
