"""Drawing an abstract `Reply` for a platform: escaping, numbered choices, splitting long texts.

Long texts are split at paragraph, line or word boundaries, never cut: every character the
handler wrote reaches the reader.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.values import Choice, Reply

TELEGRAM_LIMIT = 4096
ZALO_LIMIT = 2000


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split into pieces whose measure is within `limit`, preferring natural boundaries."""
    if measure(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        cut = _best_cut(rest, limit, measure)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest:
        pieces.append(rest)
    return [piece for piece in pieces if piece]


def _best_cut(text: str, limit: int, measure: Callable[[str], int]) -> int:
    # Largest prefix that fits (binary search: measure is monotonic in the prefix length).
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    fits = low
    for separator in ("\n\n", "\n", ". ", " "):
        position = text.rfind(separator, 0, fits)
        if position > fits // 2:
            return position + len(separator)
    if fits < len(text) and "\udc00" <= text[fits] <= "\udfff":
        fits -= 1
    return max(fits, 1)


@dataclass(frozen=True)
class TelegramMessage:
    """One sendMessage: HTML text and the reply markup as a plain dict for the Bot API."""

    html: str
    markup: dict[str, Any] | None


def render_telegram(reply: Reply) -> list[TelegramMessage]:
    title = f"<b>{html.escape(reply.title, quote=False)}</b>\n" if reply.title else ""
    budget = TELEGRAM_LIMIT - utf16_length(title)
    pieces = split_text(
        reply.text or "…", budget, lambda s: utf16_length(html.escape(s, quote=False))
    )
    messages = [html.escape(piece, quote=False) for piece in pieces]
    messages[0] = title + messages[0]
    markup = telegram_markup(reply)
    return [
        TelegramMessage(text, markup if index == len(messages) - 1 else None)
        for index, text in enumerate(messages)
    ]


def telegram_markup(reply: Reply) -> dict[str, Any] | None:
    if reply.ask_contact:
        rows: list[list[dict[str, object]]] = [[{"text": reply.ask_contact,
                                                 "request_contact": True}]]
        rows += [[{"text": choice.label}] for choice in reply.choices]
        return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}
    if reply.choices:
        return {
            "inline_keyboard": [
                [{"text": choice.label, "callback_data": choice.action}]
                for choice in reply.choices
            ]
        }
    if reply.remove_keyboard:
        return {"remove_keyboard": True}
    return None


def render_plain(reply: Reply, limit: int = ZALO_LIMIT) -> list[str]:
    """Plain text with numbered choices ("1. Đồng ý"), for Zalo and the local chats."""
    numbered = _numbered(reply.choices)
    tail = "\n\n" + numbered if numbered else ""
    if reply.hint and reply.choices:
        tail += "\n" + reply.hint
    body = (reply.title.upper() + "\n" if reply.title else "") + (reply.text or "…")
    if len(body) + len(tail) <= limit:
        return [body + tail]
    pieces = split_text(body, limit)
    if len(pieces[-1]) + len(tail) <= limit:
        pieces[-1] += tail
    else:
        pieces += split_text(tail.strip(), limit)
    return pieces


def _numbered(choices: tuple[Choice, ...]) -> str:
    return "\n".join(f"{number}. {choice.label}" for number, choice in enumerate(choices, 1))
