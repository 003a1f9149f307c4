"""Engines and transactions, tuned so the same code is correct on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Database:
    """One engine and its session factory; `transaction()` is the only way code writes."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = make_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer; queueing writers here is fairer and faster than letting them
        # spin in SQLite's busy handler, which sleeps up to 100 ms between tries.
        self._writer = asyncio.Lock() if self.is_sqlite else None
        self._writer_task: asyncio.Task[object] | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        if self._writer is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        task = asyncio.current_task()
        if self._writer_task is task:
            # Waiting for ourselves would hang forever: fail loudly instead.
            raise RuntimeError("nested transaction on SQLite")
        async with self._writer:
            self._writer_task = task
            try:
                async with self.sessions() as session, session.begin():
                    yield session
            finally:
                self._writer_task = None

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

    async def dispose(self) -> None:
        await self.engine.dispose()


def insert_ignoring_conflicts(db: AsyncSession, model: Any, **values: Any) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` in the dialect of the session's engine."""
    insert = pg_insert if db.bind.dialect.name == "postgresql" else sqlite_insert
    return insert(model).values(**values).on_conflict_do_nothing()


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy so that BEGIN below is the one that counts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # A deferred transaction that later writes is the classic "database is locked":
        # take the write lock up front instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
