"""Catalogs: every text in the code has a Vietnamese and an English translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from handlers.i18n import LOCALES, _catalog

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def code_messages() -> set[str]:
    found: set[str] = set()
    for package in ("handlers", "bot"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS
        ):
            if isinstance(message, str):
                found.add(message)
    return found


def test_the_code_has_texts_to_translate() -> None:
    assert "What would you like to do?" in code_messages()


@pytest.mark.parametrize("locale", LOCALES)
def test_every_text_is_translated(locale: str) -> None:
    missing = sorted(code_messages() - set(_catalog(locale)))
    assert missing == []


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    for message, translated in _catalog(locale).items():
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(translated)), message


def test_vietnamese_is_really_vietnamese() -> None:
    vi = _catalog("vi")
    assert vi["Skip"] == "Bỏ qua"
    untranslated = [m for m, t in vi.items() if m == t and m != "Tiếng Việt / English"]
    assert untranslated == []

