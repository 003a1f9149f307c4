"""Encryption at rest: phones and household categories as AES-GCM ciphertext, phones also as HMAC.

A keyring holds numbered 256-bit keys; the highest number encrypts, any number decrypts, and
every stored value starts with the number of the key that sealed it. So a value written before a
rotation stays readable until `cutri keys rotate` has re-encrypted it under the new key.

Equality on a ciphertext means nothing (each value gets a fresh nonce), so phones are found
through a keyed hash (`phone_lookup`); without the key, the hash of every possible phone number
cannot be computed and tried, as it could with a plain SHA-256.

The keyring is installed once per process (`use_keyring`) before the database is used: by the
`cutri` command from settings or its key file, by the tests with a generated one. It is never
stored in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, String, Text, column, select, table, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import ColumnClause
from sqlalchemy.types import TypeDecorator

KEY_BYTES = 32
NONCE_BYTES = 12
# Column that holds ciphertext, the context sealed into it (a value copied into another
# column does not decrypt there), and for phones the column of its lookup hash.
ENCRYPTED_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("people", "phone", "phone_hash"),
    ("registrations", "category", None),
    # What a person sent, between its arrival and its handling (seconds).
    ("inbound_events", "payload", None),
)


class KeyringError(Exception):
    """No keyring is installed, a value names a key the keyring lacks, or a key file is bad."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[int, bytes] = field(default_factory=dict)
    # One cipher per key, made on first use: every update waiting in the inbox is sealed.
    _ciphers: dict[int, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    def _cipher(self, number: int) -> AESGCM:
        cipher = self._ciphers.get(number)
        if cipher is None:
            cipher = self._ciphers[number] = AESGCM(self.keys[number])
        return cipher

    @classmethod
    def generate(cls) -> Keyring:
        return cls({1: secrets.token_bytes(KEY_BYTES)})

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """`1:<base64 key>` entries, one per line (or separated by commas or spaces)."""
        keys: dict[int, bytes] = {}
        for entry in text.replace(",", " ").split():
            number, _, encoded = entry.partition(":")
            try:
                key = base64.urlsafe_b64decode(encoded.encode())
                key_id = int(number)
            except ValueError as error:
                raise KeyringError("a key entry is not `number:base64 key`") from error
            if len(key) != KEY_BYTES or key_id < 1 or not number.isascii():
                raise KeyringError("a key must be 32 bytes, numbered from 1")
            keys[key_id] = key
        if not keys:
            raise KeyringError("no key found")
        return cls(keys)

    def dumps(self) -> str:
        return "".join(
            f"{key_id}:{base64.urlsafe_b64encode(key).decode()}\n"
            for key_id, key in sorted(self.keys.items())
        )

    @property
    def primary(self) -> int:
        return max(self.keys)

    def with_new_key(self) -> Keyring:
        """The same keys plus a fresh one, which becomes the primary."""
        return Keyring({**self.keys, self.primary + 1: secrets.token_bytes(KEY_BYTES)})

    def only_primary(self) -> Keyring:
        return Keyring({self.primary: self.keys[self.primary]})

    def encrypt(self, plain: str, context: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._cipher(self.primary).encrypt(nonce, plain.encode(), context.encode())
        return f"{self.primary}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, context: str) -> str:
        number, _, encoded = stored.partition(":")
        key_number = int(number) if number.isdigit() and number.isascii() else None
        if key_number is None or key_number not in self.keys:
            raise KeyringError(f"a stored value needs key {number[:8]!r}, which is not configured")
        raw = base64.urlsafe_b64decode(encoded.encode())
        try:
            plain = self._cipher(key_number).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                                     context.encode())
        except InvalidTag as error:
            raise KeyringError(f"a stored value does not decrypt with key {number}") from error
        return plain.decode()

    def lookup_hash(self, value: str) -> str:
        """HMAC-SHA256 under a key derived from the primary key (not the encryption key itself)."""
        lookup_key = hmac.new(self.keys[self.primary], b"cutri lookup", hashlib.sha256).digest()
        return hmac.new(lookup_key, value.encode(), hashlib.sha256).hexdigest()


_installed: Keyring | None = None


def use_keyring(keyring: Keyring | None) -> None:
    """Install the process's keyring (None uninstalls it)."""
    global _installed
    _installed = keyring


def current_keyring() -> Keyring:
    if _installed is None:
        raise KeyringError("no encryption key is configured in this process")
    return _installed


def phone_lookup(phone: str) -> str:
    """The keyed hash a phone is found by."""
    return current_keyring().lookup_hash(phone)


class Encrypted(TypeDecorator[str]):
    """A text column stored as AES-GCM ciphertext under the installed keyring."""

    impl = String(160)
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else current_keyring().encrypt(value, self.context)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else current_keyring().decrypt(value, self.context)


class EncryptedText(Encrypted):
    """As `Encrypted`, for values of any length."""

    impl = Text()
    cache_ok = True


def reseal_all(connection: Connection, keyring: Keyring, *, from_plain: bool = False) -> int:
    """Encrypt every stored value under `keyring`'s primary key; returns how many.

    Values are read and written as raw text, so this works inside a migration (whose models
    may be newer than its schema) as well as for a key rotation. `from_plain`: the values
    are still plain text (the migration that introduced encryption).
    """
    count = 0
    for table_name, column_name, hash_name in ENCRYPTED_COLUMNS:
        columns: list[ColumnClause[Any]] = [column("id"), column(column_name)]
        if hash_name is not None:
            columns.append(column(hash_name))
        raw = table(table_name, *columns)
        context = f"{table_name}.{column_name}"
        rows = connection.execute(
            select(raw.c.id, raw.c[column_name]).where(raw.c[column_name].is_not(None))
        ).all()
        for row_id, stored in rows:
            plain = stored if from_plain else keyring.decrypt(stored, context)
            values = {column_name: keyring.encrypt(plain, context)}
            if hash_name is not None:
                values[hash_name] = keyring.lookup_hash(plain)
            connection.execute(update(raw).where(raw.c.id == row_id).values(**values))
            count += 1
    return count


def check_keyring(connection: Connection, keyring: Keyring) -> None:
    """Raise unless `keyring` opens what is stored: one value per key number and column.

    A replica started without the shared key would make a key of its own, number 1 like the
    real one, and write values nobody else can read: it must stop at once instead. Values
    that are not ciphertext yet (before the migration that seals them) are skipped, and so is
    a database without the tables.
    """
    for table_name, column_name, _hash_name in ENCRYPTED_COLUMNS:
        raw = table(table_name, column("id"), column(column_name))
        try:
            values = connection.execute(
                select(raw.c[column_name]).where(raw.c[column_name].is_not(None)).limit(200)
            ).scalars().all()
        except DBAPIError:
            return
        seen: set[str] = set()
        for value in values:
            number, separator, _ = str(value).partition(":")
            if not separator or not number.isdigit() or number in seen:
                continue
            seen.add(number)
            keyring.decrypt(str(value), f"{table_name}.{column_name}")


def load_key_file(path: Path) -> Keyring:
    return Keyring.parse(path.read_text(encoding="ascii"))


def write_key_file(path: Path, keyring: Keyring) -> None:
    """Owner-only (mode 600), written beside and then moved over the old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".new")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(keyring.dumps())
    os.chmod(partial, 0o600)
    os.replace(partial, path)
