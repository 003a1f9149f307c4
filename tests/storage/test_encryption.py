"""Encryption at rest: a copy of the database file alone shows no phone or household category."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from storage.db import Database
from storage.encryption import Keyring, KeyringError, current_keyring, reseal_all, use_keyring
from storage.migrate import alembic_config, upgrade_database
from storage.models import Person, Registration
from storage.people.people import set_verified_phone
from tests.chat import Chat
from tests.factories import citizen, demo
from tests.storage.dialogues.test_dialogues import new_dialogue, register

PHONE = "0912345678"


@pytest.fixture
def own_keyring() -> Iterator[Keyring]:
    """A keyring for this test only; the session's one comes back afterwards."""
    before = current_keyring()
    keyring = Keyring.generate()
    use_keyring(keyring)
    yield keyring
    use_keyring(before)


def file_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, as a thief copying them would get them."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def raw_values(db: Database, sql: str) -> list[str]:
    async with db.transaction() as session:
        return [row[0] for row in (await session.execute(text(sql))).all()]


async def test_a_copy_of_the_database_file_shows_no_phone_or_category(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    dialogue_id, hamlets = await new_dialogue(db, {"Ấp Tân Dân": 5})
    person = await citizen(db, "household", "Ấp Tân Dân")
    await register(db, dialogue_id, person, hamlets["Ấp Tân Dân"])
    chat = Chat(db, user_id="2002")
    await chat.reach_name_step(1)
    await chat.press("name:skip")
    await chat.share_contact("+84 912 345 678")
    # What the program reads is the plain value ...
    assert (await chat.person()).phone == PHONE  # type: ignore[union-attr]
    async with db.transaction() as session:
        registration = (await session.execute(select(Registration))).scalar_one()
    assert registration.category == "poor"
    # ... what the file holds is ciphertext under key 1.
    [phone] = await raw_values(db, "SELECT phone FROM people WHERE phone IS NOT NULL")
    [category] = await raw_values(db, "SELECT category FROM registrations")
    assert phone.startswith("1:") and category.startswith("1:")
    path = Path(db.url.removeprefix("sqlite+aiosqlite:///"))
    await db.dispose()
    copy = path.with_name("stolen.db")
    shutil.copy(path, copy)
    raw = file_bytes(path) + copy.read_bytes()
    for shape in (PHONE, "912345678", "+84912345678", "84912345678"):
        assert shape.encode() not in raw
        assert shape.encode("utf-16-le") not in raw


async def test_a_phone_is_found_by_its_keyed_hash_and_not_by_its_text(db: Database) -> None:
    await demo(db)
    person = await citizen(db, "9101")
    async with db.transaction() as session:
        stored = await session.get(Person, person.id)
        assert stored is not None
        await set_verified_phone(session, stored, PHONE)
    async with db.transaction() as session:
        found = (await session.execute(
            select(Person).where(Person.phone_hash == current_keyring().lookup_hash(PHONE))
        )).scalar_one()
    assert found.id == person.id
    [stored_hash] = await raw_values(db, "SELECT phone_hash FROM people WHERE phone_hash "
                                         "IS NOT NULL")
    # A plain SHA-256 of the number could be found by trying all numbers; the HMAC cannot.
    assert stored_hash != hashlib.sha256(PHONE.encode()).hexdigest()


async def test_rotation_reencrypts_every_value_and_the_old_key_is_not_needed(
    db: Database, own_keyring: Keyring,
) -> None:
    dialogue_id, hamlets = await new_dialogue(db, {"Ấp Tân Dân": 5})
    person = await citizen(db, "household", "Ấp Tân Dân")
    await register(db, dialogue_id, person, hamlets["Ấp Tân Dân"])
    async with db.transaction() as session:
        stored = await session.get(Person, person.id)
        assert stored is not None
        await set_verified_phone(session, stored, PHONE)
    both = own_keyring.with_new_key()
    use_keyring(both)
    async with db.transaction() as session:
        connection = await session.connection()
        assert await connection.run_sync(lambda sync: reseal_all(sync, both)) == 2
    values = await raw_values(db, "SELECT phone FROM people WHERE phone IS NOT NULL")
    values += await raw_values(db, "SELECT category FROM registrations")
    assert all(value.startswith("2:") for value in values)
    use_keyring(both.only_primary())
    async with db.transaction() as session:
        again = await session.get(Person, person.id)
        found = (await session.execute(
            select(Person.id).where(Person.phone_hash == both.lookup_hash(PHONE))
        )).scalar_one()
        registration = (await session.execute(select(Registration))).scalar_one()
    assert again is not None and again.phone == PHONE and found == person.id
    assert registration.category == "poor"
    # The retired key alone opens nothing.
    with pytest.raises(KeyringError):
        own_keyring.decrypt(values[0], "people.phone")


def test_the_migration_encrypts_phones_and_categories_stored_in_plain_text(
    tmp_path: Path, own_keyring: Keyring,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    with ThreadPoolExecutor(1) as pool:
        pool.submit(command.upgrade, alembic_config(url), "0007").result()
    connection = sqlite3.connect(tmp_path / "old.db")
    connection.executescript(f"""
        INSERT INTO people (id, phone, phone_verified, created_at)
            VALUES (1, '{PHONE}', 1, '2026-01-01 00:00:00');
    """)
    connection.commit()
    connection.close()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade_database, url).result()
    connection = sqlite3.connect(tmp_path / "old.db")
    phone, phone_hash = connection.execute("SELECT phone, phone_hash FROM people").fetchone()
    connection.close()
    assert phone.startswith("1:") and PHONE not in phone
    assert own_keyring.decrypt(phone, "people.phone") == PHONE
    assert phone_hash == own_keyring.lookup_hash(PHONE)
    assert PHONE.encode() not in (tmp_path / "old.db").read_bytes()
