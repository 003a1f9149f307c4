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
            ROOT / package, keywords=DEFAULT_KEYWORDS,
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")],
        ):
            if isinstance(message, str):
                found.add(message)
    return found


def test_the_code_has_texts_to_translate() -> None:
    assert "What would you like to do?" in code_messages()
    assert "Sign out on every device" in code_messages()  # the panel's templates too


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



# Words an elderly reader may not know, that crept into Vietnamese texts before. Names of
# products (Zalo, Telegram, Excel, Word) are not on the list: that is what people call them.
ENGLISH = ("submitted", "received", "forwarded", "ok", "okay", "link", "file", "email",
           "menu chính", "click", "button", "start", "cancel", "done", "admin", "online",
           "upload", "download", "inbox", "status", "delegate", "petition", "please", "ticket",
           "bot", "password", "settings", "help")
PLACEHOLDERS = re.compile(r"\{[^}]*\}")


def english_words(text: str) -> list[str]:
    plain = PLACEHOLDERS.sub(" ", text.lower())
    return [word for word in ENGLISH
            if re.search(r"(?<![\w])" + re.escape(word) + r"(?![\w])", plain)]


def test_vietnamese_texts_have_no_english_words() -> None:
    leaks = {translated: english_words(translated) for translated in _catalog("vi").values()
             if english_words(translated)}
    assert leaks == {}


def test_vietnamese_texts_send_nobody_to_a_slash_command() -> None:
    commands = [translated for translated in _catalog("vi").values()
                if re.search(r"(?<![\w/])/[a-z]+", PLACEHOLDERS.sub(" ", translated))]
    assert commands == []


def test_the_leak_checks_can_fail() -> None:
    assert english_words("Kiến nghị {code}: submitted") == ["submitted"]
    assert english_words("Mã {code} của {status}") == []
