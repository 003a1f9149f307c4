"""The document worker: files asked for in the chat are built once, after the asker's update.

The builders here are small stand-ins (a text file made from the job's parameters), so that
what is tested is the queue: leases, shutdowns, failures, `/forget` and two workers at once.
The real kinds are tested with their flows (posters, the petition report).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.documents import process_document_jobs
from handlers.documents.jobs import Builder, DocumentRequest
from storage.conversations import ensure_identity
from storage.db import Database
from storage.documents import (
    MAX_ATTEMPTS,
    DocumentFile,
    claim_document_job,
    drop_document_jobs,
    finish_document_job,
    request_document,
)
from storage.models import DocumentJob, OutboxMessage, Person, StoredFile
from storage.models.base import utcnow
from storage.people.people import forget_person
from tests.chat import Chat, texts
from tests.factories import citizen, demo


async def gather_note(_db: Any, request: DocumentRequest) -> str:
    return str(request.params["text"])


def build_note(text: str) -> Sequence[DocumentFile]:
    return [DocumentFile("ghi-chu.txt", text.encode(), "posters_ready",
                         {"pdf": True, "telegram": True, "zalo": True})]


NOTES = {"note": Builder(gather_note, build_note)}


async def ask(db: Database, user_id: str, text: str = "Ghi chú ấp Tân Dân") -> int:
    async with db.transaction() as session:
        identity = await ensure_identity(session, "telegram", user_id)
        person = await session.get(Person, identity.person_id)
        assert person is not None
        job = await request_document(session, identity, person, "note", {"text": text})
        return job.id


async def count(db: Database, model: Any) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def job_status(db: Database, job_id: int) -> tuple[str, int]:
    async with db.transaction() as session:
        job = await session.get(DocumentJob, job_id)
        assert job is not None
        return job.status, job.attempts


async def test_the_file_arrives_in_the_askers_chat_once_the_worker_has_built_it(
    db: Database,
) -> None:
    await demo(db)
    await citizen(db, "7001")
    await ask(db, "7001")
    chat = Chat(db, user_id="7001")
    assert await chat.new_replies() == []
    assert await process_document_jobs(db, NOTES) == 1
    (reply,) = await chat.new_replies()
    assert reply.file is not None and reply.file[1] == "ghi-chu.txt"
    assert await process_document_jobs(db, NOTES) == 0  # built once


async def test_the_same_document_asked_twice_while_waiting_is_built_once(db: Database) -> None:
    await demo(db)
    await citizen(db, "7001")
    assert await ask(db, "7001") == await ask(db, "7001")
    assert await ask(db, "7001", "Ghi chú khác") != await ask(db, "7001")
    assert await process_document_jobs(db, NOTES) == 2


async def test_a_job_whose_worker_died_is_built_again_when_its_lease_runs_out(
    db: Database,
) -> None:
    await demo(db)
    await citizen(db, "7001")
    job_id = await ask(db, "7001")
    async with db.transaction() as session:  # a worker takes it, then the machine dies
        assert await claim_document_job(session) is not None
    assert await process_document_jobs(db, NOTES) == 0  # its lease still holds
    async with db.transaction() as session:
        await session.execute(update(DocumentJob).values(
            lease_until=utcnow() - timedelta(seconds=1)))
    assert await process_document_jobs(db, NOTES) == 1
    assert await job_status(db, job_id) == ("done", 2)
    assert len(await Chat(db, user_id="7001").new_replies()) == 1


async def test_a_job_that_keeps_killing_its_worker_is_given_up_and_the_asker_told(
    db: Database,
) -> None:
    await demo(db)
    await citizen(db, "7001")
    job_id = await ask(db, "7001")
    for _attempt in range(MAX_ATTEMPTS):
        async with db.transaction() as session:
            job = await claim_document_job(session)
            assert job is not None
            job.lease_until = utcnow() - timedelta(seconds=1)
    assert await process_document_jobs(db, NOTES) == 0
    assert (await job_status(db, job_id))[0] == "failed"
    assert "Xin lỗi, chưa làm được tệp." in texts(await Chat(db, user_id="7001").new_replies())


async def test_a_builder_that_fails_tells_the_asker_and_the_next_job_is_built(
    db: Database,
) -> None:
    def broken(_text: str) -> Sequence[DocumentFile]:
        raise ValueError("a bug in a builder")

    await demo(db)
    await citizen(db, "7001")
    await citizen(db, "7002")
    await ask(db, "7001")
    await ask(db, "7002")
    builders = {"note": Builder(gather_note, broken)}
    assert await process_document_jobs(db, builders) == 0
    assert "Xin lỗi, chưa làm được tệp." in texts(await Chat(db, user_id="7001").new_replies())
    assert "Xin lỗi, chưa làm được tệp." in texts(await Chat(db, user_id="7002").new_replies())


async def test_a_job_cut_short_by_a_shutdown_goes_back_to_the_queue_at_once(
    db: Database,
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(text: str) -> Sequence[DocumentFile]:
        started.set()
        release.wait(30)
        return build_note(text)

    await demo(db)
    await citizen(db, "7001")
    job_id = await ask(db, "7001")
    worker = asyncio.create_task(process_document_jobs(db, {"note": Builder(gather_note, slow)}))
    try:
        # The builder runs in a thread: wait for it there, off the event loop.
        await asyncio.to_thread(started.wait, 30)
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker
    finally:
        release.set()
    # Pending again with its attempts untouched: the next start builds it without waiting.
    assert await job_status(db, job_id) == ("pending", 0)
    assert await count(db, StoredFile) == 0
    assert await process_document_jobs(db, NOTES) == 1


async def test_a_forgotten_persons_waiting_document_is_never_built_nor_sent(
    db: Database,
) -> None:
    await demo(db)
    await citizen(db, "7001")
    job_id = await ask(db, "7001", "Nguyễn Văn Tư, 0909 123 456")
    async with db.transaction() as session:
        await forget_person(session, await ensure_identity(session, "telegram", "7001"))
    assert await process_document_jobs(db, NOTES) == 0
    async with db.transaction() as session:
        job = await session.get(DocumentJob, job_id)
        assert job is not None and job.status == "dropped" and job.params == {}
    assert await count(db, StoredFile) == 0
    async with db.transaction() as session:
        assert (await session.execute(select(OutboxMessage).where(
            OutboxMessage.status == "pending"))).first() is None


async def test_a_document_being_built_when_its_asker_is_forgotten_is_thrown_away(
    db: Database,
) -> None:
    await demo(db)
    person = await citizen(db, "7001")
    job_id = await ask(db, "7001")
    async with db.transaction() as session:
        assert await claim_document_job(session) is not None
    async with db.transaction() as session:
        assert await drop_document_jobs(session, [person.id]) == 1
    async with db.transaction() as session:
        assert await finish_document_job(session, job_id, build_note("ghi chú")) == "gone"
    assert await count(db, StoredFile) == 0


async def test_a_personal_file_built_while_someone_was_forgotten_is_built_again(
    db: Database,
) -> None:
    await demo(db)
    await citizen(db, "7001")
    await citizen(db, "7002", name="Trần Thị Bé")
    job_id = await ask(db, "7001")
    async with db.transaction() as session:
        assert await claim_document_job(session) is not None
    # The list was read with the neighbour's name in it; then the neighbour asks to be
    # forgotten before the file is stored.
    async with db.transaction() as session:
        await forget_person(session, await ensure_identity(session, "telegram", "7002"))
    personal = [DocumentFile("danh-sach.txt", b"Tran Thi Be", "posters_ready", personal=True)]
    async with db.transaction() as session:
        assert await finish_document_job(session, job_id, personal) == "rebuild"
    assert await job_status(db, job_id) == ("pending", 1)
    assert await count(db, StoredFile) == 0


async def test_two_workers_never_take_the_same_job(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: its claims cannot overlap")
    await demo(db)
    await citizen(db, "7001")
    first_id = await ask(db, "7001", "một")
    second_id = await ask(db, "7001", "hai")
    other = Database(db.url)
    try:
        async with db.transaction() as first:
            mine = await claim_document_job(first)
            assert mine is not None and mine.id == first_id
            # Not committed yet: the other worker skips the locked row and takes the next.
            async with other.transaction() as second:
                theirs = await claim_document_job(second)
                assert theirs is not None and theirs.id == second_id
                async with other.transaction() as third:
                    assert await claim_document_job(third) is None
    finally:
        await other.dispose()
