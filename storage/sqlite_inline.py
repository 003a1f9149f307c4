"""SQLite on the event loop's own thread: the driver SQLAlchemy's aiosqlite dialect is given.

aiosqlite runs every statement on a worker thread: each one costs two thread wake-ups and a
trip through the event loop, about ten times the statement itself, and on a busy machine each
wake-up waits for a core. A turn of the bot runs a dozen statements of some microseconds each,
so here they run where they are called, and only a statement that would have to wait for
another process's write lock (a command line tool writing, say) is handed to a thread to wait
there. Writers of this process never wait on each other: `Database.transaction` queues them.

The objects below are the part of aiosqlite's interface that SQLAlchemy's adapter uses.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

SQLITE_BUSY = 5
SQLITE_LOCKED = 6


def is_busy(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds a lock (nothing was done)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)


class InlineCursor:
    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        try:
            self._cursor.execute(sql, parameters)
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
            await self._connection.wait_for_lock(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        rows = list(parameters)
        try:
            self._cursor.executemany(sql, rows)
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
            await self._connection.wait_for_lock(self._cursor.executemany, sql, rows)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _RunAtOnce:
    """Stands for aiosqlite's queue to its thread, which SQLAlchemy uses directly to set the
    isolation level: the function runs at once and its future is settled."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:
            if future is not None:
                future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


class InlineConnection:
    """A sqlite3 connection with aiosqlite's coroutine methods, which do their work at once.

    `wait_ms`: how long a statement may wait for another process's lock; the connection
    itself never waits (busy_timeout 0), so the event loop is never held by a lock.
    """

    def __init__(self, connection: sqlite3.Connection, *, wait_ms: int) -> None:
        self._connection = connection
        self._tx = _RunAtOnce(connection)
        self.wait_ms = wait_ms

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    async def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._connection.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        cursor = await self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        self._connection.commit()

    async def rollback(self) -> None:
        self._connection.rollback()

    async def close(self) -> None:
        self._connection.close()

    def stop(self) -> None:
        self._connection.close()

    async def create_function(self, name: str, num_params: int, func: Callable[..., Any],
                              deterministic: bool = False) -> None:
        self._connection.create_function(name, num_params, func, deterministic=deterministic)

    async def wait_for_lock(self, run: Callable[[str, Any], Any], sql: str,
                            parameters: Any) -> None:
        """Run the statement again on a thread that may wait `wait_ms` for the lock."""
        await asyncio.to_thread(self._run_waiting, run, sql, parameters)

    def _run_waiting(self, run: Callable[[str, Any], Any], sql: str, parameters: Any) -> None:
        self._connection.execute(f"PRAGMA busy_timeout={int(self.wait_ms)}")
        try:
            run(sql, parameters)
        finally:
            self._connection.execute("PRAGMA busy_timeout=0")


def connect_inline(database: str, *, wait_ms: int) -> InlineConnection:
    """A connection to the SQLite file `database` (or ":memory:") that never blocks the loop
    on a lock."""
    connection = sqlite3.connect(database, check_same_thread=False, isolation_level=None,
                                 timeout=0)
    return InlineConnection(connection, wait_ms=wait_ms)

