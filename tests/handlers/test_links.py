"""Links that open the bot: Telegram deep links within Telegram's rules, Zalo's chat page."""

from __future__ import annotations

from handlers.links import telegram_start_link, zalo_chat_link
from handlers.turn import HandlerConfig


def test_a_telegram_link_carries_the_start_argument() -> None:
    assert telegram_start_link("cutri_ttt_bot", "inv-K7MQ3XHPAC") == (
        "https://t.me/cutri_ttt_bot?start=inv-K7MQ3XHPAC")
    assert telegram_start_link("@cutri_ttt_bot", "ttt-tan-dan") == (
        "https://t.me/cutri_ttt_bot?start=ttt-tan-dan")


def test_no_link_without_a_username_or_with_an_argument_telegram_would_drop() -> None:
    assert telegram_start_link(None, "inv-K7MQ3XHPAC") is None
    assert telegram_start_link("", "inv-K7MQ3XHPAC") is None
    assert telegram_start_link("cutri_ttt_bot", "ấp tân dân") is None
    assert telegram_start_link("cutri_ttt_bot", "x" * 65) is None
    assert telegram_start_link("cutri ttt", "inv-K7MQ3XHPAC") is None


def test_the_zalo_link_is_the_configured_chat_page() -> None:
    assert zalo_chat_link(HandlerConfig()) is None
    assert zalo_chat_link(HandlerConfig(zalo_bot_url="https://zalo.me/123")) == (
        "https://zalo.me/123")
