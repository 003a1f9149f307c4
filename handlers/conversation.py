"""Handling one inbound update end to end, in one transaction.

Record the update once, lock the sender's conversation, run the handler, save the state and
queue the replies in the outbox: all of it commits together or not at all. If a handler
fails, the person still gets an apology and the update is not retried forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from enum import StrEnum

from handlers.i18n import translator
from handlers.router import resolve_choice, resolve_keyword, respond
from handlers.turn import HandlerConfig, Turn
from handlers.values import Inbound, Reply
from storage.conversations import ensure_identity, lock_conversation
from storage.db import Database
from storage.inbound import record_inbound
from storage.messaging.outbox import enqueue_message
from storage.models.base import utcnow
from storage.people.people import mark_reachable, person_of

log = logging.getLogger(__name__)


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


class ConversationRunner:
    def __init__(self, db: Database, config: HandlerConfig) -> None:
        self.db = db
        self.config = config
        self.locks = KeyedLocks()
        self.on_queued: list[asyncio.Event] = []

    def submit(self, inbound: Inbound) -> asyncio.Task[Outcome]:
        """Take an update in arrival order, before the caller waits on anything.

        Called synchronously by an adapter for each update in the order the platform delivered
        them: the task reaches the person's queue before it first waits, so whatever the
        adapter then awaits (answering a button press, reading a file), a later update of the
        same person cannot overtake this one.
        """
        return asyncio.ensure_future(self.handle(inbound))

    async def handle(self, inbound: Inbound) -> Outcome:
        async with self.locks.hold((inbound.channel, inbound.user_id)):
            try:
                outcome = await self._handle(inbound)
            except Exception:
                log.exception(
                    "handler failed",
                    extra={"channel": inbound.channel, "kind": str(inbound.kind)},
                )
                outcome = await self._apologise(inbound)
        for event in self.on_queued:
            event.set()
        return outcome

    async def _handle(self, inbound: Inbound) -> Outcome:
        async with self.db.transaction() as db:
            if not await record_inbound(db, inbound.channel, inbound.update_id, inbound.kind):
                return Outcome.DUPLICATE
            identity = await ensure_identity(db, inbound.channel, inbound.user_id)
            conversation = await lock_conversation(db, identity)
            await mark_reachable(db, identity)
            step = (conversation.flow, conversation.step)
            inbound = resolve_keyword(resolve_choice(inbound, conversation.offered, step))
            turn = Turn(
                db=db,
                inbound=inbound,
                identity=identity,
                person=await person_of(db, identity),
                conversation=conversation,
                translator=translator(identity.locale or self.config.default_locale),
                config=self.config,
                now=utcnow(),
            )
            await respond(turn)
            conversation.offered = turn.offered()
            conversation.version += 1
            conversation.updated_at = turn.now
            for reply in turn.replies:
                enqueue_message(db, identity, reply.to_payload(), about=reply.about)
        return Outcome.HANDLED

    async def _apologise(self, inbound: Inbound) -> Outcome:
        async with self.db.transaction() as db:
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
