"""Operator commands: demo data, the first admin, and invite links that grant roles once."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.encryption import current_keyring
from storage.folding import fold
from storage.models import ChannelIdentity, RoleGrant
from tests.chat import Chat, texts
from tests.e2e.process import run_cutri

ROOT = Path(__file__).resolve().parents[2]


def cutri(tmp_path: Path, *args: str, own_key: bool = False) -> subprocess.CompletedProcess[str]:
    """`cutri ARGS` on tmp_path/c.db; with the tests' key, unless `own_key` (a key file)."""
    env = {"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    if not own_key:
        env["ENCRYPTION_KEYS"] = current_keyring().dumps()
    return run_cutri(list(args), env=env, cwd=tmp_path)


async def test_admin_create_binds_an_account_and_prints_invites_that_work_once(
    tmp_path: Path,
) -> None:
    # The commune alone: the whole demo has an office clerk of its own.
    assert cutri(tmp_path, "seed-demo", "--commune-only").returncode == 0
    assert "not loaded" in cutri(tmp_path, "seed-demo", "--if-empty").stdout
    created = cutri(tmp_path, "admin", "create", "--commune", "tan-thuan-tay",
                    "--telegram", "424242")
    assert created.returncode == 0, created.stderr
    tokens = re.findall(r"Telegram: /start (inv-\S+)", created.stdout)
    assert len(tokens) == 3
    # Delegates are invited by seat only: no seatless delegate link is printed.
    assert "delegate " not in created.stdout.split("Delegates are invited")[0]
    assert "--seat" in created.stdout
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    staff = Chat(db, user_id="777")
    await staff.send(f"/start {tokens[0]}")
    replies = await staff.press("consent:yes")
    assert "cán bộ Văn phòng" in texts(replies)
    someone_else = Chat(db, user_id="778", runner=staff.runner)
    await someone_else.send(f"/start {tokens[0]}")
    replies = await someone_else.press("consent:yes")
    assert "không còn hiệu lực" in texts(replies)
    admin = Chat(db, user_id="424242", runner=staff.runner)
    await admin.send("/start")
    await admin.press("consent:yes")
    replies = await admin.send("/menu") + await admin.press("menu:more:1")
    assert "menu:invite" in [c.action for r in replies for c in r.choices]
    offered = {c.label: c.action for r in await admin.press("menu:invite") for c in r.choices}
    # Office, one choice per delegate seat (eight) and per agency (six), the list, cancel.
    assert len([a for a in offered.values() if a.startswith(("iv:office", "iv:dl:", "iv:ag:"))
                ]) == 15
    agency = next(a for label, a in offered.items() if "Phòng Kinh tế xã" in label)
    link = texts(await admin.press(agency))
    # One press, one code: for the agency chosen, nothing else.
    assert len(re.findall(r"Mã mời: [A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}\b", link)) == 1
    assert "Phòng Kinh tế xã" in link
    async with db.transaction() as session:
        roles = (
            await session.execute(
                select(ChannelIdentity.external_id, RoleGrant.role).join(
                    RoleGrant, RoleGrant.person_id == ChannelIdentity.person_id
                )
            )
        ).all()
    await db.dispose()
    assert sorted(roles) == [("424242", "admin"), ("777", "office")]


async def test_the_demo_prints_an_office_invite_once_and_it_opens_the_office_side(
    tmp_path: Path,
) -> None:
    seeded = cutri(tmp_path, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    [code] = re.findall(r"type the invite code (\S+) on the chat page", seeded.stdout)
    # Loading it again changes nothing, so no second invite: the command to make one instead.
    again = cutri(tmp_path, "seed-demo")
    assert "invite code" not in again.stdout
    assert "cutri invite --commune tan-thuan-tay --role office" in again.stdout
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    office = Chat(db, user_id="779")
    await office.send(f"Mã mời {code.lower()}")  # typed as a clerk would, in any case
    replies = await office.press("consent:yes")
    assert "cán bộ Văn phòng" in texts(replies)
    await db.dispose()


def test_operator_mistakes_get_one_clear_line(tmp_path: Path) -> None:
    cutri(tmp_path, "seed-demo")
    wrong_commune = cutri(tmp_path, "admin", "create", "--commune", "nowhere", "--zalo", "abc")
    assert wrong_commune.returncode == 2 and "no commune" in wrong_commune.stderr
    wrong_id = cutri(tmp_path, "admin", "create", "--commune", "tan-thuan-tay",
                     "--telegram", "@someone")
    assert wrong_id.returncode == 2 and "number" in wrong_id.stderr
    assert "Traceback" not in wrong_commune.stderr + wrong_id.stderr


def database_bytes(folder: Path) -> bytes:
    """The database file and its write-ahead log, as a copy of them would hold them."""
    return b"".join(path.read_bytes() for path in folder.glob("c.db*"))


async def test_invites_are_listed_and_revoked_from_the_command_line(tmp_path: Path) -> None:
    assert cutri(tmp_path, "seed-demo", "--commune-only").returncode == 0
    made = cutri(tmp_path, "invite", "--commune", "tan-thuan-tay", "--role", "office",
                 "--count", "2")
    tokens = re.findall(r"/start (inv-\S+)", made.stdout)
    assert made.returncode == 0 and len(tokens) == 2
    codes = re.findall(r"code ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2})\n", made.stdout)
    assert [code.replace("-", "") for code in codes] == [t.removeprefix("inv-") for t in tokens]
    listed = cutri(tmp_path, "invite", "list", "--commune", "tan-thuan-tay")
    numbers = re.findall(r"^\s*(\d+)\s+office", listed.stdout, re.M)
    assert len(numbers) == 2, listed.stdout
    # The database keeps hashes only: the links printed are nowhere in it.
    raw = (tmp_path / "c.db").read_bytes()
    assert all(token.removeprefix("inv-").encode() not in raw for token in tokens)
    assert cutri(tmp_path, "invite", "revoke", numbers[0]).returncode == 0
    again = cutri(tmp_path, "invite", "revoke", numbers[0])
    assert again.returncode == 2 and "no live invite" in again.stderr
    listed = cutri(tmp_path, "invite", "list", "--commune", "tan-thuan-tay")
    assert re.findall(r"^\s*(\d+)\s+office", listed.stdout, re.M) == [numbers[1]]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    first, second = Chat(db, user_id="901"), None
    await first.send(f"/start {tokens[0]}")
    assert "không còn hiệu lực" in texts(await first.press("consent:yes"))
    second = Chat(db, user_id="902", runner=first.runner)
    await second.send(f"/start {tokens[1]}")
    # Waiting for consent, the conversation keeps the link's hash, not the link.
    raw = database_bytes(tmp_path)
    assert tokens[1].removeprefix("inv-").encode() not in raw
    assert "cán bộ Văn phòng" in texts(await second.press("consent:yes"))
    await db.dispose()


async def test_a_delegate_invite_names_a_seat_listed_with_its_unit(tmp_path: Path) -> None:
    assert cutri(tmp_path, "seed-demo").returncode == 0
    seats = cutri(tmp_path, "invite", "seats", "--commune", "tan-thuan-tay")
    assert seats.returncode == 0 and "8 seat(s)" in seats.stdout
    first = re.search(r"^\s*(\d+)\s+(\S.*?)\s{2,}(\S.*?)\s+open$", seats.stdout, re.M)
    assert first is not None, seats.stdout
    seat_id, name = first.group(1), first.group(2)
    seatless = cutri(tmp_path, "invite", "--commune", "tan-thuan-tay", "--role", "delegate")
    assert seatless.returncode == 2 and "--seat" in seatless.stderr
    assert "Traceback" not in seatless.stderr
    env = {"TELEGRAM_BOT_USERNAME": "cutri_ttt_bot", "ZALO_BOT_URL": "https://zalo.me/12345"}
    by_name = cutri_env(tmp_path, env, "invite", "--commune", "tan-thuan-tay", "--role",
                        "delegate", "--seat", fold(name).upper())
    assert by_name.returncode == 0, by_name.stderr
    assert name in by_name.stdout
    assert re.search(r"https://t\.me/cutri_ttt_bot\?start=inv-[A-Z0-9]{10}\n", by_name.stdout)
    assert "Zalo: https://zalo.me/12345 (then type the code)" in by_name.stdout
    by_id = cutri(tmp_path, "invite", "--commune", "tan-thuan-tay", "--role", "delegate",
                  "--seat", seat_id)
    assert by_id.returncode == 0
    codes = re.findall(r"code ([A-Z0-9-]{12})\n", by_id.stdout)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    newcomer = Chat(db, channel="zalo", user_id="z-seat")
    await newcomer.send(f"Mã mời {codes[0]}")
    assert "đại biểu" in texts(await newcomer.press("consent:yes"))
    await db.dispose()
    held = cutri(tmp_path, "invite", "seats", "--commune", "tan-thuan-tay")
    assert re.search(rf"^\s*{seat_id}\s+.*held$", held.stdout, re.M)


def cutri_env(tmp_path: Path, env: dict[str, str], *args: str
              ) -> subprocess.CompletedProcess[str]:
    full = {"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
            "ENCRYPTION_KEYS": current_keyring().dumps(), **env}
    return run_cutri(list(args), env=full, cwd=tmp_path)
