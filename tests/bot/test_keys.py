"""The encryption key: made on first use beside the database (mode 600), never in it; rotated."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from bot.keys import key_file_path
from bot.settings import Settings
from storage.db import Database
from storage.encryption import current_keyring, load_key_file, use_keyring
from tests.bot.test_cli import ROOT, cutri
from tests.chat import Chat

PHONE = "0987654321"


def test_the_key_file_sits_beside_a_sqlite_database_or_under_var() -> None:
    assert key_file_path(Settings(database_url="sqlite:///data/x.db")) == Path("data/x.db.key")
    assert key_file_path(Settings(database_url="postgresql://u@h/db")) == Path("var/cutri.key")
    assert key_file_path(Settings(encryption_key_file="/etc/cutri/key")) == Path("/etc/cutri/key")


async def test_cutri_makes_a_key_on_first_use_and_rotation_replaces_it(tmp_path: Path) -> None:
    first = cutri(tmp_path, "seed-demo", "--commune-only", own_key=True)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "c.db.key"
    assert str(key_file) in first.stdout + first.stderr  # says where it keeps it
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    keyring = load_key_file(key_file)
    assert keyring.dumps().split(":", 1)[1].strip().encode() not in (tmp_path / "c.db").read_bytes()
    # A second command uses the same key rather than making another.
    assert cutri(tmp_path, "seed-demo", "--if-empty", own_key=True).returncode == 0
    assert load_key_file(key_file) == keyring
    before = current_keyring()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    try:
        use_keyring(keyring)
        chat = Chat(db, user_id="3003")
        await chat.reach_name_step(1)
        await chat.press("name:skip")
        await chat.share_contact(PHONE)
        rotated = cutri(tmp_path, "keys", "rotate", own_key=True)
        assert rotated.returncode == 0, rotated.stderr
        assert "1 value(s) re-encrypted under key 2" in rotated.stdout
        new = load_key_file(key_file)
        assert set(new.keys) == {2}
        async with db.transaction() as session:
            stored = (await session.execute(text("SELECT phone FROM people WHERE phone IS NOT "
                                                 "NULL"))).scalar_one()
        assert stored.startswith("2:") and new.decrypt(stored, "people.phone") == PHONE
        use_keyring(new)
        assert (await chat.person()).phone == PHONE  # type: ignore[union-attr]
    finally:
        use_keyring(before)
        await db.dispose()


def test_a_malformed_key_setting_is_one_clear_line(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
           "ENCRYPTION_KEYS": "1:short", "PATH": os.environ.get("PATH", "")}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "ENCRYPTION_KEYS" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_process_with_another_key_refuses_to_start_rather_than_write(tmp_path: Path) -> None:
    assert cutri(tmp_path, "seed-demo").returncode == 0
    created = cutri(tmp_path, "admin", "create", "--commune", "tan-thuan-tay",
                    "--telegram", "515151")
    assert created.returncode == 0
    connection = sqlite3.connect(tmp_path / "c.db")
    sealed = current_keyring().encrypt(PHONE, "people.phone")
    connection.execute("UPDATE people SET phone = ?", (sealed,))
    connection.commit()
    connection.close()
    # No key configured: a fresh key file would be made, which cannot open the phone.
    refused = cutri(tmp_path, "invite", "list", "--commune", "tan-thuan-tay", own_key=True)
    assert refused.returncode == 2 and "another key" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert cutri(tmp_path, "invite", "list", "--commune", "tan-thuan-tay").returncode == 0
