"""Engines and transactions, tuned so the same code is correct on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import socket
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite_inline import InlineConnection, connect_inline

# How long a statement may wait for another process's write lock (a command line tool's).
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Each engine's connections to PostgreSQL carry a name of their own (`application_name`), so a
# replica can tell whether other replicas are connected (`Database.others_connected`); those
# of `cutri run` say so, those of a command, a bench or a test do not count as replicas.
_APPLICATION = "cutri"
_REPLICA = "cutri-run"
_ENGINES = itertools.count(1)


class WriterQueue:
    """SQLite's one write lock, handed out in this process first come first served, except
    that an urgent writer (recording what just arrived) goes before every ordinary one.

    Recording a batch of arrivals is what lets the platform send the next batch: behind a
    long queue of turns and sends, one person's flood of arrivals would hold up everyone's.
    """

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._ordinary: deque[asyncio.Future[None]] = deque()

    @property
    def urgent_waiting(self) -> bool:
        return any(not waiter.done() for waiter in self._urgent)

    async def acquire(self, *, urgent: bool) -> None:
        if not self._held and not self._urgent and not self._ordinary:
            self._held = True
            return
        waiter = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._ordinary).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over just as we gave up: pass it on
            else:
                (self._urgent if urgent else self._ordinary).remove(waiter)
            raise

    def release(self) -> None:
        for waiters in (self._urgent, self._ordinary):
            while waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the lock passes on, still held
                    return
        self._held = False


class Database:
    """One engine and its session factory; `transaction()` is the only way code writes."""

    def __init__(self, url: str, *, echo: bool = False, replica: bool = False) -> None:
        self.url = url
        # Host, process and engine: a replica restarted in the same container gets a new name.
        kind = _REPLICA if replica else _APPLICATION
        self.name = f"{kind}/{os.getpid()}/{next(_ENGINES)}/{socket.gethostname()}"[:63]
        self.engine: AsyncEngine = make_engine(url, echo=echo, name=self.name)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer; queueing writers here is fairer and faster than letting them
        # spin in SQLite's busy handler, which sleeps up to 100 ms between tries.
        self._writer = WriterQueue() if self.is_sqlite else None
        self._writer_task: asyncio.Task[object] | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def urgent_writer_waiting(self) -> bool:
        """Whether an urgent transaction waits for SQLite's write lock: a long one should end
        soon. Never on PostgreSQL, where writers do not queue for one lock."""
        return self._writer is not None and self._writer.urgent_waiting

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any error.

        `urgent`: short, and ahead of every other writer waiting on SQLite (see `WriterQueue`).
        """
        if self._writer is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        task = asyncio.current_task()
        if self._writer_task is task:
            # Waiting for ourselves would hang forever: fail loudly instead.
            raise RuntimeError("nested transaction on SQLite")
        await self._writer.acquire(urgent=urgent)
        self._writer_task = task
        try:
            async with self.sessions() as session, session.begin():
                yield session
        finally:
            self._writer_task = None
            self._writer.release()

    @asynccontextmanager
    async def alone(self, name: str) -> AsyncIterator[bool]:
        """Whether no other process is doing `name` meanwhile: True for the one replica that
        holds a PostgreSQL advisory lock on it for the block, False for the others.

        The lock belongs to a connection: if its replica dies, PostgreSQL releases it and the
        next replica to ask takes over. SQLite serves one process, so the answer is True.
        """
        if self.is_sqlite:
            yield True
            return
        key = int.from_bytes(hashlib.sha256(f"cutri:{name}".encode()).digest()[:8], "big",
                             signed=True)
        async with self.engine.connect() as connection:
            held = bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                                {"key": key}))
            await connection.commit()
            try:
                yield held
            finally:
                if held:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                             {"key": key})
                    await connection.commit()

    async def others_connected(self) -> bool:
        """Whether another replica (`cutri run`) is connected to this PostgreSQL database now;
        a command line tool is not one. A replica killed a moment ago is not connected: the
        server sees its connections close. Never on SQLite, which serves one process."""
        if self.is_sqlite:
            return False
        async with self.engine.connect() as connection:
            return bool(await connection.scalar(text(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name LIKE :cutri"
                " AND application_name <> :me)"),
                {"cutri": f"{_REPLICA}/%", "me": self.name}))

    async def dispose(self) -> None:
        await self.engine.dispose()


# PostgreSQL's SQLSTATEs for a server that is going away or not there yet: class 08
# (connection exception) and 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now).
_GONE_STATES = ("08", "57P01", "57P02", "57P03")


def database_unreachable(error: BaseException) -> bool:
    """Whether `error` says the database server is away (restarting, down, connection cut),
    as opposed to a fault in what was asked: then waiting and trying again is the answer.

    Connecting may fail with the driver's own exceptions (asyncpg's, an `OSError`), not
    wrapped by SQLAlchemy; a statement's failure comes wrapped, the driver's as its cause.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str) and state.startswith(_GONE_STATES):
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def insert_ignoring_conflicts(db: AsyncSession, model: Any, **values: Any) -> Any:
    """An INSERT that does nothing where the row would break a unique constraint."""
    return ignoring_conflicts(db.bind.dialect.name, model).values(**values)


def ignoring_conflicts(dialect: str, model: Any) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` on PostgreSQL, `INSERT OR IGNORE` on SQLite.

    SQLAlchemy never caches a statement with an ON CONFLICT clause, and compiling one costs
    more than running it; SQLite's prefix form is a plain INSERT that it does cache.
    """
    if dialect == "postgresql":
        return pg_insert(model).on_conflict_do_nothing()
    return insert(model).prefix_with("OR IGNORE")


def make_engine(url: str, *, echo: bool = False, name: str = _APPLICATION) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # Pooled connections are checked before use: after a PostgreSQL restart, a dead one is
        # replaced instead of failing the transaction that drew it.
        connect_args: dict[str, Any] = {}
        if parsed.get_driver_name() == "asyncpg":
            connect_args["server_settings"] = {"application_name": name}
        return create_async_engine(url, echo=echo, pool_pre_ping=True,
                                   connect_args=connect_args)
    database = parsed.database or ":memory:"
    if database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)

    async def connect() -> InlineConnection:
        return connect_inline(database, wait_ms=SQLITE_BUSY_TIMEOUT_MS)

    engine = create_async_engine(url, echo=echo, async_creator=connect)
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy so that BEGIN below is the one that counts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Never wait for a lock on the event loop: `InlineConnection` waits on a thread.
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # A deferred transaction that later writes is the classic "database is locked":
        # take the write lock up front instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
