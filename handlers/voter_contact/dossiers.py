"""The delegate's dossier in the chat: asked for from the menu, or sent before each round.

The dossier is a DOCX built by the document worker (`handlers.documents.dossier`); the message
that carries it reads on its own on a phone: how many petitions per field, and the overdue ones.
From the same screen the delegate gets the report-back page of a meeting held in their unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
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
from handlers.i18n import N_, Translator, translator
from handlers.menu import show_menu
from handlers.petitions.texts import snippet, status_name
from handlers.registry import action, choice_number, command
from handlers.turn import Turn
from handlers.values import Choice, Reply
from storage.documents import DocumentFile
from storage.models.base import utcnow
from storage.permissions import NotAllowed
from storage.petitions.petitions import LOCAL
from storage.places import get_commune
from storage.voter_contact.dossiers import DOSSIER_KIND, Dossier, read_dossier, seat_of
from storage.voter_contact.meetings import get_meeting
from storage.voter_contact.report_back import (
    PAGE_KIND,
    MeetingFacts,
    Opinion,
    held_meetings_of_delegate,
    may_read_page,
    meeting_facts,
    meeting_opinions,
)

# The chat message lists this many overdue petitions; the document has them all.
OVERDUE_SHOWN = 10


def printed_status(status: str) -> str:
    """A status as the printed papers say it: Vietnamese, capitalised."""
    return status_name(translator("vi"), status).capitalize()


@command("dossier", N_("Voter-contact dossier of my unit (delegates)"))
@action("menu:dossier")
async def ask_for_dossier(turn: Turn) -> None:
    seat = await seat_of(turn.db, turn.person) if turn.person is not None else None
    if seat is None:
        await show_menu(turn, turn._("The dossier is for delegates elected in an electoral "
                                     "unit."))
        return
    await ask_for_document(turn, DOSSIER_KIND, {"delegate_id": seat.id, "round_id": None})
    assert turn.person is not None
    held = await held_meetings_of_delegate(turn.db, turn.person, limit=3)
    choices = [Choice(f"rbp:{meeting.id}", turn._(
        "📄 Results for the voters of {place}, {day}", place=meeting.place,
        day=format_date(meeting.starts_at.astimezone(LOCAL).date()))) for meeting in held]
    turn.end()
    turn.say(preparing(turn.t) + "\n" + turn._(
        "It holds your unit's petitions since the last round, the overdue ones first."),
        title=turn._("Voter-contact dossier"), choices=[*choices, *back_to_menu(turn.t)])


@action("rbp:*")
async def ask_for_report_back_page(turn: Turn) -> None:
    """The printable list of a held meeting's opinions and answers, for the delegate."""
    meeting = await get_meeting(turn.db, choice_number(turn.inbound.choice) or 0)
    if meeting is None or turn.person is None or meeting.status != "held":
        await show_menu(turn, turn._("That meeting has no results to report."))
        return
    try:
        await may_read_page(turn.db, turn.person, meeting)
    except NotAllowed:
        await show_menu(turn, turn._("That meeting has no results to report."))
        return
    await ask_for_document(turn, PAGE_KIND, {"meeting_id": meeting.id})
    turn.end()
    turn.say(preparing(turn.t), title=turn._("Results for the voters"),
             choices=back_to_menu(turn.t))


# --- the dossier's document -------------------------------------------------------------------


async def gather_dossier(db: AsyncSession, request: DocumentRequest) -> Dossier:
    # Read as the delegate, now: the audit log names them, and a seat they no longer hold, or
    # a petitioner forgotten meanwhile, is not in it.
    return await read_dossier(db, request.person, int(request.params["delegate_id"]),
                              round_id=request.params.get("round_id"))


def dossier_summary(dossier: Dossier) -> dict[str, Any]:
    """What the chat message says: counts per field and the first overdue petitions."""
    # The document libraries load when a document is made, not with the bot.
    from handlers.documents.dossier import field_figures

    overdue = [line for line in dossier.lines if line.overdue]
    return {
        "unit": dossier.unit,
        "since": dossier.since.isoformat() if dossier.since else None,
        "first_meeting": dossier.first_meeting.isoformat() if dossier.first_meeting else None,
        "total": len(dossier.lines),
        "fields": [[f.field, f.total, f.answered, f.overdue]
                   for f in field_figures(dossier.lines)],
        "overdue": [[line.code, snippet(line.content, 80), line.agency,
                     line.due_on.isoformat() if line.due_on else None]
                    for line in overdue[:OVERDUE_SHOWN]],
        "overdue_count": len(overdue),
    }


def build_dossier(dossier: Dossier) -> list[DocumentFile]:
    from handlers.documents.dossier import build_dossier_docx

    shown = tuple(sorted({line.person_id for line in dossier.lines
                          if line.voter and line.person_id is not None}))
    name = f"ho-so-tiep-xuc-cu-tri-{dossier.unit_id}-{dossier.today:%Y%m%d}.docx"
    # Names of petitioners who let them be shown make it personal data (short-lived link,
    # deleted by their /forget).
    return [DocumentFile(name, build_dossier_docx(dossier, printed_status),
                         "delegate_dossier_ready", dossier_summary(dossier),
                         personal=any(line.voter for line in dossier.lines), about=shown)]


builder(DOSSIER_KIND, gather_dossier, build_dossier)


# --- the report-back page ---------------------------------------------------------------------


@dataclass(frozen=True)
class PageToBuild:
    facts: MeetingFacts
    commune: str
    opinions: list[Opinion]
    today: date


async def gather_page(db: AsyncSession, request: DocumentRequest) -> PageToBuild:
    meeting = await get_meeting(db, int(request.params["meeting_id"]))
    if meeting is None:
        raise LookupError("the meeting is gone")
    await may_read_page(db, request.person, meeting)
    facts = await meeting_facts(db, meeting)
    commune = await get_commune(db, facts.commune_id)
    return PageToBuild(facts, commune.name if commune else "",
                       await meeting_opinions(db, meeting.id),
                       utcnow().astimezone(LOCAL).date())


def build_page(page: PageToBuild) -> list[DocumentFile]:
    from handlers.documents.dossier import build_report_back_docx

    content = build_report_back_docx(page.facts, page.commune, page.opinions, printed_status,
                                     page.today)
    # No voter is named on it: it is read out to the whole unit.
    return [DocumentFile(f"ket-qua-tra-loi-cu-tri-{page.facts.meeting_id}.docx", content,
                         "report_back_page_ready",
                         {"unit": page.facts.unit, "place": page.facts.place,
                          "held_on": page.facts.held_on.isoformat(),
                          "count": len(page.opinions)})]


builder(PAGE_KIND, gather_page, build_page)


# --- the messages carrying them ---------------------------------------------------------------


def _attached(params: dict[str, Any]) -> tuple[str, str] | None:
    attached = params.get("file")
    return (str(attached[0]), str(attached[1])) if attached else None


def _day(value: object) -> str:
    return format_date(date.fromisoformat(str(value))) if value else ""


def dossier_ready(t: Translator, params: dict[str, Any]) -> Reply:
    unit = params.get("unit", "")
    total = params.get("total", 0)
    if params.get("since"):
        head = t._("{unit}: {total} petitions since {since}.", unit=unit, total=total,
                   since=_day(params["since"]))
    else:
        head = t._("{unit}: {total} petitions so far.", unit=unit, total=total)
    lines = [head]
    if params.get("first_meeting"):
        lines.append(t._("Your first meeting of the round: {day}.",
                         day=_day(params["first_meeting"])))
    for field, count, answered, overdue in params.get("fields", []):
        line = t._("• {field}: {count} (answered {answered})",
                   field=field or t._("Not classified yet"), count=count, answered=answered)
        if overdue:
            line += " · " + t._("{count} overdue", count=overdue)
        lines.append(line)
    overdue_count = int(params.get("overdue_count", 0))
    if overdue_count:
        lines += ["", t._("⏰ Overdue at the agencies ({count}):", count=overdue_count)]
        for code, text, agency, due in params.get("overdue", []):
            lines.append(t._("{code} – {text} ({agency}, due {day})", code=code, text=text,
                             agency=agency or "—", day=_day(due)))
        if overdue_count > len(params.get("overdue", [])):
            lines.append(t._("…and the others in the file."))
    else:
        lines.append(t._("No petition is overdue."))
    return Reply(text="\n".join(lines), title=t._("Voter-contact dossier"),
                 file=_attached(params), choices=back_to_menu(t))


def report_back_page_ready(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(
        text=t._("The results for the voters of {unit} ({place}, meeting of {day}): {count} "
                 "opinions with their answers, to print for your meeting.",
                 unit=params.get("unit", ""), place=params.get("place", ""),
                 day=_day(params.get("held_on")), count=params.get("count", 0)),
        title=t._("Results for the voters"), file=_attached(params), choices=back_to_menu(t))


DOSSIER_NOTICES: dict[str, Callable[[Translator, dict[str, Any]], Reply]] = {
    "delegate_dossier_ready": dossier_ready,
    "report_back_page_ready": report_back_page_ready,
}
