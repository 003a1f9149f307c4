"""Meetings for the commune office: the coming ones, and moving or cancelling one.

A move or a cancellation re-plans the meeting's reminders and tells everyone who had been told
(storage does both); the office only says what changed and why.
"""

from __future__ import annotations

from datetime import datetime

from handlers.dates import (
    example_datetime,
    example_span,
    format_date,
    format_datetime,
    format_span,
    read_span_and_place,
    read_when,
)
from handlers.i18n import N_
from handlers.menu import show_menu
from handlers.registry import action, choice_number, command, step
from handlers.turn import Turn
from handlers.values import Choice, Kind
from handlers.voter_contact.notices import TIMING
from handlers.working_commune import working_commune
from storage.models import Meeting
from storage.permissions import OFFICE_ROLES, NotAllowed
from storage.voter_contact.attendance import (
    Attendance,
    DelegateAnswer,
    meeting_attendance,
    nudge_silent_delegates,
)
from storage.voter_contact.meetings import (
    BadPlan,
    MeetingDraft,
    add_meeting,
    cancel_meeting,
    electoral_units,
    get_commune_meeting,
    get_round,
    move_meeting,
    open_rounds,
    unit_name,
    upcoming_meetings_of_commune,
)

FLOW = "meetings_office"
MAX_REASON = 500


def _cancel(turn: Turn) -> Choice:
    return Choice("menu:main", turn._("✖ Cancel"))


@command("plans", N_("Coming voter-contact meetings: who attends, move or cancel (office)"))
@action("menu:officemeetings")
async def list_office_meetings(turn: Turn) -> None:
    commune_id = await working_commune(turn, OFFICE_ROLES)
    if commune_id is None:
        await show_menu(turn, turn._("Only the commune office can change meetings."))
        return
    meetings = await upcoming_meetings_of_commune(turn.db, commune_id, turn.now)
    if not meetings:
        turn.end()
        turn.say(turn._("No meeting is planned yet."), choices=[
            Choice("mtgadd:start", turn._("➕ Add a meeting")),
            Choice("menu:plan", turn._("🗓 Import the voter-contact plan")),
            Choice("qg:meetings", turn._("❓ Voters' questions, answered together")),
            Choice("menu:main", turn._("↩ Main menu"))])
        return
    turn.end()
    choices = [Choice(f"mtg:{m.id}", f"{format_datetime(m.starts_at, turn.config.timezone)} · "
                                    f"{await unit_name(turn.db, m)}") for m in meetings]
    choices.append(Choice("mtgadd:start", turn._("➕ Add a meeting")))
    choices.append(Choice("qg:meetings", turn._("❓ Voters' questions, answered together")))
    choices.append(Choice("menu:main", turn._("↩ Main menu")))
    turn.say(turn._("Choose a meeting: see which delegates will attend, move or cancel it."),
             title=turn._("Coming meetings"),
             choices=choices)


async def _office_meeting(turn: Turn, meeting_id: int | None) -> Meeting | None:
    commune_id = await working_commune(turn, OFFICE_ROLES)
    meeting = (await get_commune_meeting(turn.db, commune_id, meeting_id or 0)
               if commune_id is not None else None)
    if meeting is None or meeting.status != "planned":
        await show_menu(turn, turn._("That meeting can no longer be changed."))
        return None
    return meeting


def _names(turn: Turn, delegates: list[DelegateAnswer]) -> str:
    return ", ".join(
        (d.name or turn._("(no name)"))
        + ("" if d.in_bot else " " + turn._("(not in the bot yet, cannot be reminded)"))
        for d in delegates) or "—"


def _attendance_lines(turn: Turn, attendance: Attendance) -> list[str]:
    return [
        turn._("Will attend ({count}): {names}", count=len(attendance.will_attend),
               names=_names(turn, attendance.will_attend)),
        turn._("Cannot attend ({count}): {names}", count=len(attendance.cannot_attend),
               names=_names(turn, attendance.cannot_attend)),
        turn._("Not answered yet ({count}): {names}", count=len(attendance.silent),
               names=_names(turn, attendance.silent)),
    ]


@action("mtg:*")
async def show_office_meeting(turn: Turn) -> None:
    meeting = await _office_meeting(turn, choice_number(turn.inbound.choice))
    if meeting is None or turn.person is None:
        return
    attendance = await meeting_attendance(turn.db, turn.person, meeting)
    turn.end()
    choices = [Choice(f"mtgmv:{meeting.id}", turn._("🕑 Move it")),
               Choice(f"mtgcx:{meeting.id}", turn._("⛔ Cancel it")),
               Choice("menu:officemeetings", turn._("↩ Coming meetings"))]
    if any(d.in_bot for d in attendance.silent):
        choices.insert(0, Choice(f"mtgnudge:{meeting.id}",
                                 turn._("🔔 Remind those who have not answered")))
    turn.say(
        "\n".join([f"📅 {format_span(meeting.starts_at, meeting.ends_at, turn.config.timezone)}",
                   turn._("Place: {value}", value=meeting.place),
                   turn._("Agenda: {value}", value=meeting.agenda or "—"),
                   "", turn._("Delegates:"), *_attendance_lines(turn, attendance)]),
        title=await unit_name(turn.db, meeting), choices=choices)


@action("mtgnudge:*")
async def nudge_silent(turn: Turn) -> None:
    meeting = await _office_meeting(turn, choice_number(turn.inbound.choice))
    if meeting is None or turn.person is None:
        return
    try:
        asked = await nudge_silent_delegates(turn.db, turn.person, meeting, now=turn.now)
    except (BadPlan, NotAllowed):
        await show_menu(turn, turn._("Nothing was sent."))
        return
    turn.end()
    text = (turn._("Reminded {count} delegate(s) who had not answered; you will see their "
                   "answers here.", count=asked) if asked
            else turn._("Nobody new to remind: those who have not answered were reminded "
                        "today already, or are not in the bot yet."))
    turn.say(text, choices=[Choice(f"mtg:{meeting.id}", turn._("↩ Back to the meeting")),
                            Choice("menu:officemeetings", turn._("↩ Coming meetings"))])


@action("mtgmv:*")
async def start_move(turn: Turn) -> None:
    meeting = await _office_meeting(turn, choice_number(turn.inbound.choice))
    if meeting is None:
        return
    turn.go(FLOW, "when", meeting_id=meeting.id)
    turn.say(turn._("Type the new day and time, e.g. {example}, or with its end: {span}. It may "
                    "be any day, even outside the round. Without an end, the meeting keeps its "
                    "length. The place stays the same unless you add a new one after it: "
                    "{example} tại Hội trường UBND xã.",
                    example=_example(turn), span=_span_example(turn)), choices=[_cancel(turn)])


@step(FLOW, "when")
async def on_when(turn: Turn) -> None:
    when = read_when(turn.inbound.text, turn.config.timezone, turn.now) if (
        turn.inbound.kind is Kind.TEXT) else None
    if when is None or when.moment <= turn.now or len(when.rest) > 300:
        turn.say(turn._("Please type a coming day and time, e.g. {example} or {span}.",
                        example=_example(turn), span=_span_example(turn)),
                 choices=[_cancel(turn)])
        return
    turn.go(FLOW, "move_reason", starts_at=when.moment.isoformat(),
            ends_at=when.ends_at.isoformat() if when.ends_at else None, place=when.rest or None)
    turn.say(turn._("Why is it moved? The delegates and voters who were told will read this."),
             choices=[_cancel(turn)])


def _example(turn: Turn) -> str:
    return example_datetime(turn.now, turn.config.timezone)


def _span_example(turn: Turn) -> str:
    return example_span(turn.now, turn.config.timezone)


async def _reason(turn: Turn) -> str | None:
    reason = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    if not reason or len(reason) > MAX_REASON:
        turn.say(turn._("Please type the reason in words, up to {limit} characters.",
                        limit=MAX_REASON), choices=[_cancel(turn)])
        return None
    return reason


@step(FLOW, "move_reason")
async def on_move_reason(turn: Turn) -> None:
    reason = await _reason(turn)
    meeting = await _office_meeting(turn, int(turn.data["meeting_id"]))
    if reason is None or meeting is None or turn.person is None:
        return
    ends_at = turn.data.get("ends_at")
    try:
        moved = await move_meeting(
            turn.db, turn.person, meeting,
            starts_at=datetime.fromisoformat(str(turn.data["starts_at"])),
            ends_at=datetime.fromisoformat(str(ends_at)) if ends_at else None,
            place=turn.data.get("place"), reason=reason, now=turn.now)
    except BadPlan as error:
        text = (turn._("The meeting would end before it starts or last over 12 hours; nothing "
                       "was changed.") if error.reason == "bad_end"
                else turn._("Nothing was changed."))
        await show_menu(turn, text)
        return
    except NotAllowed:
        await show_menu(turn, turn._("Only the commune office can change meetings."))
        return
    text = turn._("Moved to {when}. Reminders are planned again and those who had been told "
                  "are told.", when=format_span(meeting.starts_at, meeting.ends_at,
                                                turn.config.timezone))
    if moved.stretched_from is not None:
        old_start, old_end = moved.stretched_from
        text += "\n\n" + turn._(
            "⚠️ Note: this day is outside the round's window ({old_start}–{old_end}). The round "
            "now runs from {start} to {end}; check that this still suits the session and the "
            "Front's report.", old_start=format_date(old_start), old_end=format_date(old_end),
            start=format_date(moved.window[0]), end=format_date(moved.window[1]))
    await show_menu(turn, text)


@action("mtgcx:*")
async def start_cancel(turn: Turn) -> None:
    meeting = await _office_meeting(turn, choice_number(turn.inbound.choice))
    if meeting is None:
        return
    turn.go(FLOW, "cancel_reason", meeting_id=meeting.id)
    turn.say(turn._("Why is it cancelled? The delegates and voters who were told will read "
                    "this."), choices=[_cancel(turn)])


@step(FLOW, "cancel_reason")
async def on_cancel_reason(turn: Turn) -> None:
    reason = await _reason(turn)
    meeting = await _office_meeting(turn, int(turn.data["meeting_id"]))
    if reason is None or meeting is None or turn.person is None:
        return
    try:
        await cancel_meeting(turn.db, turn.person, meeting, reason=reason, now=turn.now)
    except (BadPlan, NotAllowed):
        await show_menu(turn, turn._("Nothing was changed."))
        return
    await show_menu(turn, turn._("The meeting is cancelled; no reminder will go out for it and "
                                 "those who had been told are told."))


@action("mtgadd:start")
async def start_adding(turn: Turn) -> None:
    commune_id = await working_commune(turn, OFFICE_ROLES)
    if commune_id is None:
        await show_menu(turn, turn._("Only the commune office can change meetings."))
        return
    rounds = await open_rounds(turn.db, commune_id, turn.today)
    if not rounds:
        await show_menu(turn, turn._("There is no voter-contact round open. Import the plan "
                                     "with its rounds first."))
        return
    turn.go(FLOW, "add_round", commune_id=commune_id)
    turn.say(turn._("Which round?"), choices=[
        Choice(f"ar:{r.id}", f"{s.title} · {turn._(TIMING[r.timing])} · "
                             f"{format_date(r.window_start)}–{format_date(r.window_end)}")
        for r, s in rounds] + [_cancel(turn)])


@step(FLOW, "add_round")
async def on_add_round(turn: Turn) -> None:
    contact_round = await get_round(turn.db, choice_number(turn.inbound.choice) or 0)
    if contact_round is None:
        await start_adding(turn)
        return
    units = await electoral_units(turn.db, int(turn.data["commune_id"]))
    turn.go(FLOW, "add_unit", round_id=contact_round.id)
    turn.say(turn._("Which electoral unit?"),
             choices=[Choice(f"au:{u.id}", u.name) for u in units] + [_cancel(turn)])


@step(FLOW, "add_unit")
async def on_add_unit(turn: Turn) -> None:
    unit_id = choice_number(turn.inbound.choice)
    units = {u.id for u in await electoral_units(turn.db, int(turn.data["commune_id"]))}
    if unit_id not in units:
        turn.say(turn._("Please choose a unit from the list."), choices=[_cancel(turn)])
        return
    turn.go(FLOW, "add_when", unit_id=unit_id)
    turn.say(turn._("Type the day, the start and end times, then the place, e.g. {span} tại "
                    "Hội trường UBND xã. Without an end, the meeting is planned for two hours.",
                    span=_span_example(turn)), choices=[_cancel(turn)])


@step(FLOW, "add_when")
async def on_add_when(turn: Turn) -> None:
    when = read_span_and_place(turn.inbound.text, turn.config.timezone, turn.now) if (
        turn.inbound.kind is Kind.TEXT) else None
    if when is None:
        turn.say(turn._("Please type a coming day and time, then the place, e.g. {span} tại "
                        "Hội trường UBND xã.", span=_span_example(turn)),
                 choices=[_cancel(turn)])
        return
    contact_round = await get_round(turn.db, int(turn.data["round_id"]))
    if contact_round is None or turn.person is None:
        await show_menu(turn)
        return
    try:
        meeting = await add_meeting(turn.db, turn.person, contact_round, MeetingDraft(
            int(turn.data["unit_id"]), when.rest, when.moment, ends_at=when.ends_at),
            now=turn.now)
    except BadPlan as error:
        text = {
            "outside_window": turn._("That day is outside the round's window; nothing was "
                                     "added."),
            "bad_end": turn._("The meeting would end before it starts or last over 12 hours; "
                              "nothing was added."),
        }.get(error.reason, turn._("Nothing was added."))
        await show_menu(turn, text)
        return
    except NotAllowed:
        await show_menu(turn, turn._("Only the commune office can change meetings."))
        return
    await show_menu(turn, turn._("Meeting added on {when}. The unit's delegates and voters will "
                                 "be reminded.", when=format_span(
                                     meeting.starts_at, meeting.ends_at, turn.config.timezone)))
