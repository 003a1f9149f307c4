"""Where the encryption key lives, making it on first start, and rotating it.

The keyring comes from `ENCRYPTION_KEYS` when set, else from a key file (mode 600): the
`ENCRYPTION_KEY_FILE` setting, or beside the SQLite database (`cutri.db.key`), or `var/cutri.key`
for PostgreSQL. It is never kept in the database, so a copy of the database alone reveals no
phone number or household category.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import Settings
from storage.encryption import Keyring, load_key_file, use_keyring, write_key_file

log = logging.getLogger(__name__)


def key_file_path(settings: Settings) -> Path:
    if settings.encryption_key_file:
        return Path(settings.encryption_key_file)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database + ".key")
    return Path("var/cutri.key")


def install_keys(settings: Settings) -> Keyring:
    """Load the keyring (making a key file on first use) and install it for this process."""
    if settings.encryption_keys is not None:
        keyring = Keyring.parse(settings.encryption_keys.get_secret_value())
    else:
        path = key_file_path(settings)
        if path.exists():
            keyring = load_key_file(path)
        else:
            keyring = Keyring.generate()
            write_key_file(path, keyring)
            log.warning(
                "no encryption key was configured: made one and keep it in %s (mode 600). "
                "Back it up apart from the database: without it, phones and household "
                "categories cannot be read.", path.resolve(),
            )
    use_keyring(keyring)
    return keyring


async def verify_keys(settings: Settings, keyring: Keyring) -> None:
    """Raise KeyringError if the database holds values this keyring cannot open."""
    from storage.db import Database
    from storage.encryption import check_keyring

    db = Database(settings.database_url)
    try:
        async with db.engine.connect() as connection:
            await connection.run_sync(lambda sync: check_keyring(sync, keyring))
    finally:
        await db.dispose()


@dataclass(frozen=True)
class Rotated:
    values: int
    key_id: int
    # Keys still listed in ENCRYPTION_KEYS that no stored value needs any more.
    retired: list[int]


async def rotate_keys(settings: Settings) -> Rotated:
    """Re-encrypt every stored value under a new key; the old keys are then dropped.

    With a key file the new key is made here, written beside the old ones before any value
    changes (a crash midway leaves everything readable), and the old ones go once every value
    is re-encrypted in one transaction. With `ENCRYPTION_KEYS` the operator adds the new key
    (the highest number) first; the values move to it and the old entries can then be removed.
    """
    from storage.db import Database
    from storage.encryption import reseal_all
    from storage.migrate import upgrade_database_async

    current = install_keys(settings)
    from_file = settings.encryption_keys is None
    keyring = current.with_new_key() if from_file else current
    path = key_file_path(settings)
    if from_file:
        write_key_file(path, keyring)
    use_keyring(keyring)
    await upgrade_database_async(settings.database_url)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            connection = await session.connection()
            count = await connection.run_sync(lambda sync: reseal_all(sync, keyring))
    finally:
        await db.dispose()
    final = keyring.only_primary()
    if from_file:
        write_key_file(path, final)
    use_keyring(final)
    retired = [] if from_file else sorted(set(keyring.keys) - {keyring.primary})
    return Rotated(values=count, key_id=final.primary, retired=retired)
