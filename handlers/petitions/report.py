"""The consolidated petition report for the office: pick a period, get the DOCX and the XLSX.

The documents are administrative papers in Vietnamese whatever the reader's language; the
chat around them follows the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dates import format_date
from handlers.documents.jobs import (
    DocumentRequest,
    ask_for_document,
    back_to_menu,
    builder,
    preparing,
)
from handlers.documents.report_rows import ReportHeading, ReportRow
from handlers.i18n import N_, Translator, translator
from handlers.menu import show_menu
from handlers.petitions.texts import status_name
from handlers.registry import action, choice_number, command, step
from handlers.turn import Turn
from handlers.values import Choice, Kind, Reply
from handlers.voter_contact.notices import TIMING
from handlers.working_commune import working_commune
from storage.documents import DocumentFile
from storage.models import ContactRound, CouncilSession
from storage.permissions import OFFICE_ROLES
from storage.petitions.report import ReportLine, report_lines
from storage.places import get_commune, province_of
from storage.voter_contact.meetings import rounds_of_commune

FLOW = "report"
_RANGE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*[-–]\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
LONGEST = timedelta(days=3 * 366)


@command("report", N_("Petition report, Word and Excel (office)"))
@action("menu:report")
async def start_report(turn: Turn) -> None:
    commune_id = await working_commune(turn, OFFICE_ROLES)
    if commune_id is None:
        await show_menu(turn, turn._("Only the commune office can make petition reports."))
        return
    turn.go(FLOW, "period", commune_id=commune_id)
    await ask_period(turn)


async def ask_period(turn: Turn, note: str = "") -> None:
    _ = turn._
    turn.say(
        (note + "\n" if note else "")
        + _("Which period? Or type two dates, e.g. 01/10/2026 - 30/11/2026."),
        title=_("Petition report"),
        choices=[Choice("rp:month", _("This month")), Choice("rp:last-month", _("Last month")),
                 Choice("rp:year", _("This year")),
                 Choice("rp:round", _("A voter-contact round")),
                 Choice("menu:main", _("✖ Cancel"))],
    )


def period_for(choice: str, today: date) -> tuple[date, date] | None:
    if choice == "rp:month":
        return today.replace(day=1), today
    if choice == "rp:last-month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if choice == "rp:year":
        return today.replace(month=1, day=1), today
    return None


def parse_range(text: str) -> tuple[date, date] | None:
    match = _RANGE.match(text)
    if match is None:
        return None
    d1, m1, y1, d2, m2, y2 = (int(part) for part in match.groups())
    try:
        return date(y1, m1, d1), date(y2, m2, d2)
    except ValueError:
        return None


@step(FLOW, "period")
async def on_period(turn: Turn) -> None:
    today = turn.today
    if turn.inbound.choice == "rp:round":
        rounds = await rounds_of_commune(turn.db, int(turn.data["commune_id"]))
        if not rounds:
            await ask_period(turn, turn._("No voter-contact round has been planned yet."))
            return
        turn.go(FLOW, "round")
        turn.say(turn._("Which round?"), choices=[
            Choice(f"rr:{r.id}", f"{s.title} · {turn._(TIMING[r.timing])}")
            for r, s in rounds[-12:]] + [Choice("menu:main", turn._("✖ Cancel"))])
        return
    period = period_for(turn.inbound.choice or "", today)
    if period is None and turn.inbound.kind is Kind.TEXT:
        period = parse_range(turn.inbound.text)
        if period is None:
            await ask_period(turn, turn._("I could not read those dates."))
            return
    if period is None:
        await ask_period(turn)
        return
    first, last = period
    if last < first or last - first > LONGEST:
        await ask_period(turn, turn._("The period must run forward and be at most three years."))
        return
    await send_report(turn, int(turn.data["commune_id"]), first, last, today)


@step(FLOW, "round")
async def on_round(turn: Turn) -> None:
    rounds = {r.id: (r, s) for r, s in await rounds_of_commune(turn.db,
                                                               int(turn.data["commune_id"]))}
    chosen = rounds.get(choice_number(turn.inbound.choice) or 0)
    if chosen is None:
        await ask_period(turn)
        return
    contact_round, session = chosen
    label = round_label(contact_round, session)
    await send_report(turn, int(turn.data["commune_id"]), contact_round.window_start,
                      contact_round.window_end, turn.today,
                      round_id=contact_round.id, label=label)


def round_label(contact_round: ContactRound, session: CouncilSession) -> str:
    """How the report names a voter-contact round (in Vietnamese, as the document is)."""
    return "đợt tiếp xúc cử tri {timing} {session}".format(
        timing=translator("vi")._(TIMING[contact_round.timing]), session=session.title)


def to_row(line: ReportLine, today: date) -> ReportRow:
    vi = translator("vi")
    return ReportRow(
        code=line.code, received_on=line.received_on, hamlet=line.hamlet, voter=line.voter,
        content=line.content, competence=line.competence, field=line.field,
        agency=line.agency, status=status_name(vi, line.status).capitalize(),
        due_on=line.due_on, answered_on=line.answered_on, answer=line.answer,
        overdue=line.status == "forwarded" and line.due_on is not None and line.due_on < today,
    )


async def send_report(turn: Turn, commune_id: int, first: date, last: date, today: date, *,
                      round_id: int | None = None, label: str | None = None) -> None:
    # Building a large report takes seconds: the worker does it after this update's
    # transaction, so the other people whose updates share it are not held up meanwhile.
    await ask_for_document(turn, "petition_report", {
        "commune_id": commune_id, "first": first.isoformat(), "last": last.isoformat(),
        "today": today.isoformat(), "round_id": round_id, "label": label,
    }, commune_id=commune_id, roles=OFFICE_ROLES)
    turn.end()
    turn.say(preparing(turn.t), title=turn._("Petition report"))
    await show_menu(turn)


@dataclass(frozen=True)
class ReportToBuild:
    heading: ReportHeading
    lines: list[ReportLine]
    first: date
    last: date


async def gather_report(db: AsyncSession, request: DocumentRequest) -> ReportToBuild:
    params = request.params
    commune_id = int(params["commune_id"])
    first, last = date.fromisoformat(params["first"]), date.fromisoformat(params["last"])
    today = date.fromisoformat(params["today"])
    commune = await get_commune(db, commune_id)
    if commune is None:
        raise LookupError("the commune is gone")
    # Read as the person who asked, now: the audit log names them, and whoever was
    # forgotten meanwhile is left out.
    lines = await report_lines(db, commune_id, first, last, round_id=params.get("round_id"),
                               reader=request.person)
    province = await province_of(db, commune)
    heading = ReportHeading(
        province=province.name if province else "", commune=commune.name,
        period_label=params.get("label")
        or f"từ ngày {format_date(first)} đến ngày {format_date(last)}",
        issued_on=today,
    )
    return ReportToBuild(heading, lines, first, last)


def build_report(gathered: ReportToBuild) -> list[DocumentFile]:
    # The document libraries load when a document is made, not with the bot.
    from handlers.documents.petition_report import (
        build_report_docx,
        build_report_xlsx,
        headline_figures,
    )

    # Thousands of rows: written out here, in the worker's thread, not on the event loop.
    rows = [to_row(line, gathered.heading.issued_on) for line in gathered.lines]
    stem = f"bao-cao-kien-nghi-{gathered.first:%Y%m%d}-{gathered.last:%Y%m%d}"
    figures = headline_figures(rows)
    counts = {"first": gathered.first.isoformat(), "last": gathered.last.isoformat(),
              "total": figures.total, "answered": figures.answered,
              "on_time": figures.answered_on_time, "overdue": figures.overdue}
    # Names of petitioners who let them be shown: personal data (short-lived, single-use link).
    return [
        DocumentFile(f"{stem}.docx", build_report_docx(gathered.heading, rows),
                     "petition_report_ready", counts, personal=True),
        DocumentFile(f"{stem}.xlsx", build_report_xlsx(gathered.heading, rows),
                     "petition_report_sheet_ready", personal=True),
    ]


builder("petition_report", gather_report, build_report)


def _attached(params: dict[str, Any]) -> tuple[str, str] | None:
    attached = params.get("file")
    return (str(attached[0]), str(attached[1])) if attached else None


def report_ready(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(
        text=t._("Petitions received from {first} to {last}: {total}\nAnswered: {answered} (on "
                 "time: {on_time})\nOverdue: {overdue}",
                 first=format_date(date.fromisoformat(str(params.get("first")))),
                 last=format_date(date.fromisoformat(str(params.get("last")))),
                 **{key: params.get(key, 0)
                    for key in ("total", "answered", "on_time", "overdue")}),
        title=t._("Petition report"), file=_attached(params),
    )


def report_sheet_ready(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(text=t._("The same rows as a spreadsheet."), file=_attached(params),
                 choices=back_to_menu(t))


REPORT_NOTICES: dict[str, Callable[[Translator, dict[str, Any]], Reply]] = {
    "petition_report_ready": report_ready,
    "petition_report_sheet_ready": report_sheet_ready,
}
