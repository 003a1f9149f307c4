"""Voter contact in the bot: a citizen's meeting calendar and questions; a delegate's meetings.

Delegates answer "will attend" / "cannot attend" from the reminders, and report a meeting
held: how many voters came and each opinion they gave, which becomes a petition.
"""

from __future__ import annotations

from handlers.dates import format_date, format_span
from handlers.i18n import N_
from handlers.menu import show_menu, show_result
from handlers.registry import action, choice_number, command, step
from handlers.turn import Turn
from handlers.values import Choice, Kind
from storage.models import Meeting
from storage.permissions import NotAllowed
from storage.petitions.petitions import (
    MAX_CONTENT,
    BadPetition,
    PetitionDraft,
    meeting_questions,
    submit_petition,
)
from storage.places import commune_of_person
from storage.voter_contact.meetings import (
    BadPlan,
    get_meeting,
    meeting_delegate_names,
    meetings_of_delegate,
    opinions_deadline,
    report_meeting,
    set_attendance,
    unit_name,
    unit_of_person,
    upcoming_meetings_for_unit,
)

FLOW = "voter_contact"
MAX_OPINIONS = 50


def _describe(turn: Turn, meeting: Meeting, unit: str, delegates: list[str]) -> str:
    _ = turn._
    lines = [f"📅 {format_span(meeting.starts_at, meeting.ends_at, turn.config.timezone)} – "
             f"{unit}",
             _("Place: {value}", value=meeting.place)]
    if meeting.agenda:
        lines.append(_("Agenda: {value}", value=meeting.agenda))
    if delegates:
        lines.append(_("Delegates: {value}", value=", ".join(delegates)))
    return "\n".join(lines)


@command("meetings", N_("Voter-contact meetings in my area"))
@action("menu:meetings")
async def show_meetings(turn: Turn) -> None:
    unit = await unit_of_person(turn.db, turn.person)
    if unit is None:
        await show_menu(turn, turn._("Choose your hamlet first (menu: Change my hamlet), so I "
                                     "know your electoral unit."))
        return
    meetings = await upcoming_meetings_for_unit(turn.db, unit.id, turn.now)
    if not meetings:
        await show_menu(turn, turn._("No voter-contact meeting is planned yet for {unit}. You "
                                     "will be told when one is.", unit=unit.name))
        return
    blocks = [_describe(turn, m, unit.name, await meeting_delegate_names(turn.db, m.id))
              for m in meetings]
    turn.end()
    turn.say("\n\n".join(blocks), title=turn._("Voter-contact meetings"),
             choices=[Choice(f"mq:{meetings[0].id}",
                             turn._("❓ Send a question for the meeting")),
                      Choice("menu:main", turn._("↩ Main menu"))])


@action("mq:*")
async def ask_question(turn: Turn) -> None:
    meeting = await get_meeting(turn.db, choice_number(turn.inbound.choice) or 0)
    if meeting is None or meeting.status != "planned":
        await show_menu(turn, turn._("That meeting is not open for questions."))
        return
    turn.go(FLOW, "question", meeting_id=meeting.id)
    turn.say(turn._("Type your question or proposal for the delegates. It is recorded as a "
                    "petition and raised at the meeting."),
             choices=[Choice("menu:main", turn._("✖ Cancel"))])


@step(FLOW, "question")
async def on_question(turn: Turn) -> None:
    text = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    if not text or len(text) > MAX_CONTENT:
        turn.say(turn._("Please type the question in words, up to {limit} characters.",
                        limit=MAX_CONTENT), choices=[Choice("menu:main", turn._("✖ Cancel"))])
        return
    meeting = await get_meeting(turn.db, int(turn.data["meeting_id"]))
    commune = await commune_of_person(turn.db, turn.person)
    if meeting is None or commune is None or turn.person is None:
        await show_menu(turn)
        return
    unit = await unit_name(turn.db, meeting)
    try:
        result = await submit_petition(turn.db, turn.person, PetitionDraft(
            commune_id=commune.id, content=text, hamlet_id=turn.person.hamlet_id,
            source="question", meeting_id=meeting.id,
            source_note=f"Câu hỏi gửi hội nghị TXCT {unit}"[:300]), now=turn.now)
    except BadPetition:
        await show_menu(turn, turn._("Sorry, the question could not be recorded."))
        return
    show_result(turn, turn._("Your question is recorded as {code} and goes to the meeting's "
                             "delegates.", code=result.petition.code))


@command("mymeetings", N_("My voter-contact meetings (delegates)"))
@action("menu:mymeetings")
async def show_my_meetings(turn: Turn) -> None:
    if turn.person is None:
        return
    rows = await meetings_of_delegate(turn.db, turn.person, turn.now)
    if not rows:
        await show_menu(turn, turn._("You have no voter-contact meeting planned."))
        return
    blocks, choices = [], []
    for meeting, record in rows:
        unit = await unit_name(turn.db, meeting)
        block = _describe(turn, meeting, unit, [])
        if record.attendance == "cannot_attend":
            block += "\n" + turn._("You said you cannot attend.")
        elif record.opinions_sent_at is None:
            block += "\n" + turn._("Voters' opinions due at the office: {date}",
                                    date=format_date(await opinions_deadline(turn.db, meeting)))
        asked = await meeting_questions(turn.db, meeting.id)
        if asked:
            block += "\n" + turn._("Voters' questions: {count}", count=len(asked))
            choices.append(Choice(f"dq:list:{meeting.id}",
                                  turn._("❓ Questions for {unit}", unit=unit)))
        blocks.append(block)
        if meeting.starts_at <= turn.now and record.opinions_sent_at is None:
            choices.append(Choice(f"mr:{meeting.id}", turn._("📝 Report {unit}", unit=unit)))
    choices.append(Choice("menu:main", turn._("↩ Main menu")))
    turn.end()
    turn.say("\n\n".join(blocks), title=turn._("My meetings"), choices=choices)


async def _attendance(turn: Turn, attendance: str) -> None:
    meeting = await get_meeting(turn.db, choice_number(turn.inbound.choice) or 0)
    if meeting is None or turn.person is None:
        await show_menu(turn, turn._("That meeting no longer exists."))
        return
    try:
        await set_attendance(turn.db, turn.person, meeting, attendance)
    except (NotAllowed, BadPlan):
        await show_menu(turn, turn._("You are not among this meeting's delegates."))
        return
    if attendance == "will_attend":
        await show_menu(turn, turn._("Thank you, noted: you will attend."))
    else:
        await show_menu(turn, turn._("Noted: you cannot attend. The office has been told."))


@action("mt:yes:*")
async def will_attend(turn: Turn) -> None:
    await _attendance(turn, "will_attend")


@action("mt:no:*")
async def cannot_attend(turn: Turn) -> None:
    await _attendance(turn, "cannot_attend")


@action("mr:*")
async def start_report(turn: Turn) -> None:
    meeting = await get_meeting(turn.db, choice_number(turn.inbound.choice) or 0)
    if meeting is None or meeting.status == "cancelled":
        await show_menu(turn, turn._("That meeting no longer exists."))
        return
    turn.go(FLOW, "voters", meeting_id=meeting.id, opinions=[])
    turn.say(turn._("How many voters came? Type a number."),
             choices=[Choice("menu:main", turn._("✖ Cancel"))])


@step(FLOW, "voters")
async def on_voters(turn: Turn) -> None:
    typed = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    if not (typed.isascii() and typed.isdigit() and len(typed) <= 6) or int(typed) > 100_000:
        turn.say(turn._("Please type the number of voters, e.g. 45."),
                 choices=[Choice("menu:main", turn._("✖ Cancel"))])
        return
    turn.go(FLOW, "opinions", voters=int(typed))
    turn.say(turn._("Now type each opinion the voters gave, one message each. Press Done when "
                    "finished."), choices=[Choice("mo:done", turn._("Done"))])


@step(FLOW, "opinions")
async def on_opinion(turn: Turn) -> None:
    opinions: list[str] = list(turn.data.get("opinions", []))
    if turn.inbound.choice == "mo:done":
        await finish_report(turn, opinions)
        return
    text = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    if not text or len(text) > MAX_CONTENT or len(opinions) >= MAX_OPINIONS:
        turn.say(turn._("Please type one opinion in words (up to {limit} characters), or press "
                        "Done.", limit=MAX_CONTENT), choices=[Choice("mo:done", turn._("Done"))])
        return
    opinions.append(text)
    turn.go(FLOW, "opinions", opinions=opinions)
    turn.say(turn._("Noted ({count}). Next opinion, or Done.", count=len(opinions)),
             choices=[Choice("mo:done", turn._("Done"))])


async def finish_report(turn: Turn, opinions: list[str]) -> None:
    meeting = await get_meeting(turn.db, int(turn.data["meeting_id"]))
    if meeting is None or turn.person is None:
        await show_menu(turn)
        return
    try:
        codes = await report_meeting(turn.db, turn.person, meeting,
                                     voters_present=int(turn.data["voters"]),
                                     opinions=opinions, now=turn.now)
    except (NotAllowed, BadPlan, BadPetition):
        await show_menu(turn, turn._("This meeting's report could not be recorded: you are not "
                                     "among its delegates, or it was cancelled."))
        return
    await show_menu(turn, turn._("Meeting reported: {voters} voters, {count} opinions recorded "
                                 "as petitions ({codes}).", voters=turn.data["voters"],
                                 count=len(codes), codes=", ".join(codes) or "—"))
