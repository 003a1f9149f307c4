"""The periodic jobs that turn time into data changes, on the clock (`scheduler.clock`)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
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


def build_scheduler(
    db: Database, timezone: str, *, outbox_retention_days: int = 30, dossier_days: int = 5
) -> Clock:
    scheduler = Clock(timezone)
    scheduler.add_job(
        close_finished_broadcasts,
        "interval",
        seconds=15,
        args=[db],
        id="close-finished-broadcasts",
        max_instances=1,
        coalesce=True,
    )
    # 08:00 local, when the offices open; a process that was down then catches up until noon.
    scheduler.add_job(
        chase_petition_answers,
        "cron",
        hour=8,
        args=[db, timezone],
        id="chase-petition-answers",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=4 * 3600,
    )
    scheduler.add_job(
        send_due_reminders, "interval", seconds=20, args=[db], id="send-due-reminders",
        max_instances=1, coalesce=True,
    )
    # 07:00 local, with the delegates' other morning reminders; a process down then catches up
    # until 11:00, and the next morning's run finds what is still missing.
    scheduler.add_job(
        ask_for_dossiers, "cron", hour=7, args=[db, dossier_days], id="ask-for-dossiers",
        max_instances=1, coalesce=True, misfire_grace_time=4 * 3600,
    )
    scheduler.add_job(
        send_report_backs, "interval", seconds=60, args=[db], id="send-report-backs",
        max_instances=1, coalesce=True,
    )
    scheduler.add_job(
        pass_on_dialogue_seats, "interval", seconds=60, args=[db], id="pass-on-dialogue-seats",
        max_instances=1, coalesce=True,
    )
    scheduler.add_job(
        drop_expired_files, "cron", hour=3, args=[db], id="drop-expired-files",
        max_instances=1, coalesce=True, misfire_grace_time=12 * 3600,
    )
    scheduler.add_job(
        purge_old_payloads, "cron", hour=3, minute=30, args=[db, outbox_retention_days],
        id="purge-old-payloads", max_instances=1, coalesce=True, misfire_grace_time=12 * 3600,
    )
    return scheduler
