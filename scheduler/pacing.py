"""Pacing outbound messages: an overall rate per channel and a rate per chat.

Both limits use the generic cell rate algorithm (a "virtual scheduling" token bucket): every
send reserves the earliest slot of its chat, then, when that comes, the earliest overall slot,
so many concurrent senders spread out exactly, with O(1) work per message. A 429 pauses the
whole channel for `retry_after`.

The state lives in this process: one dispatcher per channel and database. Several replicas
sharing a rate limit need a shared store (Redis), which the scale-out work adds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

# Messages one chat may get at once. Telegram takes a few more in a burst, but a send is paced
# when it leaves and judged when it lands: with no token to spare, a message that lands late
# after one that landed early earns a 429, which pauses the whole channel. One spare token
# absorbs up to a second of such jitter.
PER_CHAT_BURST = 2


class Pacer:
    def __init__(
        self,
        rate: float,
        *,
        per_chat_rate: float,
        per_chat_burst: int = PER_CHAT_BURST,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / rate
        self.tolerance = self.interval * max(0, (burst or max(1, int(rate / 10))) - 1)
        self.chat_interval = 1.0 / per_chat_rate
        self.chat_tolerance = self.chat_interval * max(0, per_chat_burst - 1)
        self.clock = clock
        self._next = 0.0  # theoretical arrival time of the next message, overall
        self._chat_next: dict[str, float] = {}
        self._paused_until = 0.0

    def reserve_chat(self, chat_id: str) -> float:
        """Book the earliest slot `chat_id`'s own pace allows; returns seconds to wait.

        The overall slot is booked apart, when this one comes (`reserve_overall`): booked
        together, a person's fifth message due in four seconds would push the channel's
        overall schedule four seconds ahead, and everyone else's replies behind it.
        """
        now = self.clock()
        chat_next = self._chat_next.get(chat_id, 0.0)
        slot = max(now, chat_next - self.chat_tolerance)
        self._chat_next[chat_id] = max(chat_next, slot) + self.chat_interval
        if len(self._chat_next) > 50_000:
            self._forget_idle_chats(now)
        return slot - now

    def reserve_overall(self) -> float:
        """Book the channel's earliest overall slot for a message about to go; seconds to wait."""
        now = self.clock()
        slot = max(now, self._paused_until, self._next - self.tolerance)
        self._next = max(self._next, slot) + self.interval
        return slot - now

    def pause(self, seconds: float) -> None:
        """The platform said 429: nobody on this channel sends until the window has passed."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def _forget_idle_chats(self, now: float) -> None:
        self._chat_next = {chat: at for chat, at in self._chat_next.items() if at > now}

    # -- the dispatcher's side: the same, awaitable, as the shared pace is -------------------

    async def chat_slot(self, chat_id: str) -> float:
        return self.reserve_chat(chat_id)

    async def overall_slot(self) -> float:
        return self.reserve_overall()

    async def pause_for(self, seconds: float) -> None:
        self.pause(seconds)

    async def clear_to_send(self, chat_id: str) -> float:
        now = self.clock()
        if self._paused_until > now:
            return self._paused_until - now
        # The chat's pace counts from when its message really goes: booked early and sent
        # late (behind a broadcast's overall queue), it must not leave room for a burst after.
        chat_next = self._chat_next.get(chat_id, 0.0)
        self._chat_next[chat_id] = max(chat_next, now + self.chat_interval)
        return 0.0


class Pace(Protocol):
    """What the dispatcher asks of a channel's pace: this process's `Pacer`, or the
    `SharedPacer` of `scheduler.shared_pacing` that all replicas of a bot token share."""

    interval: float

    async def chat_slot(self, chat_id: str) -> float: ...

    async def overall_slot(self) -> float: ...

    async def pause_for(self, seconds: float) -> None: ...

    async def clear_to_send(self, chat_id: str) -> float:
        """Just before a message to `chat_id` goes: the seconds a 429's pause still holds (a
        slot booked before it; book again), or 0, and the chat's pace counts from now."""
        ...
