"""A clock the test moves by hand, for the fakes' rate limits, retry windows and outages.

The fakes read time through a `clock` callable (`time.monotonic` by default). Given this one,
a test says how much time passes between two calls instead of sleeping it out, so a limit
test checks the same thing on an idle and on a loaded machine.
"""

from __future__ import annotations


class ManualClock:
    """Monotonic seconds that advance only when the test calls `advance`."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a monotonic clock does not go back")
        self.now += seconds
