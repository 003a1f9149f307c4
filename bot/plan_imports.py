"""The background worker that fetches plan files from the platforms, checks and imports them.

A conversation only records the request (it must not wait on the network while it holds the
person's row); this job does the slow part outside any transaction, then one short transaction
imports the plan or reports its problems to the sender.
"""

from __future__ import annotations

import asyncio
import logging

from bot.files import Fetchers, load_file
from storage.db import Database
from storage.voter_contact.plan_import import (
    claim_plan_import,
    finish_plan_import,
    plan_references,
    release_plan_import,
)

log = logging.getLogger(__name__)


async def fetch_bytes(db: Database, fetchers: Fetchers, token: str) -> bytes | None:
    found = await load_file(db, token)
    if found is None:
        return None
    if found.content is not None:
        return found.content
    platform, _, ref = (found.source or "").partition(":")
    fetch = fetchers.get(platform)
    if fetch is None:
        return None
    try:
        return await fetch(ref)
    except Exception:  # any failure of the platform: the sender is told, the job goes on
        log.warning("plan file could not be fetched", extra={"channel": platform})
        return None


RELEASE_SECONDS = 2.0


async def _release(db: Database, request_id: int) -> None:
    async with db.transaction() as session:
        await release_plan_import(session, request_id)


async def process_plan_imports(db: Database, fetchers: Fetchers) -> int:
    """Work every waiting request; returns how many were finished."""
    done = 0
    while True:
        async with db.transaction() as session:
            request = await claim_plan_import(session)
            if request is None:
                return done
            request_id, commune_id = request.id, request.commune_id
            token, name = request.file_token, request.file_name
            units, delegates = await plan_references(session, commune_id)
        try:
            data = await fetch_bytes(db, fetchers, token)
        except asyncio.CancelledError:
            # Stopped while the platform was slow: the request goes back to the queue rather
            # than waiting out its lease after the restart.
            try:
                await asyncio.wait_for(_release(db, request_id), RELEASE_SECONDS)
            except Exception:  # the lease brings it back after all, only later
                log.warning("plan import not released at shutdown")
            raise
        # The spreadsheet library loads with the first plan, not with the bot.
        from storage.voter_contact.plan_file import read_plan

        plan = read_plan(data, name, units=units, delegates=delegates) if data else None
        async with db.transaction() as session:
            outcome = await finish_plan_import(session, request_id, plan)
        log.info("plan import finished", extra={"outcome": outcome})
        done += 1
