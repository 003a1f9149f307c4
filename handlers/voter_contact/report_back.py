"""Report-back to voters in the chat: the office plans it, residents read it.

The office picks a meeting held, reads the notice exactly as the residents will, sees how many
it reaches, and sends it now, at a time it types, or with the unit's meeting of the next round.
Storage sends it when due (`storage.voter_contact.report_back`); the notice is written out here
in each resident's language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.dates import (
    NOTICE_ZONE,
    example_datetime,
    format_date,
    format_datetime,
    parse_local_datetime,
)
from handlers.i18n import N_, Translator
from handlers.menu import show_menu
from handlers.petitions.texts import status_name
from handlers.registry import action, choice_number, command, step
from handlers.turn import Turn
from handlers.values import Choice, Kind, Reply
from handlers.working_commune import working_commune
from storage.models import Meeting, ReportBack
from storage.permissions import OFFICE_ROLES, NotAllowed
from storage.voter_contact.meetings import get_commune_meeting
from storage.voter_contact.report_back import (
    BadReportBack,
    held_meetings_of_commune,
    meeting_facts,
    meeting_opinions,
    next_meeting_of_unit,
    notice_params,
    report_back_of,
    schedule_report_back,
    unit_followers,
)

FLOW = "report_back"


def _cancel(turn: Turn) -> Choice:
    return Choice("menu:main", turn._("✖ Cancel"))


def _state(turn: Turn, plan: ReportBack | None) -> str:
    if plan is None or plan.status == "cancelled":
        return turn._("not planned")
    if plan.status == "sent":
        return turn._("sent")
    if plan.with_next_meeting:
        return turn._("with the next meeting")
    assert plan.send_at is not None
    return format_datetime(plan.send_at, turn.config.timezone)


@command("reportback", N_("Report back to voters on their opinions (office)"))
@action("menu:reportback")
async def list_held_meetings(turn: Turn) -> None:
    commune_id = await working_commune(turn, OFFICE_ROLES)
    if commune_id is None:
        await show_menu(turn, turn._("Only the commune office can report back to voters."))
        return
    held = await held_meetings_of_commune(turn.db, commune_id)
    if not held:
        await show_menu(turn, turn._("No meeting has been reported as held yet."))
        return
    turn.end()
    choices = []
    for meeting, plan in held:
        facts = await meeting_facts(turn.db, meeting)
        choices.append(Choice(f"rbm:{meeting.id}", f"{format_date(facts.held_on)} · "
                                                   f"{facts.unit} · {_state(turn, plan)}"))
    turn.say(turn._("Choose a meeting held: its voters will hear how each opinion they gave "
                    "was passed on and answered."), title=turn._("Report back to voters"),
             choices=[*choices, Choice("menu:main", turn._("↩ Main menu"))])


async def _meeting(turn: Turn, meeting_id: int) -> Meeting | None:
    commune_id = await working_commune(turn, OFFICE_ROLES)
    meeting = (await get_commune_meeting(turn.db, commune_id, meeting_id)
               if commune_id is not None else None)
    if meeting is None or meeting.status != "held":
        await show_menu(turn, turn._("That meeting has no results to report."))
        return None
    return meeting


@action("rbm:*")
async def preview(turn: Turn) -> None:
    """The notice as the residents will read it, how many it reaches, and when to send it."""
    meeting = await _meeting(turn, choice_number(turn.inbound.choice) or 0)
    if meeting is None:
        return
    facts = await meeting_facts(turn.db, meeting)
    plan = await report_back_of(turn.db, meeting.id)
    following = await next_meeting_of_unit(turn.db, meeting, turn.now)
    shown = report_back_notice(turn.t, notice_params(
        facts, await meeting_opinions(turn.db, meeting.id), following))
    reached = len(await unit_followers(turn.db, facts.commune_id, facts.unit_id))
    turn.say(shown.text, title=shown.title)
    if plan is not None and plan.status == "sent":
        assert plan.sent_at is not None
        await show_menu(turn, turn._("This report-back was sent on {when} to {count} residents.",
                                     when=format_datetime(plan.sent_at, turn.config.timezone),
                                     count=plan.recipients))
        return
    choices = [Choice(f"rbs:now:{meeting.id}", turn._("📨 Send now")),
               Choice(f"rbs:time:{meeting.id}", turn._("🕗 Choose a time"))]
    if following is not None:
        choices.append(Choice(f"rbs:next:{meeting.id}", turn._(
            "📅 With the meeting of {day}", day=_local_day(turn, following.starts_at))))
    turn.end()
    turn.say(turn._("It will reach {count} residents of {unit} who follow voter-contact news "
                    "(now planned: {state}).", count=reached, unit=facts.unit,
                    state=_state(turn, plan)),
             choices=[*choices, _cancel(turn)])


def _local_day(turn: Turn, moment: datetime) -> str:
    return format_date(moment.astimezone(ZoneInfo(turn.config.timezone)).date())


async def _plan(turn: Turn, meeting: Meeting, *, send_at: datetime | None = None,
                with_next_meeting: bool = False) -> None:
    assert turn.person is not None
    try:
        plan = await schedule_report_back(turn.db, turn.person, meeting, send_at=send_at,
                                          with_next_meeting=with_next_meeting, now=turn.now)
    except NotAllowed:
        await show_menu(turn, turn._("Only the commune office can report back to voters."))
        return
    except BadReportBack as refusal:
        reasons = {
            "already_sent": turn._("This report-back has already been sent."),
            "no_next_meeting": turn._("The unit has no meeting planned in a later round yet; "
                                      "choose a time instead."),
            "past": turn._("That time has passed."),
        }
        await show_menu(turn, reasons.get(str(refusal), turn._(
            "That meeting has no results to report.")))
        return
    soon = plan.send_at is not None and plan.send_at <= turn.now
    await show_menu(turn, turn._("Planned: the report-back to the voters goes out {when}.",
                                 when=turn._("now") if soon else _state(turn, plan)))


@action("rbs:now:*")
async def send_now(turn: Turn) -> None:
    meeting = await _meeting(turn, choice_number(turn.inbound.choice) or 0)
    if meeting is not None:
        await _plan(turn, meeting, send_at=turn.config.quiet_hours.next_allowed(turn.now))


@action("rbs:next:*")
async def send_with_next_meeting(turn: Turn) -> None:
    meeting = await _meeting(turn, choice_number(turn.inbound.choice) or 0)
    if meeting is not None:
        await _plan(turn, meeting, with_next_meeting=True)


@action("rbs:time:*")
async def ask_time(turn: Turn) -> None:
    meeting = await _meeting(turn, choice_number(turn.inbound.choice) or 0)
    if meeting is None:
        return
    turn.go(FLOW, "time", meeting_id=meeting.id)
    turn.say(turn._("When should it go out? Type a day and time, e.g. {example}.",
                    example=example_datetime(turn.now, turn.config.timezone, days=2,
                                             hour=8)),
             choices=[_cancel(turn)])


@step(FLOW, "time")
async def on_time(turn: Turn) -> None:
    typed = turn.inbound.text if turn.inbound.kind is Kind.TEXT else ""
    moment = parse_local_datetime(typed, turn.config.timezone, turn.now) if typed else None
    if moment is None or moment <= turn.now:
        turn.say(turn._("I could not read a coming day and time. Type e.g. {example}.",
                        example=example_datetime(turn.now, turn.config.timezone, days=2,
                                                 hour=8)), choices=[_cancel(turn)])
        return
    meeting = await _meeting(turn, int(turn.data["meeting_id"]))
    if meeting is not None:
        # A routine notice: it waits out the quiet hours, as announcements do.
        await _plan(turn, meeting, send_at=turn.config.quiet_hours.next_allowed(moment))


# --- the notice the residents read ------------------------------------------------------------


def _day(value: object) -> str:
    return format_date(date.fromisoformat(str(value))) if value else ""


def report_back_notice(t: Translator, params: dict[str, Any]) -> Reply:
    items = list(params.get("items", []))
    lines = [t._("At the voter-contact meeting of {day} at {place}, voters of {unit} gave "
                 "{count} opinions. This is how each was passed on and answered:",
                 day=_day(params.get("held_on")), place=params.get("place", ""),
                 unit=params.get("unit", ""), count=len(items))]
    for number, item in enumerate(items, start=1):
        lines += ["", f"{number}. {item.get('content', '')}"]
        status = str(item.get("status", ""))
        if item.get("merged_into"):
            lines.append(t._("→ Joined with the same request {code}.",
                             code=item["merged_into"]))
        if item.get("agency"):
            lines.append(t._("→ Passed to {agency}.", agency=item["agency"]))
        if item.get("answer"):
            lines.append(t._("💬 Answer ({day}): {answer}", day=_day(item.get("answered_on")),
                             answer=item["answer"]))
        else:
            lines.append(t._("Status: {status}. The office keeps following it up.",
                             status=status_name(t, status)))
    following = params.get("next")
    if following:
        lines += ["", t._("Your delegates report back in person at the meeting at {when}, "
                          "{place}.", when=format_datetime(datetime.fromisoformat(
                              str(following["starts_at"])), NOTICE_ZONE),
                          place=following.get("place", ""))]
    return Reply(text="\n".join(lines),
                 title=t._("What became of your opinions – {unit}", unit=params.get("unit", "")),
                 choices=(Choice("menu:meetings", t._("📅 Voter-contact meetings")),))


REPORT_BACK_NOTICES: dict[str, Callable[[Translator, dict[str, Any]], Reply]] = {
    "report_back": report_back_notice,
}
