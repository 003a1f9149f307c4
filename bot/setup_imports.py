"""The background worker that fetches commune workbooks from the platforms and checks them.

As for plan files (`bot.plan_imports`): the slow fetch happens outside any transaction, then
one short transaction plans the workbook against the database and tells the sender.
"""

from __future__ import annotations

import asyncio
import logging

from bot.files import Fetchers
from bot.plan_imports import fetch_bytes
from storage.db import Database
from storage.setup.imports import claim_setup_import, finish_setup_import, release_setup_import

log = logging.getLogger(__name__)

RELEASE_SECONDS = 2.0


async def _release(db: Database, request_id: int) -> None:
    async with db.transaction() as session:
        await release_setup_import(session, request_id)


async def process_setup_imports(db: Database, fetchers: Fetchers) -> int:
    """Work every waiting upload; returns how many were finished."""
    done = 0
    while True:
        async with db.transaction() as session:
            request = await claim_setup_import(session)
            if request is None:
                return done
            request_id, token, name = request.id, request.file_token, request.file_name
        try:
            data = await fetch_bytes(db, fetchers, token)
        except asyncio.CancelledError:
            # Stopped while the platform was slow: back to the queue at once.
            try:
                await asyncio.wait_for(_release(db, request_id), RELEASE_SECONDS)
            except Exception:  # the lease brings it back after all, only later
                log.warning("setup import not released at shutdown")
            raise
        # The spreadsheet library loads with the first workbook, not with the bot.
        from storage.setup.workbook_file import read_workbook

        parsed = read_workbook(data, name) if data else None
        read = None if parsed is None else (parsed.workbook, parsed.problems)
        async with db.transaction() as session:
            outcome = await finish_setup_import(session, request_id, read)
        log.info("setup import finished", extra={"outcome": outcome})
        done += 1
