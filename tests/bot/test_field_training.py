"""Retraining a commune's field model in a process of its own, and what villagers then see.

The real `cutri fields train` command runs as a child process on the test's database (SQLite
and PostgreSQL); the scheduler's job starts it only for communes with enough new
classifications, lives through its failure, and stops it at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.field_training import FieldTraining
from scheduler.clock import Clock
from storage.db import Database
from storage.models import Field, FieldModel
from tests.chat import Chat, actions, texts
from tests.e2e.process import run_cutri
from tests.factories import citizen, demo
from tests.field_classifications import (
    CODE,
    HAMLET,
    PROBLEM,
    classified_petitions,
    field_ids,
    minh_hoa,
)

ROOT = Path(__file__).resolve().parents[2]
STREET_LIGHT = "Đèn đường ấp Tân Hậu bị hư 2 tháng nay"


def cutri(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    """`cutri ARGS` as the operator (or the scheduler) runs it, on this database."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
           "DATABASE_URL": db.url, "LOG_LEVEL": "WARNING"}
    return run_cutri(list(args), env=env, cwd=ROOT, timeout=300)


async def suggested(chat: Chat, text: str) -> str:
    """The field the bot offers for a problem typed at the menu (its choice's action)."""
    replies = await chat.send(text)
    await chat.press("pe:cancel")
    offered = [action for action in actions(replies) if action.startswith("pf:")]
    assert offered and offered[0] != "pf:list", texts(replies)
    return offered[0]


async def test_after_retraining_a_communes_own_field_is_suggested_and_a_fresh_one_keeps_the_lexicon(
    db: Database,
) -> None:
    await demo(db)
    commune_id = await minh_hoa(db)
    await classified_petitions(db, commune_id)
    await citizen(db, "5501", HAMLET)
    villager = Chat(db, user_id="5501")
    await citizen(db, "5502")
    demo_villager = Chat(db, user_id="5502", runner=villager.runner)
    ids = await field_ids(db, commune_id)
    async with db.transaction() as session:
        power = (await session.execute(select(Field.id).where(
            Field.code == "power", Field.commune_id != commune_id))).scalar_one()
    # The lexicon knows none of Minh Hòa's codes: nothing points at its own field yet.
    assert await suggested(villager, PROBLEM) != f"pf:{ids['ha-tang-ap']}"

    done = await asyncio.to_thread(cutri, db, "fields", "train", "--commune", CODE)

    assert done.returncode == 0, done.stderr
    assert "Xã Minh Hòa: đã học từ 30 kiến nghị do cán bộ phân loại, 3 lĩnh vực." in done.stdout
    assert await suggested(villager, PROBLEM) == f"pf:{ids['ha-tang-ap']}"
    assert await suggested(villager, "cúp điện hoài, tủ lạnh hư") == f"pf:{ids['dien-nuoc']}"
    # The demo commune has no model: its villagers get the lexicon's suggestion as before.
    assert await suggested(demo_villager, STREET_LIGHT) == f"pf:{power}"


async def test_the_cli_names_an_unknown_commune(sqlite_db: Database) -> None:
    done = await asyncio.to_thread(cutri, sqlite_db, "fields", "train", "--commune", "khong-co")
    assert done.returncode == 2
    assert "khong-co" in done.stderr


async def stored_models(db: Database) -> list[tuple[int, int]]:
    async with db.transaction() as session:
        return list((await session.execute(
            select(FieldModel.commune_id, FieldModel.examples))).tuples())


async def test_the_job_trains_a_commune_only_once_it_has_enough_new_classifications(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    commune_id = await minh_hoa(db)
    await classified_petitions(db, commune_id, per_field=3)
    training = FieldTraining(db, retrain_after=10)

    assert await training.during_the_day() == 0  # nine new: not enough yet
    assert await stored_models(db) == []
    assert await training.at_night() == 1  # anything new, at night
    assert await stored_models(db) == [(commune_id, 9)]
    assert await training.during_the_day() == 0
    assert await training.at_night() == 0  # nothing new since


def failing_command(tmp_path: Path, code: int) -> list[str]:
    """A trainer that marks that it ran, says a petition's words and exits with `code`."""
    script = (f"import sys; open({str(tmp_path / 'pid')!r}, 'w').write('ran'); "
              f"print('Đường vô ấp có ổ gà', file=sys.stderr); sys.exit({code})")
    return [sys.executable, "-c", script]


async def test_a_failed_training_is_logged_without_text_and_retried_only_at_night(
    sqlite_db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    db = sqlite_db
    commune_id = await minh_hoa(db)
    await classified_petitions(db, commune_id, per_field=1)
    training = FieldTraining(db, retrain_after=1, command=failing_command(tmp_path, 3))
    with caplog.at_level(logging.INFO):
        assert await training.during_the_day() == 0
    failures = [r for r in caplog.records if r.name == "bot.field_training"]
    assert [(r.getMessage(), r.__dict__.get("error_code")) for r in failures] == [
        ("field model training failed", 3)]
    assert "ổ gà" not in caplog.text
    (tmp_path / "pid").unlink()
    assert await training.during_the_day() == 0
    assert not (tmp_path / "pid").exists()  # not started again in the day
    assert await training.at_night() == 0
    assert (tmp_path / "pid").exists()  # but at night


async def test_a_shutdown_stops_the_training_child_and_keeps_no_model(
    sqlite_db: Database, tmp_path: Path,
) -> None:
    db = sqlite_db
    commune_id = await minh_hoa(db)
    await classified_petitions(db, commune_id, per_field=1)
    pid_file = tmp_path / "pid"
    slow = [sys.executable, "-c",
            f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
            "time.sleep(600)"]
    training = FieldTraining(db, retrain_after=1, command=slow)
    clock = Clock("Asia/Ho_Chi_Minh")
    clock.start()
    clock.add_job(training.at_night, "date", id="retrain-field-models-night")
    async with asyncio.timeout(60):
        while True:  # the child is starting: waited for as a condition, not a timer
            if pid_file.exists() and pid_file.read_text():
                break
            await asyncio.sleep(0.02)
        pid = int(pid_file.read_text())
        await clock.stop(grace_seconds=0.1)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped, not left behind
    assert await stored_models(db) == []


def test_the_bot_process_never_loads_scikit_learn() -> None:
    """What `cutri run` imports, the scheduler's training job and a field suggested with a
    stored model included: no scikit-learn (nor scipy) in the bot's process. numpy is not
    asked about: openpyxl, which the bot's documents use, loads it whenever it is installed."""
    from handlers.understanding.model import train_field_model

    stored = train_field_model([("đèn đường hư", "power"), ("đường lầy lội", "transport")] * 3)
    script = """
import asyncio, json, sys
import bot.app, bot.field_training, handlers.router
from handlers.petitions.field_suggestion import suggest_field
from handlers.understanding.model import FieldModel
model = FieldModel.from_json(sys.stdin.buffer.read())
suggest_field("Đèn đường ấp Tân Hậu bị hư 2 tháng nay", model)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("sklearn", "scipy"))))
"""
    done = subprocess.run([sys.executable, "-c", script], input=stored.to_json(),
                          capture_output=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == b"[]"
