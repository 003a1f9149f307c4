"""The periodic jobs that turn time into data changes, on the clock (`scheduler.clock`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.clock import Clock
from storage.db import Database
from storage.dialogues.dialogues import expire_offers_and_release
from storage.files import purge_expired_files
from storage.messaging.broadcasts import finish_broadcasts
from storage.messaging.retention import purge_sent_payloads
from storage.petitions.deadlines import remind_petition_deadlines
from storage.voter_contact.dossiers import plan_dossiers
from storage.voter_contact.reminders import fire_due_reminders
from storage.voter_contact.report_back import send_due_report_backs
from storage.working_days import is_working_day

log = logging.getLogger(__name__)
REMINDER_BATCH = 200


async def close_finished_broadcasts(db: Database) -> None:
    async with db.transaction() as session:
        finished = await finish_broadcasts(session)
    if finished:
        log.info("broadcasts finished", extra={"outcome": len(finished)})


async def chase_petition_answers(db: Database, timezone: str) -> None:
    today = datetime.now(ZoneInfo(timezone)).date()
    if not is_working_day(today):
        return
    async with db.transaction() as session:
        chased = await remind_petition_deadlines(session, today)
    log.info("petition deadlines chased", extra={"outcome": chased.overdue})


async def send_due_reminders(db: Database) -> None:
    """Reminders fall due at whole minutes (07:00...); a few seconds late is fine."""
    while True:
        async with db.transaction() as session:
            fired = await fire_due_reminders(session)
        if fired < REMINDER_BATCH:
            return


async def ask_for_dossiers(db: Database, days_before: int) -> None:
    """Each delegate's dossier for the rounds about to begin (the worker builds them)."""
    async with db.transaction() as session:
        asked = await plan_dossiers(session, days_before)
    if asked:
        log.info("delegate dossiers asked for", extra={"outcome": asked})


async def send_report_backs(db: Database) -> None:
    async with db.transaction() as session:
        sent = await send_due_report_backs(session)
    if sent:
        log.info("report-backs sent", extra={"outcome": sent})


async def pass_on_dialogue_seats(db: Database) -> None:
    async with db.transaction() as session:
        await expire_offers_and_release(session)


async def drop_expired_files(db: Database) -> None:
    async with db.transaction() as session:
        await purge_expired_files(session)


async def purge_old_payloads(db: Database, retention_days: int) -> None:
    async with db.transaction() as session:
        purged = await purge_sent_payloads(session, retention=timedelta(days=retention_days))
    log.info("old outbox payloads purged", extra={"outcome": purged})


def one_replica(name: str, job: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """`job`, run by one replica at a time: the others skip this turn (the job is periodic, and
    a replica that dies lets the next one in). Each of these jobs would be safe twice over,
    but would do the same work twice and race for the same rows."""

    async def run_alone(db: Database, *args: Any) -> None:
        async with db.alone(f"job:{name}") as alone:
            if alone:
                await job(db, *args)

    return run_alone


def build_scheduler(
    db: Database, timezone: str, *, outbox_retention_days: int = 30, dossier_days: int = 5
) -> Clock:
    scheduler = Clock(timezone)

    def add(name: str, job: Callable[..., Awaitable[None]], trigger: str, *args: Any,
            **timing: Any) -> None:
        scheduler.add_job(one_replica(name, job), trigger, args=[db, *args], id=name,
                          max_instances=1, coalesce=True, **timing)

    add("close-finished-broadcasts", close_finished_broadcasts, "interval", seconds=15)
    # 08:00 local, when the offices open; a process that was down then catches up until noon.
    add("chase-petition-answers", chase_petition_answers, "cron", timezone, hour=8,
        misfire_grace_time=4 * 3600)
    add("send-due-reminders", send_due_reminders, "interval", seconds=20)
    add("pass-on-dialogue-seats", pass_on_dialogue_seats, "interval", seconds=60)
    add("drop-expired-files", drop_expired_files, "cron", hour=3,
        misfire_grace_time=12 * 3600)
    add("purge-old-payloads", purge_old_payloads, "cron", outbox_retention_days, hour=3,
        minute=30, misfire_grace_time=12 * 3600)
    # 07:00 local, with the delegates' other morning reminders; a process down then catches up
    # until 11:00, and the next morning's run finds what is still missing.
    add("ask-for-dossiers", ask_for_dossiers, "cron", dossier_days, hour=7,
        misfire_grace_time=4 * 3600)
    add("send-report-backs", send_report_backs, "interval", seconds=60)
    return scheduler
