"""How fast one person may write: past the limit, one polite "please slow down", then silence.

A token bucket per person (channel and account): `per_minute` messages a minute on average,
up to `burst` at once. An elderly villager typing a long problem in several messages stays far
below it; a stuck key, a script or a flood does not. Messages past the limit are recorded (a
redelivery is still recognised) but not handled, and only the first of a run is answered,
so a flood never costs the others their turn nor fills the outbox.

The buckets live in this process: with several replicas each applies the limit to the updates
it receives, which bounds a flood all the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    HANDLE = "handle"
    WARN = "warn"  # the first message past the limit: answered with "please slow down"
    DROP = "drop"  # the rest of the run: recorded only


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class InboundLimit:
    def __init__(
        self, per_minute: float, *, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(1, burst)
        self.clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}

    def judge(self, key: Hashable) -> Verdict:
        """Take one message from `key`'s bucket and say what to do with it."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), at=now)
            if len(self._buckets) > 100_000:
                self._forget_full_buckets(now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return Verdict.HANDLE
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.WARN

    def _forget_full_buckets(self, now: float) -> None:
        """People who have been quiet long enough to be back at a full bucket."""
        self._buckets = {
            key: bucket for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self.rate < self.burst
        }
