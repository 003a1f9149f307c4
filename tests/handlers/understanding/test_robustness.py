"""No input makes understanding fail: random unicode, huge texts, emoji, nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.understanding import MEANINGS, normalise, understand
from handlers.understanding.fields import suggest_field


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gets_a_meaning(text: str) -> None:
    got = understand(text)
    assert got.meaning in MEANINGS
    assert 0.0 <= got.confidence <= 1.0
    assert len(got.alternatives) <= 3
    assert normalise(normalise(text)) == normalise(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(categories=["So", "Sk", "Cs", "Co", "Zs", "Mn"])))
def test_symbols_and_stray_marks_are_unknown_or_short(text: str) -> None:
    assert understand(text).meaning in MEANINGS
    assert suggest_field(text)


def test_a_huge_message_is_read_from_its_start() -> None:
    huge = "tôi muốn khiếu nại quyết định thu hồi đất " + "rất dài " * 200_000
    assert understand(huge).meaning == "complaint"


def test_emoji_only_and_empty_are_unknown_with_choices() -> None:
    for text in ("", "   ", "😀😀😀", "\u200b", "\x00"):
        got = understand(text)
        assert got.meaning == "unknown"
        assert len(got.alternatives) == 3
