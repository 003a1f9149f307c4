"""Pacing outbound messages: an overall rate per channel and a rate per chat.

Both limits use the generic cell rate algorithm (a "virtual scheduling" token bucket): every
send reserves the earliest slot that keeps both limits, so many concurrent senders spread out
exactly, with O(1) work per message. A 429 pauses the whole channel for `retry_after`.

The state lives in this process: one dispatcher per channel and database. Several replicas
sharing a rate limit need a shared store (Redis), which the scale-out work adds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Pacer:
    def __init__(
        self,
        rate: float,
        *,
        per_chat_rate: float,
        per_chat_burst: int = 3,
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

    def reserve(self, chat_id: str) -> float:
        """Book the earliest slot for one message to `chat_id`; returns seconds to wait."""
        now = self.clock()
        chat_next = self._chat_next.get(chat_id, 0.0)
        slot = max(now, self._paused_until, chat_next - self.chat_tolerance,
                   self._next - self.tolerance)
        self._next = max(self._next, slot) + self.interval
        self._chat_next[chat_id] = max(chat_next, slot) + self.chat_interval
        if len(self._chat_next) > 50_000:
            self._forget_idle_chats(now)
        return slot - now

    async def wait_turn(self, chat_id: str) -> None:
        delay = self.reserve(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """The platform said 429: nobody on this channel sends until the window has passed."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def _forget_idle_chats(self, now: float) -> None:
        self._chat_next = {chat: at for chat, at in self._chat_next.items() if at > now}
