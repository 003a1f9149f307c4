"""The office sends the year's voter-contact plan as a spreadsheet; the bot checks and imports it.

The bot hands out a template first. A file is checked in the background (it must be fetched
from the platform); the sender then gets either what was imported or every problem, by row
and column, and nothing is imported until the file is clean.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from handlers.i18n import N_, Translator
from handlers.menu import show_menu
from handlers.registry import action, command, step
from handlers.turn import Turn
from handlers.values import Choice, Kind, Reply
from handlers.working_commune import working_commune
from storage.files import refer_to_platform_file, store_file
from storage.permissions import OFFICE_ROLES
from storage.voter_contact.plan_import import plan_references, request_plan_import

FLOW = "plan_upload"
ACCEPTED = (".xlsx", ".csv")

PROBLEMS = {
    "unreadable": N_("The file cannot be read. Please send it as .xlsx or .csv."),
    "unsupported_format": N_("This kind of file cannot be read; please send .xlsx or .csv."),
    "no_header": N_("No header row with the plan's columns was found."),
    "no_rows": N_("The file has no meetings."),
    "too_many_rows": N_("The file has too many rows."),
    "missing_column": N_("The column “{column}” is missing."),
    "duplicate_column": N_("The column “{column}” appears twice."),
    "missing": N_("This cell must be filled in."),
    "cell_error": N_("The cell holds a spreadsheet error ({value})."),
    "bad_date": N_("“{value}” is not a date like 05/06/2026."),
    "short_year": N_("“{value}”: please write the year with four digits."),
    "bad_time": N_("“{value}” is not a time like 7:30, 14h00 or 7h30-10h30."),
    "end_before_start": N_("The end {end} is not after the start {start}."),
    "meeting_too_long": N_("A meeting from {start} to {end} lasts over 12 hours."),
    "end_twice": N_("The end is given twice and differs: {value} here, {other_value} in the "
                    "time column."),
    "bad_timing": N_("“{value}”: write “Trước kỳ họp” or “Sau kỳ họp”."),
    "bad_number": N_("“{value}” must be a whole number from {min} to {max}."),
    "too_long": N_("Too long: {length} characters, at most {max}."),
    "unknown_unit": N_("There is no electoral unit “{value}” in this commune (it has {known})."),
    "ambiguous_delegate": N_("“{value}” fits several delegates; write the full name."),
    "unknown_delegate": N_("No delegate of this commune is called “{value}”."),
    "outside_window": N_("The meeting day {value} is outside the round, {start} – {end}."),
    "report_before_window": N_("The Front's report date {value} is before the round starts "
                               "({window_start})."),
    "round_timing": N_("The round {window_start} – {window_end} does not fit the session "
                       "{session_opens} – {session_closes}."),
    "duplicate_row": N_("The same meeting is already on row {other_row}."),
    "conflicting_round": N_("Row {other_row} gives this round “{other_value}” here, not "
                            "“{value}”."),
    "conflicting_session": N_("Row {other_row} gives this session “{other_value}” here, not "
                              "“{value}”."),
    "window_reversed": N_("The round ends ({end}) before it starts ({start})."),
    "session_reversed": N_("The session closes ({closes}) before it opens ({opens})."),
}


def describe_problem(t: Translator, problem: dict[str, Any]) -> str:
    params: dict[str, str] = defaultdict(str, {k: str(v) for k, v in
                                               dict(problem.get("params", {})).items()})
    text = t._(PROBLEMS.get(str(problem.get("key")), str(problem.get("key")))).format_map(params)
    if problem.get("key") == "unknown_delegate" and params["suggestion"]:
        text += " " + t._("Did you mean {name}?", name=params["suggestion"])
    row, column = int(problem.get("row", 0)), str(problem.get("column", ""))
    if row and column:
        return t._("Row {row}, column {column}: {problem}", row=row, column=column, problem=text)
    if row:
        return t._("Row {row}: {problem}", row=row, problem=text)
    return text


def plan_refused(t: Translator, params: dict[str, Any]) -> Reply:
    lines = [describe_problem(t, p) for p in params.get("problems", [])]
    count = int(params.get("count", len(lines)))
    head = t._("Nothing was imported from {file}: {count} problems to fix.",
               file=params.get("file", ""), count=count)
    more = count - len(lines)
    tail = ["", t._("…and {count} more.", count=more)] if more > 0 else []
    return Reply(title=t._("Plan not imported"), text="\n".join([head, "", *[
        "• " + line for line in lines], *tail, "", t._("Fix the file and send it again.")]))


def plan_imported(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(title=t._("Plan imported"), text=t._(
        "{file}: {meetings} meetings added in {rounds} new rounds and {sessions} new sessions; "
        "{unchanged} already known. Reminders are planned.", **{
            key: params.get(key, 0) for key in ("file", "meetings", "rounds", "sessions",
                                                "unchanged")}))


def plan_failed(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(text=t._("The file {file} could not be fetched. Please send it again.",
                          file=params.get("file", "")))


@command("plan", N_("Import the voter-contact plan from Excel (office)"))
@action("menu:plan")
async def start_plan_upload(turn: Turn) -> None:
    commune_id = await working_commune(turn, OFFICE_ROLES)
    if commune_id is None:
        await show_menu(turn, turn._("Only the commune office can import the plan."))
        return
    units, _delegates = await plan_references(turn.db, commune_id)
    year = turn.today.year
    # The spreadsheet library loads when a template is made, not with the bot.
    from storage.voter_contact.plan_file import build_plan_template_xlsx

    template = store_file(turn.db, f"mau-ke-hoach-txct-{year}.xlsx",
                          build_plan_template_xlsx(units=units, example_year=year),
                          owner_id=turn.person.id if turn.person else None)
    turn.go(FLOW, "file", commune_id=commune_id)
    turn.say(turn._("Fill in this template, one row per meeting (the second sheet explains "
                    "each column), then send the file here as a document (.xlsx or .csv)."),
             title=turn._("Voter-contact plan"), file=(template.token, template.name),
             choices=[Choice("menu:main", turn._("✖ Cancel"))])


@step(FLOW, "file")
async def on_plan_file(turn: Turn) -> None:
    inbound = turn.inbound
    name = inbound.file_name or ""
    if inbound.kind is not Kind.FILE or not inbound.file_ref or not name.lower().endswith(
            ACCEPTED):
        turn.say(turn._("Please send the plan as a document: an .xlsx or .csv file."),
                 choices=[Choice("menu:main", turn._("✖ Cancel"))])
        return
    assert turn.person is not None
    stored = refer_to_platform_file(turn.db, name, f"{inbound.channel}:{inbound.file_ref}",
                                    owner_id=turn.person.id)
    await request_plan_import(turn.db, turn.person, int(turn.data["commune_id"]), stored.token,
                              name)
    await show_menu(turn, turn._("Received {file}. I am checking it; the result comes in a "
                                 "moment.", file=name))
