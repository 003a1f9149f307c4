"""Training each commune's field model, always in a process of its own.

The field suggested for a petition learns from what the commune's staff chose for earlier ones
(`storage.petitions.field_models`). Training needs scikit-learn, about 110 MB that the bot
process must never load: `cutri fields train --commune CODE` does it (`train_commune`), by
hand or started by the scheduler job here (`FieldTraining`). The job waits for the child
without blocking the event loop, logs a failure by its exit status only (a child's output could
quote a petition, so none is read), and at shutdown stops the child it waits for: the
transaction the child had not committed keeps the previous model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.understanding.model import FORMAT_VERSION
from storage.db import Database
from storage.petitions.field_models import (
    communes_due_for_training,
    read_training_set,
    save_field_model,
)
from storage.places import find_commune_by_code

log = logging.getLogger(__name__)

TRAIN_COMMAND: tuple[str, ...] = (sys.executable, "-m", "bot.cli", "fields", "train")
# A child asked to stop at shutdown gets this long before it is killed.
STOP_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Trained:
    code: str
    name: str
    examples: int
    fields: int
    kept: bool


async def train_commune(db: Database, code: str) -> Trained | None:
    """Train the commune's model from its staff's classifications and keep it. None: no such
    commune. Runs scikit-learn in this process: the CLI's, never the bot's."""
    from handlers.understanding.model import train_field_model

    async with db.transaction() as session:
        commune = await find_commune_by_code(session, code)
        if commune is None:
            return None
        name = commune.name
        trained = await read_training_set(session, commune.id)
    # No transaction is open while it learns: seconds for thousands of petitions.
    model = await asyncio.to_thread(train_field_model, trained.examples)
    async with db.transaction() as session:
        kept = await save_field_model(session, trained, model.to_json(),
                                      format_version=FORMAT_VERSION)
    return Trained(code, name, model.examples, len(model.classes), kept)


async def due_communes(db: Database, min_new: int) -> list[str]:
    async with db.transaction() as session:
        return await communes_due_for_training(session, min_new=min_new,
                                               format_version=FORMAT_VERSION)


class FieldTraining:
    """The scheduler's side: which communes to retrain, each in a child process.

    A commune whose training failed is left alone until the night, so that a broken one does
    not start a heavy process at every check of the day.
    """

    def __init__(self, db: Database, *, retrain_after: int,
                 command: Sequence[str] = TRAIN_COMMAND) -> None:
        self.db = db
        self.retrain_after = retrain_after
        self.command = tuple(command)
        self.failed: set[str] = set()
        # The day's check and the night's run never train side by side.
        self._busy = asyncio.Lock()

    async def during_the_day(self) -> int:
        """Communes with `retrain_after` new classifications or more, but those that failed
        today; returns how many were trained."""
        async with self._busy:
            due = await due_communes(self.db, self.retrain_after)
            return await self._train_each([code for code in due if code not in self.failed])

    async def at_night(self) -> int:
        """Every commune with anything new, those that failed in the day included."""
        async with self._busy:
            self.failed.clear()
            return await self._train_each(await due_communes(self.db, 1))

    async def _train_each(self, codes: list[str]) -> int:
        trained = 0
        for code in codes:
            status = await self._run_child(code)
            if status == 0:
                trained += 1
                log.info("field model trained", extra={"outcome": code})
            else:
                self.failed.add(code)
                log.warning("field model training failed", extra={"outcome": code,
                                                                   "error_code": status})
        return trained

    async def _run_child(self, code: str) -> int:
        # The database this process uses, whatever the environment or .env of the child says.
        env = {**os.environ, "DATABASE_URL": self.db.url}
        child = await asyncio.create_subprocess_exec(
            *self.command, "--commune", code, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            # Its own session: a Ctrl-C in the terminal reaches the bot, which stops it.
            start_new_session=True,
        )
        try:
            return await child.wait()
        except asyncio.CancelledError:
            await _stop(child)
            raise


async def _stop(child: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL if it lingers; its uncommitted model is rolled back."""
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(child.wait(), STOP_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()
    log.info("field model training stopped by the shutdown")
