"""Pacing: slots keep the overall rate and the per-chat rate, and a 429 pauses the channel."""

import asyncio
import itertools

from scheduler.pacing import Pacer


class FrozenClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def reserve(pacer: Pacer, chat_id: str) -> float:
    """As the dispatcher does: the chat's slot, then (when it comes) the overall one."""
    chat_wait = pacer.reserve_chat(chat_id)
    assert chat_wait == 0, "these tests send only when the chat is free"
    return pacer.reserve_overall()


def test_overall_rate_spreads_messages_to_different_chats() -> None:
    clock = FrozenClock()
    pacer = Pacer(30, per_chat_rate=1, burst=1, clock=clock)
    waits = [reserve(pacer, f"chat{n}") for n in range(90)]
    assert waits[0] == 0
    # 90 messages at 30/s: the last one goes out at 89/30 s.
    assert abs(waits[-1] - 89 / 30) < 1e-9
    assert all(b > a for a, b in itertools.pairwise(waits))


def test_one_chat_gets_a_small_burst_then_one_message_a_second() -> None:
    clock = FrozenClock()
    pacer = Pacer(1000, per_chat_rate=1, per_chat_burst=3, clock=clock)
    waits = [pacer.reserve_chat("same") for _ in range(5)]
    assert max(waits[:3]) < 0.01
    assert 0.99 < waits[3] < 1.01 and 1.99 < waits[4] < 2.01


def test_a_pause_holds_every_chat_until_retry_after_has_passed() -> None:
    clock = FrozenClock()
    pacer = Pacer(30, per_chat_rate=1, clock=clock)
    pacer.pause(7)
    assert reserve(pacer, "a") >= 7
    assert reserve(pacer, "b") >= 7
    clock.now += 10
    assert reserve(pacer, "c") < 1


def test_a_chat_waiting_for_its_own_pace_does_not_hold_up_other_chats() -> None:
    # One person has five messages queued (at 1/s they go over five seconds): the overall
    # rate is booked when each is sent, so a neighbour's reply goes at once, not after them.
    clock = FrozenClock()
    pacer = Pacer(30, per_chat_rate=1, per_chat_burst=3, clock=clock)
    flooder = [pacer.reserve_chat("flooder") for _ in range(5)]
    assert flooder[4] > 1.9
    assert reserve(pacer, "neighbour") < 0.1


async def test_the_pause_tells_a_send_booked_before_it_to_book_again() -> None:
    clock = FrozenClock()
    pacer = Pacer(30, per_chat_rate=1, clock=clock)
    assert await pacer.clear_to_send("a") == 0
    await pacer.pause_for(7)
    clock.now += 2
    assert await pacer.clear_to_send("a") == 5
    clock.now += 6
    assert await pacer.clear_to_send("a") == 0


def test_a_chats_pace_counts_from_when_its_message_really_went() -> None:
    clock = FrozenClock()
    pacer = Pacer(1000, per_chat_rate=1, per_chat_burst=3, clock=clock)
    assert pacer.reserve_chat("same") == 0
    clock.now += 5  # the message waited five seconds behind a broadcast
    asyncio.run(pacer.clear_to_send("same"))
    # Its burst is spent from now: two more at once, the fourth a second after the first.
    waits = [pacer.reserve_chat("same") for _ in range(3)]
    assert max(waits[:2]) < 0.01 and 0.99 < waits[2] < 1.01


def test_by_default_a_chat_gets_one_message_fewer_at_once_than_telegram_takes() -> None:
    clock = FrozenClock()
    pacer = Pacer(30, per_chat_rate=1, clock=clock)  # Telegram takes a burst of 3
    waits = [pacer.reserve_chat("same") for _ in range(3)]
    assert max(waits[:2]) < 0.01 and 0.99 < waits[2] < 1.01
