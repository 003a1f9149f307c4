"""The background worker that builds the documents people asked for in the chat.

A conversation only records the request (`storage.documents`): built inside its
transaction, a poster PDF or a large report would hold up everyone whose updates share it
(and, on SQLite, the write lock). Here each job is claimed in one short transaction, its data
read in another, the file built in a thread outside any transaction, and the file stored and
answered through the outbox in a last short one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

# The builders register themselves next to the flows that ask for documents.
import handlers.router  # noqa: F401
from handlers.documents.jobs import BUILDERS, Builder, DocumentRequest
from storage.db import Database
from storage.documents import (
    claim_document_job,
    fail_document_job,
    finish_document_job,
    release_document_job,
)
from storage.models import Person

log = logging.getLogger(__name__)

RELEASE_SECONDS = 2.0


async def _release(db: Database, job_id: int) -> None:
    async with db.transaction() as session:
        await release_document_job(session, job_id)


async def _fail(db: Database, job_id: int) -> None:
    async with db.transaction() as session:
        await fail_document_job(session, job_id)


async def _claim(db: Database) -> tuple[int, str, dict[str, Any], int, str] | None:
    async with db.transaction() as session:
        job = await claim_document_job(session)
        if job is None:
            return None
        return job.id, job.kind, dict(job.params), job.person_id, job.locale or "vi"


async def process_document_jobs(
    db: Database, builders: Mapping[str, Builder[Any]] = BUILDERS
) -> int:
    """Build every waiting document; returns how many were finished."""
    done = 0
    while True:
        claimed = await _claim(db)
        if claimed is None:
            return done
        job_id, kind, params, person_id, locale = claimed
        builder = builders.get(kind)
        try:
            if builder is None:
                raise LookupError(f"no builder for document kind {kind!r}")
            async with db.transaction() as session:
                person = await session.get(Person, person_id)
                assert person is not None
                request = DocumentRequest(job_id, kind, params, person, locale)
                gathered = await builder.gather(session, request)
            # The slow part, with no transaction open: other people's updates commit meanwhile.
            files = await asyncio.to_thread(builder.build, gathered)
        except asyncio.CancelledError:
            # Stopped by a shutdown: the job goes back to the queue rather than waiting out
            # its lease after the restart.
            try:
                await asyncio.wait_for(_release(db, job_id), RELEASE_SECONDS)
            except Exception:  # the lease brings it back after all, only later
                log.warning("document job not released at shutdown")
            raise
        except Exception:  # a builder's bug or vanished data: the asker is told, the rest go on
            log.exception("document could not be built", extra={"outcome": kind})
            await _fail(db, job_id)
            continue
        async with db.transaction() as session:
            outcome = await finish_document_job(session, job_id, files)
        log.info("document job finished", extra={"outcome": outcome})
        done += 1
