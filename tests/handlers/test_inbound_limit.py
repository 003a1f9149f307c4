"""The per-person inbound limit: a burst is fine, a flood gets one warning, then silence."""

from __future__ import annotations

from handlers.inbound_limit import InboundLimit, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_within_the_limit_is_all_handled() -> None:
    limit = InboundLimit(30, burst=10, clock=Clock())
    assert [limit.judge("bà Lan") for _ in range(10)] == [Verdict.HANDLE] * 10


def test_a_flood_gets_one_warning_then_is_only_recorded() -> None:
    limit = InboundLimit(30, burst=10, clock=Clock())
    verdicts = [limit.judge("máy spam") for _ in range(500)]
    assert verdicts[:10] == [Verdict.HANDLE] * 10
    assert verdicts[10] == Verdict.WARN
    assert set(verdicts[11:]) == {Verdict.DROP}


def test_one_persons_flood_leaves_everyone_else_alone() -> None:
    limit = InboundLimit(30, burst=10, clock=Clock())
    for _ in range(500):
        limit.judge("máy spam")
    assert limit.judge("ông Tư") == Verdict.HANDLE


def test_after_a_pause_the_person_is_handled_and_warned_again_if_they_flood_again() -> None:
    clock = Clock()
    limit = InboundLimit(30, burst=10, clock=clock)
    for _ in range(20):
        limit.judge("chị Hoa")
    clock.now += 2.0  # one message's worth at 30 a minute
    assert limit.judge("chị Hoa") == Verdict.HANDLE
    assert limit.judge("chị Hoa") == Verdict.WARN
    clock.now += 60.0
    assert [limit.judge("chị Hoa") for _ in range(10)] == [Verdict.HANDLE] * 10
