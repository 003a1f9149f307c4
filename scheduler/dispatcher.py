"""The outbox dispatcher: claims due rows, sends them at each channel's pace, settles them.

- Rows are leased (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several dispatchers share the
  work and a crashed one's rows return to pending when the lease runs out.
- Urgent rows are claimed first; each recipient's rows go out in order, and when one must
  wait (a retry), the recipient's later rows wait behind it.
- Each channel has a pace (overall and per-chat rate, this process's or shared by replicas
  through Redis); a 429 pauses that channel for its
  `retry_after`. Server errors and timeouts back off exponentially with jitter; a blocked chat
  marks its identity unreachable; a row that keeps failing ends dead with its reason kept.
- Claiming is continuous and fair: each claim takes a few rows per recipient, and a new claim
  is made as soon as there is room, so one person's backlog (paced at about one message a
  second) runs beside everyone else's messages instead of in front of them.
- A fixed repeat window: sends in flight plus sends not yet recorded never exceed `window`
  rows. Telegram and Zalo take no idempotency key, so a kill can repeat what was sent and not
  recorded; this bounds it whatever the machine's or the database's speed (sending waits for
  the database rather than running ahead of it). A send takes its place in the window before
  it books its slot: a slot that passed while the window was full would otherwise go out
  late, all at once with the others held, in a burst the platform refuses.
- Few slots booked ahead: a replica books a channel's overall slot for at most
  `BOOK_AHEAD_SECONDS` of sending at a time, not one for every row in hand. Slots booked in
  the shared pace by a replica that dies are lost to everyone; a hand's worth of them (a few
  seconds) lost at every kill cut the token's rate by a tenth in the soak test. A slot that
  went by while the process could not run is not used late (it would go out in one burst
  with the next ones): the send books another.
- While the database is away (a restart), claiming and recording wait and try again; the
  rows in hand keep their place, and nothing is sent beyond the window meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scheduler.delivery import Delivery, Rejected, RetryLater, Sender, Sent, Unreachable
from scheduler.pacing import Pace
from storage.db import Database, database_unreachable
from storage.messaging.outbox import (
    claim_due_rows,
    mark_dead,
    mark_sent_rows,
    mark_unreachable,
    postpone_row,
    release_row,
    renew_leases,
)
from storage.models.base import utcnow

log = logging.getLogger(__name__)
SETTLE_SECONDS = 0.1
# A row is not sent in the last second of its lease: past it, another dispatcher may take it.
LEASE_MARGIN_SECONDS = 1.0
DEFAULT_WINDOW = 50
# Sending booked ahead, per replica and channel: enough to keep the pace busy through a busy
# event loop, little enough that a replica that dies takes few slots with it.
BOOK_AHEAD_SECONDS = 0.5
# A send this late for its overall slot books another (see `_wait_for_slot`): the platform's
# burst (Telegram: about a second's worth) absorbs less.
LATE_SECONDS = 0.3
LATE_TRIES = 3
# Rows one recipient may have in one claim: about what their per-chat pace sends in a few
# seconds, so the next claim finds their next rows soon.
PER_RECIPIENT = 3


def _by_recipient(rows: list[Claimed]) -> list[list[Claimed]]:
    """Each recipient's rows, in claim order: they go out one after another."""
    grouped: dict[int, list[Claimed]] = defaultdict(list)
    for row in rows:
        grouped[row.identity_id].append(row)
    return list(grouped.values())


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
    pacer: Pace


class _Booking:
    """Sends of one channel allowed to hold a booked overall slot at once (see module doc).

    Waiters go in claim order (urgent rows first), not in the order their turn came."""

    def __init__(self, places: int) -> None:
        self.free = max(1, places)
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []

    async def acquire(self, order: int) -> None:
        if self.free > 0 and not self._waiting:
            self.free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append((order, waiter))
        self._waiting.sort(key=lambda entry: entry[0])
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over just as we gave up: pass it on
            else:
                self._waiting.remove((order, waiter))
            raise

    def release(self) -> None:
        while self._waiting:
            _order, waiter = self._waiting.pop(0)
            if not waiter.done():
                waiter.set_result(None)  # the place passes on
                return
        self.free += 1


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
        window: int = DEFAULT_WINDOW,
    ) -> None:
        self.db = db
        self.channels = channels
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        total_rate = sum(1 / c.pacer.interval for c in channels.values()) or 1
        # Rows in hand (claimed, not yet settled) hold a few seconds of sending; their lease
        # comfortably outlasts it.
        self.batch_size = max(50, min(2000, int(total_rate * batch_seconds)))
        self.lease_seconds = lease_seconds or int(30 + 3 * self.batch_size / total_rate)
        self.window = max(1, window)
        self._booking = {name: _Booking(int(BOOK_AHEAD_SECONDS / channel.pacer.interval))
                         for name, channel in channels.items()}
        self._claims = 0  # numbers the rows in claim order
        self._order: dict[int, int] = {}
        self.wake = asyncio.Event()
        # Rows in hand (claimed, not yet settled) -> when (time.monotonic()) their lease ends.
        self._leases: dict[int, float] = {}
        self._open = 0  # sends begun and not yet recorded: what a kill could repeat
        self._reserved = 0  # places in the window taken by sends about to begin
        # (row, result, whether a send was begun for it)
        self._results: list[tuple[Claimed, Delivery | _Held | _Lost, bool]] = []
        self._results_ready = asyncio.Event()
        self._window_room = asyncio.Event()  # a settle made room in the window
        self._hand_room = asyncio.Event()  # a settle made room for claiming more
        self._stopping = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and send until `stop`; then finish the sends in hand and record them."""
        senders: set[asyncio.Task[None]] = set()
        finished = asyncio.Event()
        settler = asyncio.create_task(self._settle_until(finished))
        try:
            while not stop.is_set():
                try:
                    claimed = await self._claim(self._room_to_claim())
                except Exception as error:
                    _log_failure("claiming outbox rows failed", error)
                    claimed = []
                for rows in _by_recipient(claimed):
                    task = asyncio.create_task(self._send_in_order(rows))
                    senders.add(task)
                    task.add_done_callback(senders.discard)
                if claimed and self._room_to_claim():
                    continue  # more may be due beside what was just taken
                await self._idle(stop)
        finally:
            # Sends in hand finish; rows not yet begun go back to pending at once.
            self._stopping.set()
            if senders:
                await asyncio.gather(*senders, return_exceptions=True)
            finished.set()
            await settler
            self._stopping.clear()

    def _room_to_claim(self) -> int:
        """Claim when the hand is half empty: fewer, larger claims cost the database less."""
        room = self.batch_size - len(self._leases)
        return room if room * 2 >= self.batch_size else 0

    async def _idle(self, stop: asyncio.Event) -> None:
        """Until new rows are queued, room frees up in the hand, `stop`, or the poll interval."""
        self.wake.clear()
        self._hand_room.clear()
        waiters = [asyncio.ensure_future(self.wake.wait()),
                   asyncio.ensure_future(stop.wait())]
        if not self._room_to_claim():
            waiters.append(asyncio.ensure_future(self._hand_room.wait()))
        try:
            await asyncio.wait(waiters, timeout=self.poll_seconds,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def dispatch_once(self) -> int:
        """One round: claim, send, record. Returns how many rows it claimed (for tests, bench)."""
        claimed = await self._claim(self.batch_size)
        if not claimed:
            return 0
        finished = asyncio.Event()
        settler = asyncio.create_task(self._settle_until(finished))
        try:
            await asyncio.gather(*(self._send_in_order(rows) for rows in _by_recipient(claimed)))
        finally:
            finished.set()
            await settler
        return len(claimed)

    async def _claim(self, room: int) -> list[Claimed]:
        if room <= 0:
            return []
        # Taken before the database's clock starts the lease, so ours never outlives it.
        expiry = time.monotonic() + self.lease_seconds
        async with self.db.transaction() as db:
            rows = await claim_due_rows(db, limit=room, lease_seconds=self.lease_seconds,
                                        per_recipient=PER_RECIPIENT)
            claimed = [Claimed(r.id, r.identity_id, r.channel, r.chat_id, dict(r.payload),
                               r.attempts) for r in rows]
        self._leases.update((row.id, expiry) for row in claimed)
        for row in claimed:
            self._order[row.id] = self._claims
            self._claims += 1
        return claimed

    async def _renew_leases(self) -> None:
        """Keep the leases of rows in hand alive while they wait for their turn.

        On a machine slower than the configured rate, a hand can take longer than a lease;
        without renewal its rows would be claimed again and sent twice.
        """
        now = time.monotonic()
        due = [row_id for row_id, expiry in self._leases.items()
               if expiry - now < self.lease_seconds / 2]
        if not due:
            return
        async with self.db.transaction() as db:
            renewed = await renew_leases(db, due, lease_seconds=self.lease_seconds)
        expiry = now + self.lease_seconds
        for row_id in renewed:
            if row_id in self._leases:
                self._leases[row_id] = expiry

    async def _send_in_order(self, rows: list[Claimed]) -> None:
        for index, row in enumerate(rows):
            if self._stopping.is_set():
                self._results.extend((later, _HELD, False) for later in rows[index:])
                break
            result, opened = await self._send(row)
            self._results.append((row, result, opened))
            if self._open * 2 >= self.window:
                # Half full: record now, so the window empties while the other half goes out.
                self._results_ready.set()
            if isinstance(result, Unreachable):
                # Blocked: the rest would fail the same way; they are kept as failed.
                self._results.extend((later, result, False) for later in rows[index + 1:])
                break
            if isinstance(result, RetryLater):
                # Later messages to this person wait behind the one that must be retried.
                self._results.extend((later, _HELD, False) for later in rows[index + 1:])
                break
            if isinstance(result, _Lost):
                self._results.extend((later, _LOST, False) for later in rows[index + 1:])
                break
        self._results_ready.set()

    async def _send(self, row: Claimed) -> tuple[Delivery | _Held | _Lost, bool]:
        """Send one row; also says whether the platform may have received it."""
        channel = self.channels.get(row.channel)
        if channel is None:
            return Rejected(error=f"no sender for channel {row.channel}"), False
        # A person's next message may be seconds away at their pace: stopping cuts it short.
        await self._wait_unless_stopping(await channel.pacer.chat_slot(row.chat_id))
        # The place in the window first, then the slot: the slot is kept, not passed by while
        # the window is full (see module doc).
        await self._reserve_window_place()
        booking = self._booking[row.channel]
        try:
            await booking.acquire(self._order.get(row.id, 0))
            try:
                if self._stopping.is_set():
                    return _HELD, False  # a slot booked now would go unused
                await self._wait_for_slot(channel, row.chat_id)
            finally:
                booking.release()
        finally:
            self._reserved -= 1
            self._window_room.set()
        if self._stopping.is_set():
            return _HELD, False
        if time.monotonic() > self._leases.get(row.id, 0.0) - LEASE_MARGIN_SECONDS:
            return _LOST, False
        self._open += 1
        try:
            result = await channel.sender.send(row.chat_id, row.payload)
        except Exception as failure:  # a sender bug must not stop the whole dispatcher
            log.exception("sender failed", extra={"channel": row.channel})
            return RetryLater(error=type(failure).__name__), True
        if isinstance(result, RetryLater) and result.after_seconds is not None:
            await channel.pacer.pause_for(result.after_seconds)
        return result, True

    async def _wait_for_slot(self, channel: Channel, chat_id: str) -> None:
        """Book the channel's next overall slot and wait for it; book again when a 429 came
        meanwhile (to this replica or another: rather than add to the storm, wait behind the
        pause), or when the slot went by while this process could not run (a busy machine):
        sent late, it would land together with the sends of the slots after it, a burst the
        platform answers with 429s. A few late tries, then it goes."""
        late_tries = 0
        while True:
            wait = await channel.pacer.overall_slot()
            due = time.monotonic() + wait
            await self._wait_unless_stopping(wait)
            if self._stopping.is_set():
                return
            if time.monotonic() - due > LATE_SECONDS and late_tries < LATE_TRIES:
                late_tries += 1
                continue
            if await channel.pacer.clear_to_send(chat_id) > 0:
                continue
            return

    async def _reserve_window_place(self) -> None:
        while self._open + self._reserved >= self.window:
            # The window is full of sends not yet recorded: record them before sending more.
            self._results_ready.set()
            self._window_room.clear()
            await self._window_room.wait()
        self._reserved += 1

    async def _wait_unless_stopping(self, seconds: float) -> None:
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _settle_until(self, finished: asyncio.Event) -> None:
        """Record results every `SETTLE_SECONDS`, or at once when the window fills, until the
        senders have `finished` and everything they did is recorded."""
        while not (finished.is_set() and not self._results):
            self._results_ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._results_ready.wait(), SETTLE_SECONDS)
            try:
                await self._settle()
                await self._renew_leases()
            except Exception as error:
                # The rows keep their lease and go again when it runs out.
                _log_failure("recording sends failed", error)
                if finished.is_set():
                    return
                await asyncio.sleep(SETTLE_SECONDS)

    async def _settle(self) -> None:
        settled, self._results = self._results, []
        if not settled:
            return
        try:
            await self._record(settled)
        except BaseException:
            self._results = settled + self._results
            raise
        self._open -= sum(1 for _row, _result, opened in settled if opened)
        for row, _result, _opened in settled:
            self._leases.pop(row.id, None)
            self._order.pop(row.id, None)
        self._window_room.set()
        self._hand_room.set()

    async def _record(
        self, settled: list[tuple[Claimed, Delivery | _Held | _Lost, bool]]
    ) -> None:
        held_until: dict[int, datetime] = {}
        async with self.db.transaction() as db:
            await mark_sent_rows(db, [row.id for row, result, _opened in settled
                                      if isinstance(result, Sent)])
            for row, result, _opened in settled:
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
                    case _Lost():
                        pass  # its lease ran out: the row is another dispatcher's now


def _log_failure(what: str, error: Exception) -> None:
    """A database away (restarting) is expected now and then: one line, no traceback."""
    if database_unreachable(error):
        log.warning("%s: the database is unreachable", what,
                    extra={"error": type(error).__name__})
    else:
        log.error(what, exc_info=error)


@dataclass(frozen=True)
class _Held:
    """Not tried: an earlier message to the same person has to go first."""


_HELD = _Held()


@dataclass(frozen=True)
class _Lost:
    """Not sent: the row's lease ran out while it waited, so another dispatcher may send it."""


_LOST = _Lost()
