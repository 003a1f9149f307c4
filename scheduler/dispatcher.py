"""The outbox dispatcher: claims due rows, sends them at each channel's pace, settles them.

- Rows are leased (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several dispatchers share the
  work and a crashed one's rows return to pending when the lease runs out.
- Urgent rows are claimed first; each recipient's rows go out in order, and when one must
  wait (a retry), the recipient's later rows wait behind it.
- Each channel has a `Pacer` (overall and per-chat rate); a 429 pauses that channel for its
  `retry_after`. Server errors and timeouts back off exponentially with jitter; a blocked chat
  marks its identity unreachable; a row that keeps failing ends dead with its reason kept.
- Results are settled in small batches a few times a second: a kill can only repeat the
  messages sent since the last settle, and their number is capped (sending waits for the
  database rather than running ahead of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scheduler.delivery import Delivery, Rejected, RetryLater, Sender, Sent, Unreachable
from scheduler.pacing import Pacer
from storage.db import Database
from storage.messaging.outbox import (
    claim_due_rows,
    mark_dead,
    mark_sent_rows,
    mark_unreachable,
    postpone_row,
    release_row,
)
from storage.models.base import utcnow

log = logging.getLogger(__name__)
SETTLE_SECONDS = 0.1


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 600.0) -> float:
    """Exponential backoff with "equal" jitter: spread out, yet never shorter than half.

    The floor matters: it guarantees that N attempts span at least ~base·2^(N-1) seconds, so a
    row survives an outage of that length instead of dying early on unlucky draws.
    """
    delay: float = min(cap, base * 2.0 ** max(0, attempt - 1))
    return delay / 2 + random.uniform(0, delay / 2)


@dataclass(frozen=True)
class Claimed:
    id: int
    identity_id: int
    channel: str
    chat_id: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Channel:
    sender: Sender
    pacer: Pacer


class Dispatcher:
    def __init__(
        self,
        db: Database,
        channels: dict[str, Channel],
        *,
        poll_seconds: float = 0.5,
        max_attempts: int = 12,
        batch_seconds: float = 3.0,
        lease_seconds: int | None = None,
    ) -> None:
        self.db = db
        self.channels = channels
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        total_rate = sum(1 / c.pacer.interval for c in channels.values()) or 1
        # A batch holds a few seconds of sending; its lease comfortably outlasts it.
        self.batch_size = max(50, min(2000, int(total_rate * batch_seconds)))
        self.lease_seconds = lease_seconds or int(30 + 3 * self.batch_size / total_rate)
        self.wake = asyncio.Event()
        self._settled: list[tuple[Claimed, Delivery | _Held]] = []
        # Sent but not yet recorded: what a kill would send again. Capped, so a slow database
        # makes sending wait instead of letting the unrecorded pile (and duplicates) grow.
        self.max_unsettled = max(20, int(total_rate * SETTLE_SECONDS * 1.5))
        self._settling = 0
        self._settle_done = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.dispatch_once()
            except Exception:
                log.exception("dispatch round failed")
                handled = 0
            if handled:
                continue
            self.wake.clear()
            waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=self.poll_seconds, return_when="FIRST_COMPLETED")
            for waiter in waiters:
                waiter.cancel()

    async def dispatch_once(self) -> int:
        """One round: claim a batch, send it, settle it. Returns how many rows it claimed."""
        async with self.db.transaction() as db:
            rows = await claim_due_rows(
                db, limit=self.batch_size, lease_seconds=self.lease_seconds
            )
            claimed = [Claimed(r.id, r.identity_id, r.channel, r.chat_id, dict(r.payload),
                               r.attempts) for r in rows]
        if not claimed:
            return 0
        by_recipient: dict[int, list[Claimed]] = defaultdict(list)
        for row in claimed:
            by_recipient[row.identity_id].append(row)
        sending_done = asyncio.Event()
        settler = asyncio.create_task(self._settle_periodically(sending_done))
        try:
            await asyncio.gather(*(self._send_in_order(rows) for rows in by_recipient.values()))
        finally:
            # Never cancel a settle half-way: its results would be lost and the rows would
            # wait for their lease to run out.
            sending_done.set()
            await settler
            await self._settle()
        return len(claimed)

    async def _send_in_order(self, rows: list[Claimed]) -> None:
        for index, row in enumerate(rows):
            result = await self._send(row)
            self._settled.append((row, result))
            if isinstance(result, Unreachable):
                # Blocked: the rest would fail the same way; they are kept as failed.
                self._settled.extend((later, result) for later in rows[index + 1:])
                return
            if isinstance(result, RetryLater):
                # Later messages to this person wait behind the one that must be retried.
                self._settled.extend((later, _HELD) for later in rows[index + 1:])
                return

    async def _send(self, row: Claimed) -> Delivery:
        channel = self.channels.get(row.channel)
        if channel is None:
            return Rejected(error=f"no sender for channel {row.channel}")
        await channel.pacer.wait_turn(row.chat_id)
        while len(self._settled) + self._settling >= self.max_unsettled:
            self._settle_done.clear()
            await self._settle_done.wait()
        try:
            result = await channel.sender.send(row.chat_id, row.payload)
        except Exception as failure:  # a sender bug must not stop the whole dispatcher
            log.exception("sender failed", extra={"channel": row.channel})
            return RetryLater(error=type(failure).__name__)
        if isinstance(result, RetryLater) and result.after_seconds is not None:
            channel.pacer.pause(result.after_seconds)
        return result

    async def _settle_periodically(self, sending_done: asyncio.Event) -> None:
        while not sending_done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sending_done.wait(), SETTLE_SECONDS)
            await self._settle()

    async def _settle(self) -> None:
        settled, self._settled = self._settled, []
        if not settled:
            return
        self._settling = len(settled)
        try:
            await self._record(settled)
        finally:
            self._settling = 0
            self._settle_done.set()

    async def _record(self, settled: list[tuple[Claimed, Delivery | _Held]]) -> None:
        held_until: dict[int, datetime] = {}
        async with self.db.transaction() as db:
            await mark_sent_rows(db, [row.id for row, result in settled
                                      if isinstance(result, Sent)])
            for row, result in settled:
                match result:
                    case Sent():
                        pass
                    case Unreachable(error=error):
                        await mark_unreachable(db, row.id, error=error)
                    case Rejected(error=error):
                        log.warning("message rejected", extra={"channel": row.channel,
                                                               "row": row.id})
                        await mark_dead(db, row.id, error=error)
                    case RetryLater(error=error, after_seconds=after):
                        if row.attempts >= self.max_attempts:
                            await mark_dead(db, row.id, error=f"gave up: {error}")
                            continue
                        delay = after if after is not None else backoff_seconds(row.attempts)
                        until = utcnow() + timedelta(seconds=delay)
                        held_until[row.identity_id] = until
                        await postpone_row(db, row.id, until=until, error=error)
                    case _Held():
                        until = held_until.get(row.identity_id, utcnow())
                        await release_row(db, row.id, until=until)


@dataclass(frozen=True)
class _Held:
    """Not tried: an earlier message to the same person has to go first."""


_HELD = _Held()
