"""Pacing: slots keep the overall rate and the per-chat rate, and a 429 pauses the channel."""

import itertools

from scheduler.pacing import Pacer


class FrozenClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_overall_rate_spreads_messages_to_different_chats() -> None:
    clock = FrozenClock()
    pacer = Pacer(30, per_chat_rate=1, burst=1, clock=clock)
    waits = [pacer.reserve(f"chat{n}") for n in range(90)]
    assert waits[0] == 0
    # 90 messages at 30/s: the last one goes out at 89/30 s.
    assert abs(waits[-1] - 89 / 30) < 1e-9
    assert all(b > a for a, b in itertools.pairwise(waits))


def test_one_chat_gets_a_small_burst_then_one_message_a_second() -> None:
    clock = FrozenClock()
    pacer = Pacer(1000, per_chat_rate=1, per_chat_burst=3, clock=clock)
    waits = [pacer.reserve("same") for _ in range(5)]
    assert max(waits[:3]) < 0.01
    assert 0.99 < waits[3] < 1.01 and 1.99 < waits[4] < 2.01


def test_a_pause_holds_every_chat_until_retry_after_has_passed() -> None:
    clock = FrozenClock()
    pacer = Pacer(30, per_chat_rate=1, clock=clock)
    pacer.pause(7)
    assert pacer.reserve("a") >= 7
    assert pacer.reserve("b") >= 7
    clock.now += 10
    assert pacer.reserve("c") < 1
