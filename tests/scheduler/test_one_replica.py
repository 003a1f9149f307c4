"""Periodic jobs run on one replica at a time, and move to another when that one is gone."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from scheduler.jobs import one_replica
from storage.db import Database


async def test_while_one_replica_runs_a_job_another_skips_it_then_takes_over(
    db: Database,
) -> None:
    other = Database(db.url)  # another replica: its own pool, its own connections
    ran: list[str] = []
    inside = asyncio.Event()
    release = asyncio.Event()

    async def job(_db: Database, who: str) -> None:
        ran.append(who)
        if who == "first":
            inside.set()
            await release.wait()

    try:
        first = asyncio.ensure_future(one_replica("test-job", job)(db, "first"))
        await inside.wait()
        await one_replica("test-job", job)(other, "second")
        if db.is_sqlite:
            # One process per SQLite file: there is no other replica to keep out.
            assert ran == ["first", "second"]
        else:
            assert ran == ["first"]  # skipped its turn: the first replica is at it
        release.set()
        await first
        await one_replica("test-job", job)(other, "second")
        assert ran[-1] == "second"
        # Another job is not held up by this one's lock.
        await one_replica("another-job", job)(other, "third")
        assert ran[-1] == "third"
    finally:
        release.set()
        await other.dispose()


async def test_a_replica_that_dies_lets_the_next_one_in(db: Database) -> None:
    if db.is_sqlite:
        return  # nothing to hand over: one process per file
    dying = Database(db.url)
    other = Database(db.url)
    ran: list[str] = []

    async def job(_db: Database, who: str) -> None:
        ran.append(who)

    try:
        held = dying.alone("job:test-takeover")
        assert await held.__aenter__() is True
        await one_replica("test-takeover", job)(other, "other")
        assert ran == []
        # The replica is killed: PostgreSQL ends its session, and with it the lock.
        async with other.engine.connect() as connection:
            ended = await connection.scalar(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                " WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
            await connection.commit()
        assert ended >= 1
        # The next turn of the job on the other replica runs it (the server needs a moment to
        # end the killed session: turns come every few seconds in life).
        for _ in range(200):
            await one_replica("test-takeover", job)(other, "other")
            if ran:
                break
            await asyncio.sleep(0.05)
        assert ran == ["other"]
    finally:
        await other.dispose()
        await dying.engine.dispose()
