"""The panel's reports: the consolidated petition report for any period, and the audit log.

The report is the chat's `/report` (`handlers.petitions.report`): gathered as the person who
asked, now (a staff read of personal data, audited), and built by the same document code. It
is served from the form's POST, so neither the file nor the period sits in an address.
The audit log shows what happened, when and by which staff member, never personal data.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from urllib.parse import urlencode

from aiohttp import web

from bot.panel.context import PANEL, render, staff_of
from bot.panel.petitions import HISTORY_NAMES
from handlers.documents.jobs import DocumentRequest
from handlers.i18n import N_
from handlers.petitions.report import (
    LONGEST,
    ReportToBuild,
    gather_report,
    round_label,
    to_row,
)
from handlers.voter_contact.notices import TIMING
from storage.audit_log import KINDS, AuditQuery, commune_staff, find_audit_entries
from storage.models import Person
from storage.models.base import utcnow
from storage.petitions.petitions import LOCAL
from storage.places import get_commune
from storage.voter_contact.meetings import rounds_of_commune

PAGE_SIZE = 50
_DAY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
KIND_NAMES = {
    "petitions": N_("Petitions"),
    "meetings": N_("Voter contact"),
    "dialogues": N_("Dialogues"),
    "broadcasts": N_("Announcements"),
    "reads": N_("Personal data read"),
    "access": N_("Sign-in and roles"),
    "setup": N_("Commune setup"),
}
ACTION_NAMES = {
    **HISTORY_NAMES,
    "meeting.created": N_("Meeting added"),
    "meeting.moved": N_("Meeting moved"),
    "meeting.cancelled": N_("Meeting cancelled"),
    "meeting.reported": N_("Meeting reported as held"),
    "meeting.will_attend": N_("A delegate will attend"),
    "meeting.cannot_attend": N_("A delegate cannot attend"),
    "meeting.attendance_nudged": N_("Delegates reminded to answer"),
    "round.created": N_("Round added"),
    "round.stretched": N_("Round's dates widened"),
    "session.created": N_("Council session added"),
    "report_back.planned": N_("Report to voters planned"),
    "report_back.sent": N_("Report to voters sent"),
    "question.taken_to_meeting": N_("A question taken to the meeting"),
    "questions.answered_together": N_("Alike questions answered together"),
    "dialogue.created": N_("Dialogue added"),
    "dialogue.moved": N_("Dialogue moved"),
    "dialogue.cancelled": N_("Dialogue cancelled or a registration withdrawn"),
    "dialogue.registered": N_("A household registered for a dialogue"),
    "dialogue.waiting": N_("A household put on a waiting list"),
    "dialogue.offered": N_("A freed seat offered"),
    "dialogue.accepted": N_("An offered seat taken"),
    "dialogue.offer_expired": N_("An offered seat not taken in time"),
    "dialogue.expired": N_("A registration lapsed"),
    "dialogue.released": N_("Unfilled seats opened to all hamlets"),
    "dialogue.attended": N_("A household checked in at the door"),
    "dialogue.answered": N_("A household's questions answered"),
    "broadcast.queued": N_("Announcement sent or scheduled"),
    "broadcast.cancelled": N_("Announcement stopped"),
    "personal_data.read": N_("Personal data read"),
    "panel.link_issued": N_("Sign-in link to the web panel asked for"),
    "panel.signed_in": N_("Signed in to the web panel"),
    "panel.signed_out_everywhere": N_("Signed out on every device"),
    "role.granted": N_("Role given"),
    "invite.created": N_("Invitation made"),
    "invite.revoked": N_("Invitation withdrawn"),
    "invite.refused": N_("Invitation refused"),
    "person.linked": N_("Two chat accounts joined"),
    "person.forgotten": N_("Personal data erased on request"),
    "consent.given": N_("Consent recorded"),
    "commune.setup": N_("Commune setup changed"),
}
READ_NAMES = {
    "card": N_("a petition's card"),
    "attachment": N_("a petition's attachment"),
    "attachments": N_("a petition's attachments"),
    "petition_report": N_("the petition report"),
    "hamlet_lists": N_("the dialogue's lists by hamlet"),
    "questions": N_("households' questions"),
    "delegate_dossier": N_("a delegate's dossier"),
}
ROLE_NAMES = {"office": N_("office"), "admin": N_("administrator"), "agency": N_("agency"),
              "delegate": N_("council delegate")}
SUBJECT_NAMES = {
    "meeting": N_("Meeting"), "contact_round": N_("Round"), "council_session": N_("Session"),
    "dialogue": N_("Dialogue"), "registration": N_("Registration"),
    "broadcast": N_("Announcement"), "commune": N_("Commune"),
    "electoral_unit": N_("Electoral unit"), "invite": N_("Invitation"), "person": N_("Person"),
}


def routes() -> list[web.RouteDef]:
    return [
        web.get("/reports", reports_page),
        web.post("/reports/petitions", petition_report),
        web.get("/audit", audit_page),
    ]


def read_day(text: str | None) -> date | None:
    """A day written dd/mm/yyyy, as the office writes it; None if it is not one."""
    match = _DAY.match(text or "")
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _today() -> date:
    return utcnow().astimezone(LOCAL).date()


def _periods(today: date) -> list[tuple[str, date, date]]:
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return [(N_("This month"), today.replace(day=1), today),
            (N_("Last month"), last_month_end.replace(day=1), last_month_end),
            (N_("This year"), today.replace(month=1, day=1), today)]


async def _commune_name(request: web.Request) -> str:
    async with request.app[PANEL].db.transaction() as db:
        commune = await get_commune(db, staff_of(request).commune_id)
    return commune.name if commune else ""


async def reports_page(request: web.Request, *, first: str | None = None,
                       last: str | None = None, error: str | None = None,
                       status: int = 200) -> web.Response:
    today = _today()
    async with request.app[PANEL].db.transaction() as db:
        rounds = await rounds_of_commune(db, staff_of(request).commune_id)
    return await render(
        request, "reports.html", status=status, periods=_periods(today),
        rounds=list(reversed(rounds)), timing=TIMING,
        first=first or request.query.get("from") or f"{today.replace(day=1):%d/%m/%Y}",
        last=last or request.query.get("to") or f"{today:%d/%m/%Y}", error=error,
        commune=await _commune_name(request))


def _build(gathered: ReportToBuild, kind: str) -> bytes:
    # The document libraries load when a document is made, not with the bot.
    from handlers.documents.petition_report import build_report_docx, build_report_xlsx

    rows = [to_row(line, gathered.heading.issued_on) for line in gathered.lines]
    build = build_report_docx if kind == "docx" else build_report_xlsx
    return build(gathered.heading, rows)


async def petition_report(request: web.Request) -> web.StreamResponse:
    """The Decree-30 DOCX or the XLSX of the petitions received in the chosen period."""
    form = await request.post()
    kind = str(form.get("format", ""))
    if kind not in MIME:
        raise web.HTTPBadRequest()
    if "round" in form:
        return await _round_report(request, str(form.get("round", "")), kind)
    written_first, written_last = str(form.get("from", "")), str(form.get("to", ""))
    first, last = read_day(written_first), read_day(written_last)
    if first is None or last is None:
        return await reports_page(request, first=written_first[:20], last=written_last[:20],
                                  error=N_("Please write both days as dd/mm/yyyy, e.g. "
                                           "01/10/2026."), status=400)
    if last < first or last - first > LONGEST:
        return await reports_page(request, first=written_first, last=written_last,
                                  error=N_("The period must run forward and be at most three "
                                           "years."), status=400)
    return await _report(request, kind, first, last)


async def _round_report(request: web.Request, chosen: str, kind: str) -> web.StreamResponse:
    """A voter-contact round's report: what its meetings collected and what came in meanwhile."""
    async with request.app[PANEL].db.transaction() as db:
        rounds = await rounds_of_commune(db, staff_of(request).commune_id)
    found = next(((r, s) for r, s in rounds if str(r.id) == chosen), None)
    if found is None:
        return await reports_page(request, error=N_("Please choose a round."), status=400)
    contact_round, session = found
    return await _report(request, kind, contact_round.window_start, contact_round.window_end,
                         round_id=contact_round.id, label=round_label(contact_round, session))


async def _report(request: web.Request, kind: str, first: date, last: date, *,
                  round_id: int | None = None, label: str | None = None) -> web.StreamResponse:
    panel = request.app[PANEL]
    staff = staff_of(request)
    async with panel.db.transaction() as db:
        person = await db.get(Person, staff.person_id)
        assert person is not None
        gathered = await gather_report(db, DocumentRequest(
            job_id=0, kind="petition_report", person=person,
            locale=staff.locale or panel.locale, params={
                "commune_id": staff.commune_id, "first": first.isoformat(),
                "last": last.isoformat(), "today": _today().isoformat(),
                "round_id": round_id, "label": label}))
    content = await asyncio.to_thread(_build, gathered, kind)
    name = f"bao-cao-kien-nghi-{first:%Y%m%d}-{last:%Y%m%d}.{kind}"
    return web.Response(body=content, content_type=MIME[kind], headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


async def audit_page(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    staff = staff_of(request)
    query = request.query
    kind = query.get("kind", "")
    wanted = AuditQuery(kind=kind if kind in KINDS else "", first=read_day(query.get("from")),
                        last=read_day(query.get("to")), actor_id=_number(query.get("who")))
    page = max(1, _number(query.get("page")) or 1)
    async with panel.db.transaction() as db:
        lines, total = await find_audit_entries(db, staff.commune_id, wanted,
                                                offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        people = await commune_staff(db, staff.commune_id)
    kept = {key: value for key, value in query.items() if key != "page" and value}
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)

    def page_link(number: int) -> str:
        return "?" + urlencode({**kept, "page": number})

    return await render(
        request, "audit.html", lines=lines, total=total, page=page, pages=pages,
        page_link=page_link, wanted=wanted, people=people, kinds=KIND_NAMES,
        action_names=ACTION_NAMES, read_names=READ_NAMES, role_names=ROLE_NAMES,
        subject_names=SUBJECT_NAMES, written_from=query.get("from", "")[:20],
        written_to=query.get("to", "")[:20], commune=await _commune_name(request))
