"""Handling inbound updates end to end: each update's changes and replies commit together.

Record the update once, load the sender and lock their conversation, run the handler, save
the state and queue the replies in the outbox: all of it commits together or not at all. If a
handler fails, the person still gets an apology and the update is not retried forever.

One person's updates are handled one at a time, in the order `handle` was called. On SQLite
(one writer at a time) the updates of different people that queue up meanwhile are handled
in one transaction ("group commit"), each inside its own SAVEPOINT: a failing handler rolls
back only its own update, and one BEGIN/COMMIT serves many people. On PostgreSQL every update
has a transaction of its own, and they run side by side.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import translator
from handlers.router import resolve_choice, resolve_keyword, respond
from handlers.turn import HandlerConfig, Turn
from handlers.values import Inbound, Reply
from storage.conversations import ensure_identity, load_sender
from storage.db import Database
from storage.inbound import record_inbound
from storage.messaging.outbox import enqueue_message
from storage.models.base import utcnow
from storage.people.people import mark_reachable

log = logging.getLogger(__name__)

# Updates of different people handled in one SQLite transaction, at most. Bounds how long the
# write lock is held (the outbox dispatcher waits for it too) and what a failed commit redoes.
GROUP_LIMIT = 50


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    FAILED = "failed"


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


@dataclass
class _Queued:
    inbound: Inbound
    outcome: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ConversationRunner:
    def __init__(self, db: Database, config: HandlerConfig) -> None:
        self.db = db
        self.config = config
        self.locks = KeyedLocks()
        self.on_queued: list[asyncio.Event] = []
        self.group_commit = db.is_sqlite
        self._queued: list[_Queued] = []
        self._worker: asyncio.Task[None] | None = None

    async def handle(self, inbound: Inbound) -> Outcome:
        async with self.locks.hold((inbound.channel, inbound.user_id)):
            if self.group_commit:
                outcome = await self._in_group(inbound)
            else:
                outcome = await self._alone(inbound)
        for event in self.on_queued:
            event.set()
        return outcome

    # -- one update, one transaction (PostgreSQL; and the fallback of a failed group) ------

    async def _alone(self, inbound: Inbound) -> Outcome:
        try:
            async with self.db.transaction() as db:
                return await self._turn(db, inbound)
        except Exception:
            log.exception(
                "handler failed", extra={"channel": inbound.channel, "kind": str(inbound.kind)}
            )
            async with self.db.transaction() as db:
                return await self._apologise(db, inbound)

    # -- group commit (SQLite) ---------------------------------------------------------------

    async def _in_group(self, inbound: Inbound) -> Outcome:
        queued = _Queued(inbound)
        self._queued.append(queued)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        # A caller that gives up (shutdown) must not cancel the group it is part of.
        return await asyncio.shield(queued.outcome)

    async def _work(self) -> None:
        while self._queued:
            group, self._queued = self._queued[:GROUP_LIMIT], self._queued[GROUP_LIMIT:]
            try:
                outcomes = await self._group(group)
            except Exception:
                # Nothing of the group was committed: each update again, on its own.
                log.exception("group commit failed", extra={"row": len(group)})
                outcomes = []
                for queued in group:
                    try:
                        outcomes.append(await self._alone(queued.inbound))
                    except Exception as error:
                        outcomes.append(Outcome.FAILED)
                        if not queued.outcome.done():
                            queued.outcome.set_exception(error)
            for queued, outcome in zip(group, outcomes, strict=True):
                if not queued.outcome.done():
                    queued.outcome.set_result(outcome)

    async def _group(self, group: list[_Queued]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        async with self.db.transaction() as db:
            for queued in group:
                inbound = queued.inbound
                try:
                    async with db.begin_nested():
                        outcome = await self._turn(db, inbound)
                except Exception:
                    log.exception(
                        "handler failed",
                        extra={"channel": inbound.channel, "kind": str(inbound.kind)},
                    )
                    async with db.begin_nested():
                        outcome = await self._apologise(db, inbound)
                outcomes.append(outcome)
        return outcomes

    # -- the work of one update, inside a transaction or a savepoint --------------------------

    async def _turn(self, db: AsyncSession, inbound: Inbound) -> Outcome:
        if not await record_inbound(db, inbound.channel, inbound.update_id, inbound.kind):
            return Outcome.DUPLICATE
        sender = await load_sender(db, inbound.channel, inbound.user_id)
        identity, conversation = sender.identity, sender.conversation
        await mark_reachable(db, identity)
        inbound = resolve_keyword(resolve_choice(inbound, conversation.offered))
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
        conversation.offered = turn.offered()
        conversation.version += 1
        conversation.updated_at = turn.now
        for reply in turn.replies:
            enqueue_message(db, identity, reply.to_payload())
        return Outcome.HANDLED

    async def _apologise(self, db: AsyncSession, inbound: Inbound) -> Outcome:
        if not await record_inbound(db, inbound.channel, inbound.update_id, inbound.kind):
            return Outcome.DUPLICATE
        identity = await ensure_identity(db, inbound.channel, inbound.user_id)
        t = translator(identity.locale or self.config.default_locale)
        reply = Reply(
            text=t._(
                "Sorry, something went wrong on our side and nothing was changed. "
                "Please try again, or type /menu."
            )
        )
        enqueue_message(db, identity, reply.to_payload())
        return Outcome.FAILED
