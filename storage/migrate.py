"""Schema migrations: Alembic driven from code, so `cutri db upgrade` needs no alembic.ini."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`. Blocking: call it from a thread inside an event loop."""
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_database_async(database_url: str) -> None:
    # env.py runs its own event loop, which cannot nest inside ours.
    await asyncio.to_thread(upgrade_database, database_url)
