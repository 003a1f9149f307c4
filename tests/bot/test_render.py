"""Drawing replies: HTML escaped for Telegram, numbered choices for Zalo, long texts split whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import (
    TELEGRAM_LIMIT,
    ZALO_LIMIT,
    render_plain,
    render_telegram,
    split_text,
    utf16_length,
)
from handlers.values import Choice, Reply


def test_telegram_escapes_what_people_typed() -> None:
    [message] = render_telegram(Reply(text='a < b & "c" > d', title="<Tiêu đề>"))
    assert message.html == '<b>&lt;Tiêu đề&gt;</b>\na &lt; b &amp; "c" &gt; d'


def test_telegram_buttons_carry_the_short_action_not_the_label() -> None:
    [message] = render_telegram(Reply(text="?", choices=(Choice("consent:yes", "✅ Đồng ý"),)))
    assert message.markup == {
        "inline_keyboard": [[{"text": "✅ Đồng ý", "callback_data": "consent:yes"}]]
    }


def test_contact_request_is_a_one_time_reply_keyboard_with_the_other_choices() -> None:
    reply = Reply(text="?", ask_contact="📱 Gửi số", choices=(Choice("phone:skip", "Bỏ qua"),))
    [message] = render_telegram(reply)
    assert message.markup is not None
    assert message.markup["keyboard"] == [
        [{"text": "📱 Gửi số", "request_contact": True}], [{"text": "Bỏ qua"}]
    ]


def test_zalo_numbers_the_choices_and_says_how_to_pick() -> None:
    reply = Reply(text="Bạn có đồng ý?", choices=(Choice("a", "Đồng ý"), Choice("b", "Không")),
                  hint="Gõ số tương ứng với lựa chọn của bạn.")
    assert render_plain(reply) == [
        "Bạn có đồng ý?\n\n1. Đồng ý\n2. Không\nGõ số tương ứng với lựa chọn của bạn."
    ]


@settings(max_examples=200)
@given(st.text(min_size=1, max_size=12_000))
def test_long_texts_are_split_within_the_limit_and_nothing_is_lost(text: str) -> None:
    for limit, measure in ((ZALO_LIMIT, len), (TELEGRAM_LIMIT, utf16_length)):
        pieces = split_text(text, limit, measure)
        assert all(measure(piece) <= limit for piece in pieces)
        # Only the whitespace at a cut may go; every other character stays, in order.
        assert "".join("".join(pieces).split()) == "".join(text.split())


def test_every_telegram_piece_fits_after_escaping() -> None:
    reply = Reply(text="<&>" * 5000, choices=(Choice("x", "X"),))
    messages = render_telegram(reply)
    assert len(messages) > 1
    assert all(utf16_length(m.html) <= TELEGRAM_LIMIT for m in messages)
    assert messages[-1].markup is not None and messages[0].markup is None
