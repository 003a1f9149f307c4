"""Translations: gettext catalogs (Vietnamese first, English complete), read with Babel.

Message ids are the English texts; `handlers/locales/<lang>/LC_MESSAGES/cutri.po` hold the
translations. Placeholders use `{name}` and are filled after translation, so a user's text
inside a placeholder is never interpreted.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES = ("vi", "en")
DOMAIN = "cutri"
LOCALE_DIR = Path(__file__).parent / "locales"


@cache
def _catalog(locale: str) -> dict[str, str]:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


class Translator:
    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else LOCALES[0]
        self._messages = _catalog(self.locale)

    def _(self, message: str, **params: Any) -> str:
        text = self._messages.get(message, message)
        return text.format(**params) if params else text


def translator(locale: str | None) -> Translator:
    return Translator(locale or LOCALES[0])


def N_(message: str) -> str:
    """Mark a text for the catalogs where it is translated later, at use."""
    return message


# How a chat account's platform is named to a reader: brands as they are, the chat page in words.
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "local": N_("the chat page")}


def channel_name(t: Translator, channel: str) -> str:
    name = CHANNEL_NAMES.get(channel)
    return t._(name) if name is not None else channel.capitalize()
