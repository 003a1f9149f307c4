"""Documents asked for in the chat and built by a background worker, then sent to the asker.

A conversation only records the request (`request_document`) and says the file will follow:
building a poster PDF or a year's report takes seconds, and inside the conversation's
transaction it would hold up every update that shares it. The worker takes a job with a
lease (`claim_document_job`), builds the file outside any transaction, and
`finish_document_job` keeps it and queues the reply through the outbox, in one short
transaction. A worker that dies leaves its lease to run out, and another takes the job again;
one stopped by a shutdown gives it back at once (`release_document_job`).

What is built is the builders' business (`handlers`); this module keeps the rules every
document shares: who may be answered, the privacy of what is stored, and `/forget`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.files import store_file
from storage.messaging.notify import reachable_identity
from storage.messaging.outbox import REPLY, enqueue_once
from storage.models import ChannelIdentity, DocumentJob, Person
from storage.models.base import utcnow
from storage.permissions import require_role

# Long enough for LibreOffice's worst case (pdf.TIMEOUT_SECONDS) with room to spare.
LEASE = timedelta(minutes=5)
# A job that took its worker down this many times (say, out of memory) is given up.
MAX_ATTEMPTS = 3
WAITING = ("pending", "working")


@dataclass(frozen=True)
class DocumentFile:
    """One built file and the notice that carries it to the asker (one message per file).

    `personal`: it holds personal data (short-lived, single-use link, see `storage.files`);
    `about`: the people whose data it holds, so that `/forget` deletes it.
    """

    name: str
    content: bytes
    notice: str
    params: dict[str, Any] = field(default_factory=dict)
    personal: bool = False
    about: tuple[int, ...] = ()


async def request_document(
    db: AsyncSession, identity: ChannelIdentity, person: Person, kind: str,
    params: dict[str, Any], *, locale: str | None = None,
    commune_id: int | None = None, roles: tuple[str, ...] = (),
) -> DocumentJob:
    """Queue a document for `person`, answered on `identity` in `locale`.

    With `commune_id` and `roles`, only someone holding one of them there may ask. The same
    document asked again while it is still waiting is not built twice: the waiting job is
    returned.
    """
    if commune_id is not None and roles:
        await require_role(db, person, commune_id, roles)
    waiting = (await db.execute(select(DocumentJob).where(
        DocumentJob.person_id == person.id, DocumentJob.kind == kind,
        DocumentJob.status.in_(WAITING)))).scalars().all()
    for job in waiting:
        if job.params == params and job.identity_id == identity.id:
            return job
    job = DocumentJob(kind=kind, params=params, person_id=person.id, identity_id=identity.id,
                      locale=locale or identity.locale, status="pending", attempts=0)
    db.add(job)
    await db.flush()
    return job


async def claim_document_job(
    db: AsyncSession, *, now: datetime | None = None
) -> DocumentJob | None:
    """The oldest waiting job, leased to this worker (another takes it if this one dies).

    `FOR UPDATE SKIP LOCKED`: two workers on PostgreSQL never take the same job; SQLite has one
    writer at a time, which serialises the claims anyway. A job whose lease ran out
    `MAX_ATTEMPTS` times is given up and its asker told.
    """
    now = now or utcnow()
    while True:
        query = (
            select(DocumentJob)
            .where((DocumentJob.status == "pending")
                   | ((DocumentJob.status == "working") & (DocumentJob.lease_until < now)))
            .order_by(DocumentJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        job = (await db.execute(query)).scalar_one_or_none()
        if job is None:
            return None
        if job.attempts >= MAX_ATTEMPTS:
            await _give_up(db, job, now)
            continue
        job.status = "working"
        job.attempts += 1
        job.started_at = now
        job.lease_until = now + LEASE
        await db.flush()
        return job


async def release_document_job(db: AsyncSession, job_id: int) -> None:
    """Give a job back untouched (its worker is stopping): the next start takes it at once."""
    job = await db.get(DocumentJob, job_id, with_for_update=True)
    if job is not None and job.status == "working":
        job.status = "pending"
        job.lease_until = None
        # Being stopped is not the job's fault: it keeps its attempts.
        job.attempts = max(0, job.attempts - 1)


async def _answer_to(db: AsyncSession, job: DocumentJob) -> ChannelIdentity | None:
    """The account that asked, or, if it blocked the bot or left, another of the person's."""
    if job.identity_id is not None:
        identity = await db.get(ChannelIdentity, job.identity_id)
        if (identity is not None and identity.person_id == job.person_id
                and identity.unreachable_at is None):
            return identity
    return await reachable_identity(db, job.person_id)


async def _forgotten_since(db: AsyncSession, since: datetime | None) -> bool:
    if since is None:
        return False
    return bool((await db.execute(select(exists().where(
        Person.forgotten_at.is_not(None), Person.forgotten_at >= since)))).scalar())


async def finish_document_job(
    db: AsyncSession, job_id: int, files: Sequence[DocumentFile], *,
    now: datetime | None = None,
) -> str:
    """Keep the built files and queue one message per file to the asker.

    Returns "done"; "gone" if the job is no longer this worker's (dropped by `/forget`,
    taken over after a lost lease); "rebuild" if someone was forgotten while a personal file
    was being built (it may name them: it goes back to the queue and is built again).
    """
    now = now or utcnow()
    job = await db.get(DocumentJob, job_id, with_for_update=True)
    if job is None or job.status != "working":
        return "gone"
    if any(built.personal for built in files) and await _forgotten_since(db, job.started_at):
        job.status = "pending"
        job.lease_until = None
        return "rebuild"
    identity = await _answer_to(db, job)
    job.status = "done"
    job.finished_at = now
    job.lease_until = None
    if identity is None:
        return job.status
    for number, built in enumerate(files):
        stored = store_file(db, built.name, built.content, owner_id=job.person_id, now=now,
                            about=built.about, personal=built.personal)
        await db.flush()
        payload = {"notice": built.notice,
                   "params": {**built.params, "file": [stored.token, stored.name]},
                   "locale": job.locale or identity.locale}
        await enqueue_once(db, identity, payload, dedupe_key=f"document:{job.id}:{number}",
                           priority=REPLY, about=built.about)
    return job.status


async def fail_document_job(
    db: AsyncSession, job_id: int, *, now: datetime | None = None
) -> str:
    """The builder failed: the asker is told the file could not be made."""
    job = await db.get(DocumentJob, job_id, with_for_update=True)
    if job is None or job.status != "working":
        return "gone"
    await _give_up(db, job, now or utcnow())
    return job.status


async def _give_up(db: AsyncSession, job: DocumentJob, now: datetime) -> None:
    job.status = "failed"
    job.finished_at = now
    job.lease_until = None
    identity = await _answer_to(db, job)
    if identity is not None:
        await enqueue_once(db, identity, {
            "notice": "document_failed", "params": {"kind": job.kind},
            "locale": job.locale or identity.locale,
        }, dedupe_key=f"document:{job.id}:failed", priority=REPLY)


async def drop_document_jobs(db: AsyncSession, person_ids: Iterable[int]) -> int:
    """For /forget: the person's documents still waiting are never built nor sent.

    A job being built right now is dropped too; its worker then finds it gone and stores
    nothing (`finish_document_job` reads the status under the row's lock).
    """
    people = sorted(set(person_ids))
    if not people:
        return 0
    result = await db.execute(
        update(DocumentJob)
        .where(DocumentJob.person_id.in_(people), DocumentJob.status.in_(WAITING))
        .values(status="dropped", lease_until=None, params={})
    )
    return int(getattr(result, "rowcount", 0) or 0)
