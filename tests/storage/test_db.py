"""SQLite's write lock: statements run on the loop's thread and never hold the loop while another
process writes; arrivals to record go before the other writers waiting in this process."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

from sqlalchemy import text

from storage.db import Database, WriterQueue
from storage.inbound import record_inbound
from storage.sqlite_inline import InlineConnection


async def test_sqlite_statements_run_on_the_event_loops_own_thread(sqlite_db: Database) -> None:
    async with sqlite_db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection)
    seen: list[int] = []
    async with sqlite_db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        raw.driver_connection._conn.create_function(  # type: ignore[union-attr]
            "whose_thread", 0, lambda: seen.append(threading.get_ident()) or 1)
        await connection.execute(text("SELECT whose_thread()"))
    assert seen == [threading.get_ident()]


async def test_a_writer_waits_for_another_process_without_holding_the_loop(
    sqlite_db: Database,
) -> None:
    path = sqlite_db.engine.url.database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process writing: a command line tool, say

    async def write() -> bool:
        async with sqlite_db.transaction() as db:
            return await record_inbound(db, "zalo", "while-locked", "text")

    writer = asyncio.create_task(write())
    await asyncio.sleep(0.1)
    # Had the writer held the loop while waiting, this line would run only after its 30 s
    # wait failed: the lock is released from here, on the loop.
    assert not writer.done()
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(writer, 60) is True
    async with sqlite_db.transaction() as db:
        assert await record_inbound(db, "zalo", "while-locked", "text") is False


async def test_an_urgent_writer_goes_before_ordinary_writers_already_waiting() -> None:
    queue = WriterQueue()
    order: list[str] = []
    await queue.acquire(urgent=False)

    async def write(name: str, urgent: bool) -> None:
        await queue.acquire(urgent=urgent)
        order.append(name)
        await asyncio.sleep(0)
        queue.release()

    waiting = [asyncio.create_task(write("turns", False)),
               asyncio.create_task(write("sends", False))]
    await asyncio.sleep(0)
    arrivals = asyncio.create_task(write("arrivals", True))
    await asyncio.sleep(0)
    assert queue.urgent_waiting
    queue.release()
    await asyncio.gather(*waiting, arrivals)
    assert order == ["arrivals", "turns", "sends"]
    assert not queue.urgent_waiting


async def test_a_writer_that_gives_up_waiting_passes_the_lock_on() -> None:
    queue = WriterQueue()
    await queue.acquire(urgent=False)
    quitter = asyncio.create_task(queue.acquire(urgent=True))
    patient = asyncio.create_task(queue.acquire(urgent=False))
    await asyncio.sleep(0)
    queue.release()  # handed to the quitter...
    quitter.cancel()  # ...who gives up before it runs
    await asyncio.gather(quitter, return_exceptions=True)
    await asyncio.wait_for(patient, 5)
    queue.release()
    await asyncio.wait_for(queue.acquire(urgent=False), 5)  # free again
