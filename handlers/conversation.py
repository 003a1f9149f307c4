"""Handling inbound updates end to end: each update's changes and replies commit together.

Record the update once, load the sender and lock their conversation, run the handler, save
the state and queue the replies in the outbox: all of it commits together or not at all. If a
handler fails, the person still gets an apology and the update is not retried forever.

One person's updates are handled one at a time, in the order `handle` was called. The updates
of different people that queue up meanwhile are handled in one transaction ("group commit"):
one BEGIN/COMMIT serves many people, and SQLite's single write lock is taken once for them.
What the turns of a group change is written at the commit (or by a later turn's first query),
not turn by turn. A failing handler must not cost the others their updates: the group is
rolled back and done again without it, and the failing update is handled alone (and
apologised for) in a transaction of its own; a database error, which may come from an earlier
turn's changes written late, sends each update up to the failing one alone. A group that
cannot commit (say, a PostgreSQL deadlock with another replica's group) is done again one
update per transaction.

Across replicas on PostgreSQL the order is the database's: every transaction that handles
updates first locks their senders (a group takes the senders that are free, `lock_free_senders`,
and leaves each busy one to wait in a transaction of its own, `_wait_alone`), and an update is
taken only after the same person's earlier ones; earlier ones another replica recorded and
has not handled yet are handled first, here (`_take_in_order`). Updates a dead replica left
waiting are taken over by a living one (`resume_stale`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import translator
from handlers.inbound_limit import InboundLimit, Verdict
from handlers.router import resolve_choice, resolve_keyword, respond
from handlers.turn import HandlerConfig, Turn
from handlers.values import Inbound, Kind, Reply
from storage.conversations import ensure_identity, load_sender, save_conversation
from storage.db import Database, database_unreachable
from storage.inbound import (
    Arrival,
    claim_stale_arrivals,
    earlier_arrivals,
    lock_free_senders,
    lock_senders,
    record_arrivals,
    record_inbound,
    take_arrival,
    take_arrivals,
    waiting_arrivals,
)
from storage.messaging.outbox import Queued, queue_messages
from storage.models.base import utcnow
from storage.people.people import mark_reachable

log = logging.getLogger(__name__)

# Updates of different people handled in one SQLite transaction, at most. Bounds how long the
# write lock is held (the outbox dispatcher waits for it too) and what a failed commit redoes.
GROUP_LIMIT = 50
# Updates recorded by `accept` and not yet handled, at most: past it, adapters stop fetching.
MAX_IN_FLIGHT = 1000


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    LIMITED = "limited"  # past the person's inbound limit: recorded, not handled


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it.

    Keeps one person's updates in arrival order inside this process (asyncio locks are fair).
    """

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class _TurnFailed(Exception):
    """The handler of the group's update at `index` raised."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


@dataclass
class _Queued:
    inbound: Inbound
    verdict: Verdict
    arrival_id: int | None = None
    outcome: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ConversationRunner:
    def __init__(
        self, db: Database, config: HandlerConfig, *, limit: InboundLimit | None = None
    ) -> None:
        self.db = db
        self.config = config
        self.limit = limit
        self.locks = KeyedLocks()
        self.on_queued: list[asyncio.Event] = []
        self.group_commit = True
        self._queued: list[_Queued] = []
        self._worker: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[Outcome]] = set()
        self._waiting_alone: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._room.set()

    async def accept(self, inbounds: Sequence[Inbound]) -> list[asyncio.Task[Outcome] | None]:
        """Record a batch of updates as they arrive, then handle them in the background.

        Once this returns, the updates are safe in the database: the adapter may confirm them
        to the platform and fetch the next ones while these are handled. Each person's keep
        their arrival order: every task is started here, before the adapter waits on anything
        (answering a button press, reading a file), so a later update of the same person
        cannot overtake an earlier one. A task per update to handle; None for one seen
        before or past the person's limit (recorded only). Waits while too many recorded
        updates are still unhandled, so a burst queues in the platform, not in memory.
        """
        verdicts = [self._judge(inbound) for inbound in inbounds]
        arrivals = [Arrival(inbound.channel, inbound.update_id, str(inbound.kind),
                            {} if verdict is Verdict.DROP else inbound.to_payload(),
                            handled=verdict is Verdict.DROP)
                    for inbound, verdict in zip(inbounds, verdicts, strict=True)]
        async with self.db.transaction(urgent=True) as db:
            ids = await record_arrivals(db, arrivals)
        tasks: list[asyncio.Task[Outcome] | None] = []
        for inbound, verdict, arrival_id in zip(inbounds, verdicts, ids, strict=True):
            if arrival_id is None or verdict is Verdict.DROP:
                tasks.append(None)
                continue
            tasks.append(self._start(inbound, verdict, arrival_id))
        await self._room.wait()
        return tasks

    async def resume(self) -> int:
        """Handle what was recorded but not handled before the process stopped, in order."""
        async with self.db.transaction() as db:
            waiting = await waiting_arrivals(db)
        for arrival_id, payload in waiting:
            self._start(_inbound_from(payload), Verdict.HANDLE, arrival_id)
        return len(waiting)

    async def resume_stale(self, older_than: timedelta) -> int:
        """Take over updates waiting longer than `older_than`: another replica recorded them
        and died (PostgreSQL; on SQLite this process is the only one, and `resume` did it)."""
        if not self._room.is_set():
            return 0
        async with self.db.transaction() as db:
            stale = await claim_stale_arrivals(db, older_than)
        for arrival_id, payload in stale:
            self._start(_inbound_from(payload), Verdict.HANDLE, arrival_id)
        return len(stale)

    async def stop(self, seconds: float) -> None:
        """Give the updates in hand `seconds` to finish; the rest roll back, still recorded."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=seconds)
        for task in set(self._in_flight):
            task.cancel()
        if self._worker is not None:
            self._worker.cancel()
        for waiting in set(self._waiting_alone):
            waiting.cancel()
        await asyncio.gather(*self._in_flight, *self._waiting_alone, return_exceptions=True)

    def _start(self, inbound: Inbound, verdict: Verdict, arrival_id: int) -> asyncio.Task[Outcome]:
        task = asyncio.ensure_future(self.handle(inbound, verdict=verdict, arrival_id=arrival_id))
        self._in_flight.add(task)
        if len(self._in_flight) >= MAX_IN_FLIGHT:
            self._room.clear()
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Outcome]) -> None:
        self._in_flight.discard(task)
        if len(self._in_flight) < MAX_IN_FLIGHT:
            self._room.set()
        failure = None if task.cancelled() else task.exception()
        if failure is not None:
            log.error("update not handled", extra={"error": type(failure).__name__})

    def _judge(self, inbound: Inbound) -> Verdict:
        if self.limit is None:
            return Verdict.HANDLE
        return self.limit.judge((inbound.channel, inbound.user_id))

    async def handle(self, inbound: Inbound, *, verdict: Verdict | None = None,
                     arrival_id: int | None = None) -> Outcome:
        """Handle one update; `arrival_id` when `accept` recorded it already."""
        key = (inbound.channel, inbound.user_id)
        # Judged on arrival, in delivery order, before waiting for the person's turn.
        if verdict is None:
            verdict = self._judge(inbound)
        if verdict is Verdict.DROP and self.group_commit:
            # Only recorded: nothing of the person's changes, so it need not wait for their
            # turn, and a flood joins other people's group commits instead of queueing alone.
            outcome = await self._in_group(inbound, verdict, arrival_id)
        else:
            async with self.locks.hold(key):
                if self.group_commit:
                    outcome = await self._in_group(inbound, verdict, arrival_id)
                else:
                    outcome = await self._alone(inbound, verdict, arrival_id)
        for event in self.on_queued:
            event.set()
        return outcome

    # -- one update, one transaction (the fallback of a failed group) ----------------------

    async def _alone(self, inbound: Inbound, verdict: Verdict,
                     arrival_id: int | None = None) -> Outcome:
        sender = [(inbound.channel, inbound.user_id)]
        try:
            async with self.db.transaction() as db:
                await lock_senders(db, sender)
                return await self._turn(db, inbound, verdict, arrival_id)
        except Exception as error:
            if arrival_id is not None and database_unreachable(error):
                # Not the handler's fault (PostgreSQL restarting): no apology, the update stays
                # recorded and is taken up again (`resume_stale`, `resume`).
                raise
            log.exception(
                "handler failed", extra={"channel": inbound.channel, "kind": str(inbound.kind)}
            )
            async with self.db.transaction() as db:
                await lock_senders(db, sender)
                return await self._apologise(db, inbound, arrival_id)

    # -- group commit --------------------------------------------------------------------------

    async def _in_group(self, inbound: Inbound, verdict: Verdict,
                        arrival_id: int | None) -> Outcome:
        queued = _Queued(inbound, verdict, arrival_id)
        self._queued.append(queued)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        # A caller that gives up (shutdown) must not cancel the group it is part of.
        return await asyncio.shield(queued.outcome)

    async def _work(self) -> None:
        group: list[_Queued] = []
        try:
            while self._queued:
                group, self._queued = self._queued[:GROUP_LIMIT], self._queued[GROUP_LIMIT:]
                await self._run_group(group)
        except BaseException:
            # Cancelled (shutdown): whoever waits for an update of ours must not wait forever.
            for queued in group + self._queued:
                if not queued.outcome.done():
                    queued.outcome.cancel()
            self._queued = []
            raise

    async def _run_group(self, group: list[_Queued]) -> None:
        try:
            outcomes = await self._group(group)
        except _TurnFailed as failed:
            # Nothing of the group was committed. The failing update goes alone (and gets
            # its apology there); those before and after it go again, first in line. A
            # database error may come from an earlier turn's changes, written only by this
            # turn's first query: then each update up to this one goes alone.
            suspects = [failed.index]
            if isinstance(failed.__cause__, SQLAlchemyError):
                suspects = list(range(failed.index + 1))
            self._queued[:0] = [queued for index, queued in enumerate(group)
                                if index not in suspects]
            for index in suspects:
                await self._settle_alone(group[index])
            return
        except Exception:
            log.exception("group commit failed", extra={"row": len(group)})
            for queued in group:
                await self._settle_alone(queued)
            return
        # A group cut short for an urgent writer: the rest go again, first in line.
        self._queued[:0] = group[len(outcomes):]
        for queued, outcome in zip(group, outcomes, strict=False):
            if outcome is None:
                self._wait_alone(queued)
            elif not queued.outcome.done():
                queued.outcome.set_result(outcome)

    def _wait_alone(self, queued: _Queued) -> None:
        """A person another replica is handling (PostgreSQL): their update waits for them in
        a transaction of its own, beside the groups, not in front of them."""
        task = asyncio.create_task(self._settle_alone(queued))
        self._waiting_alone.add(task)
        task.add_done_callback(self._waiting_alone.discard)

    async def _settle_alone(self, queued: _Queued) -> None:
        try:
            outcome = await self._alone(queued.inbound, queued.verdict, queued.arrival_id)
        except Exception as error:
            if not queued.outcome.done():
                queued.outcome.set_exception(error)
            return
        if not queued.outcome.done():
            queued.outcome.set_result(outcome)

    async def _group(self, group: list[_Queued]) -> list[Outcome | None]:
        """All the group's updates in one transaction, no SAVEPOINTs: failures are rare.

        A handler that raises rolls the whole group back (`_TurnFailed` says which one).
        When an urgent writer (arrivals to record) waits for SQLite's lock, the group commits
        what it has done so far: the outcomes may be fewer than the group.
        """
        outcomes: list[Outcome | None] = []
        async with self.db.transaction() as db:
            busy = await lock_free_senders(db, [(queued.inbound.channel, queued.inbound.user_id)
                                                for queued in group])
            # PostgreSQL: the free senders' updates are taken in one statement, not one each.
            taken = await take_arrivals(db, [
                queued.arrival_id for queued in group if queued.arrival_id is not None
                and (queued.inbound.channel, queued.inbound.user_id) not in busy])
            for index, queued in enumerate(group):
                if outcomes:
                    # SQLite's statements run on the loop's thread without a pause: let the
                    # adapters in between turns, and commit early if arrivals wait to be
                    # recorded.
                    await asyncio.sleep(0)
                    if self.db.urgent_writer_waiting:
                        break
                if (queued.inbound.channel, queued.inbound.user_id) in busy:
                    outcomes.append(None)  # asked again below
                    continue
                outcomes.append(await self._turn_in_group(db, group, index, taken))
            # Most often what held a sender was only the recording of their next update,
            # committed by now: a second try saves a transaction of their own each.
            later = [index for index, outcome in enumerate(outcomes) if outcome is None]
            if later:
                still = await lock_free_senders(db, [
                    (group[index].inbound.channel, group[index].inbound.user_id)
                    for index in later])
                for index in later:
                    queued = group[index]
                    if (queued.inbound.channel, queued.inbound.user_id) not in still:
                        outcomes[index] = await self._turn_in_group(db, group, index, taken)
        return outcomes  # None: another replica has the sender; see `_wait_alone`

    async def _turn_in_group(self, db: AsyncSession, group: list[_Queued],
                             index: int, taken: set[int]) -> Outcome:
        queued = group[index]
        try:
            return await self._turn(db, queued.inbound, queued.verdict, queued.arrival_id,
                                    taken=queued.arrival_id in taken)
        except Exception as error:
            raise _TurnFailed(index) from error

    # -- the work of one update, inside a transaction or a savepoint --------------------------

    async def _turn(self, db: AsyncSession, inbound: Inbound, verdict: Verdict,
                    arrival_id: int | None, *, taken: bool = False) -> Outcome:
        """`taken`: the group took the recorded update already (`take_arrivals`)."""
        if not taken and not await self._record(db, inbound, arrival_id):
            return Outcome.DUPLICATE
        if verdict is not Verdict.HANDLE:
            return await self._ask_to_slow_down(db, inbound, verdict)
        # What the group's earlier turns changed is written together at commit (or by a
        # handler's first query): flushing it turn by turn cost more than the turns' own work.
        with db.no_autoflush:
            sender = await load_sender(db, inbound.channel, inbound.user_id)
        identity, conversation = sender.identity, sender.conversation
        await mark_reachable(db, identity)
        step = (conversation.flow, conversation.step)
        inbound = resolve_keyword(resolve_choice(inbound, conversation.offered, step))
        turn = Turn(
            db=db,
            inbound=inbound,
            identity=identity,
            person=sender.person,
            conversation=conversation,
            translator=translator(identity.locale or self.config.default_locale),
            config=self.config,
            now=utcnow(),
            consented=sender.consented,
        )
        await respond(turn)
        await save_conversation(db, conversation, offered=turn.offered(), now=turn.now)
        await queue_messages(db, identity, [Queued(reply.to_payload(), reply.about)
                                            for reply in turn.replies])
        return Outcome.HANDLED

    async def _ask_to_slow_down(self, db: AsyncSession, inbound: Inbound,
                                verdict: Verdict) -> Outcome:
        """Past the limit: the first message is answered once, the rest only recorded."""
        if verdict is Verdict.WARN:
            identity = await ensure_identity(db, inbound.channel, inbound.user_id)
            t = translator(identity.locale or self.config.default_locale)
            reply = Reply(text=t._(
                "You are sending messages faster than I can read them. Please wait a minute, "
                "then send them again one at a time. Messages sent meanwhile are not read."
            ))
            await queue_messages(db, identity, [Queued(reply.to_payload())])
        return Outcome.LIMITED

    async def _apologise(self, db: AsyncSession, inbound: Inbound,
                         arrival_id: int | None) -> Outcome:
        if not await self._record(db, inbound, arrival_id):
            return Outcome.DUPLICATE
        identity = await ensure_identity(db, inbound.channel, inbound.user_id)
        t = translator(identity.locale or self.config.default_locale)
        reply = Reply(
            text=t._(
                "Sorry, something went wrong on our side and nothing was changed. "
                "Please try again, or type /menu."
            )
        )
        await queue_messages(db, identity, [Queued(reply.to_payload())])
        return Outcome.FAILED

    async def _record(self, db: AsyncSession, inbound: Inbound, arrival_id: int | None) -> bool:
        """False for an update handled before (a redelivery, or another replica's)."""
        if arrival_id is not None:
            return await self._take_in_order(db, arrival_id)
        return await record_inbound(db, inbound.channel, inbound.update_id, inbound.kind)

    async def _take_in_order(self, db: AsyncSession, arrival_id: int) -> bool:
        """Take a recorded update, after the same person's earlier ones (PostgreSQL, several
        replicas): those recorded by another replica and still waiting are handled here first,
        each in a savepoint, so that a failing one gets its apology and the rest go on.

        The common case is one statement (`take_arrival`); the rest runs only when it refuses.
        The sender is locked (`lock_senders`) for the whole transaction.
        """
        if await take_arrival(db, arrival_id):
            return True
        earlier = await earlier_arrivals(db, arrival_id)
        for earlier_id, payload in earlier:
            inbound = _inbound_from(payload)
            try:
                async with db.begin_nested():
                    await self._turn(db, inbound, Verdict.HANDLE, earlier_id)
            except Exception:
                log.exception("handler failed",
                              extra={"channel": inbound.channel, "kind": str(inbound.kind)})
                await self._apologise(db, inbound, earlier_id)
        return bool(earlier) and await take_arrival(db, arrival_id)


def _inbound_from(payload: dict[str, Any]) -> Inbound:
    """An update as `accept` recorded it."""
    return Inbound(**{**payload, "kind": Kind(payload["kind"])})
