"""The clock: APScheduler runs the periodic jobs that turn time into data changes."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.broadcasts import finish_broadcasts
from storage.db import Database

log = logging.getLogger(__name__)


async def close_finished_broadcasts(db: Database) -> None:
    async with db.transaction() as session:
        finished = await finish_broadcasts(session)
    if finished:
        log.info("broadcasts finished", extra={"outcome": len(finished)})


def build_scheduler(db: Database, timezone: str) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=timezone)
    scheduler.add_job(
        close_finished_broadcasts,
        "interval",
        seconds=15,
        args=[db],
        id="close-finished-broadcasts",
        max_instances=1,
        coalesce=True,
    )
    return scheduler
