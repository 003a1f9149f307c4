"""Shared fixtures: a migrated database per test on SQLite and, when configured, PostgreSQL.

PostgreSQL tests use `TEST_DATABASE_URL` (CI sets it); without it they are skipped, but when
it is set and the server does not answer, they fail rather than pass quietly.

The suite runs in parallel (pytest-xdist): each worker gets a database of its own on the
PostgreSQL server, named after the configured one (`test` -> `test_gw0`, `test_gw1`, ...) and
created when missing, and its own SQLite template under its own temporary folder.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storage.db import Database
from storage.encryption import Keyring, use_keyring
from storage.migrate import upgrade_database
from storage.models import Base
from tests.e2e import process as e2e_process

# End-to-end tests fork their `cutri` processes from a worker's preloaded interpreter instead of
# paying the imports at every start (tests/e2e/process.py); CUTRI_TEST_COLD_START=1 starts
# each one from scratch as an operator would.
e2e_process.WARM_START = os.environ.get("CUTRI_TEST_COLD_START", "") != "1"

# Hypothesis's per-example deadline and its too-slow health check measure the machine, not the
# code: off, so that a busy machine cannot fail a property test.
settings.register_profile("cutri", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("cutri")


def worker_database_url(url: str, worker: str) -> str:
    """The URL of this xdist worker's own database: `<db>_<worker>`, or `url` outside xdist."""
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(
        hide_password=False
    )


TESTS = Path(__file__).parent
# The longest first (a minute each, or near it), then the rest of the end-to-end tests and the
# dispatcher's runs against the clock; everything else after them.
LONGEST = ("soak/test_soak.py", "e2e/test_panel_outreach_browser.py",
           "e2e/test_panel_desk_browser.py", "e2e/test_broadcast_crash.py",
           "e2e/test_panel_browser.py", "scheduler/test_two_dispatchers.py",
           "scheduler/test_outage.py")
LONG = (TESTS / "e2e", TESTS / "scheduler")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first.

    pytest-xdist's `load` scheduling hands the first tests out to the workers in turn, so the
    long ones start at once on different workers instead of ending the run on one of them.
    """
    longest = [TESTS / name for name in LONGEST]

    def rank(item: pytest.Item) -> tuple[int, int]:
        if item.path in longest:
            return 0, longest.index(item.path)
        return (1 if any(item.path.is_relative_to(folder) for folder in LONG) else 2), 0

    items.sort(key=rank)


PG_URL = worker_database_url(
    os.environ.get("TEST_DATABASE_URL", ""), os.environ.get("PYTEST_XDIST_WORKER", "")
)
# Phones and categories are encrypted at rest: the tests run with a key of their own, made
# afresh for each run, as `cutri run` makes one on first start.
use_keyring(Keyring.generate())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    # Alembic runs its own event loop, so it gets a thread of its own. The schema is built
    # afresh: a database left by an older checkout would otherwise keep its old tables.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create_database(PG_URL)).result()
        pool.submit(asyncio.run, empty_schema(PG_URL)).result()
        pool.submit(upgrade_database, PG_URL).result()
    return PG_URL


async def create_database(url: str) -> None:
    """CREATE DATABASE for a worker's database, through the server's `postgres` database."""
    parsed = make_url(url)
    name = parsed.database or ""
    server = Database(parsed.set(database="postgres").render_as_string(hide_password=False))
    try:
        async with server.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            found = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if found is None:
                try:
                    quoted = name.replace('"', '""')
                    await connection.execute(text(f'CREATE DATABASE "{quoted}"'))
                except DBAPIError as error:  # another run created it meanwhile
                    if "already exists" not in str(error):
                        raise
    finally:
        await server.dispose()


async def empty_schema(url: str) -> None:
    database = Database(url)
    try:
        async with database.transaction() as session:
            await session.execute(text("DROP SCHEMA public CASCADE"))
            await session.execute(text("CREATE SCHEMA public"))
    finally:
        await database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "cutri.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite+aiosqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("postgres_ready"))
        await truncate_all(database)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    path = tmp_path / "cutri.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    yield database
    await database.dispose()


async def truncate_all(database: Database) -> None:
    """Empty every table and restart the id sequences, as TRUNCATE ... RESTART IDENTITY would.

    DELETE, children first: a test leaves a few rows, and deleting them takes milliseconds where
    TRUNCATE, which gives each of some forty tables and their indexes new files, takes half a
    second per test.
    """
    async with database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(table.delete())
        await session.execute(text(
            "SELECT setval(s.oid, 1, false) FROM pg_class s"
            " JOIN pg_namespace n ON n.oid = s.relnamespace"
            " WHERE s.relkind = 'S' AND n.nspname = current_schema()"
        ))
