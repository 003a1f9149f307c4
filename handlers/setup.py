"""Setting up a commune from its workbook: download it (or the empty template), send it back
filled in, see what would change, apply.

The workbook is checked in the background (it must be fetched from the platform); the admin
then gets every problem by sheet, row and column, or the changes with "Áp dụng" and "Hủy".
An admin's workbook may touch only the communes they administer. The same texts serve the
`cutri commune` command in the terminal.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from handlers.i18n import N_, Translator
from handlers.menu import show_menu
from handlers.registry import action, choice_number, step
from handlers.turn import Turn
from handlers.values import Choice, Kind, Reply
from storage.files import refer_to_platform_file, store_file
from storage.setup.imports import (
    SetupRefused,
    administered_codes,
    apply_setup_import,
    cancel_setup_import,
    plan_from_json,
    problem_from_json,
    request_setup_import,
)
from storage.setup.workbook import SetupProblem
from storage.setup.workbook_apply import (
    CommunePlan,
    SetupApplied,
    SetupNotClean,
    export_workbook,
)

FLOW = "setup"
ACCEPTED = (".xlsx",)
# Changes listed one by one under a commune's summary; the rest are counted.
DETAILS_SHOWN = 8

# Problems only the database shows; the file's own are described by `setup_problems`.
PLAN_PROBLEMS = {
    "hamlet_code_taken": N_("The hamlet code “{value}” is already used by {commune}."),
    "hamlet_name_kept": N_("“{value}” is the name of a hamlet that stays because it is still "
                           "in use; give the new hamlet another name, or keep the old code."),
    "commune_not_allowed": N_("You do not administer the commune “{value}”: its rows cannot "
                              "be changed from your account."),
    "missing_reference": N_("“{value}” is not on the sheet {sheet}."),
}
COUNTS = {
    "unit": N_("electoral units: {count}"),
    "hamlet": N_("hamlets: {count}"),
    "seat": N_("delegates: {count}"),
    "field": N_("fields: {count}"),
    "agency": N_("agencies: {count}"),
    "option": N_("dialogue choices: {count}"),
}
KINDS = {
    "commune": N_("commune"),
    "unit": N_("electoral unit"),
    "hamlet": N_("hamlet"),
    "seat": N_("delegate"),
    "field": N_("field"),
    "agency": N_("agency"),
    "option": N_("dialogue choice"),
}
ATTRIBUTES = {
    "province": N_("province code"),
    "province_name": N_("province"),
    "name": N_("name"),
    "kind": N_("type"),
    "district": N_("former district"),
    "office_phone": N_("office phone"),
    "address": N_("address"),
    "opening_hours": N_("opening hours"),
    "reception_schedule": N_("citizen reception"),
    "answer_days": N_("days to answer"),
    "households": N_("households"),
    "unit": N_("electoral unit"),
    "position": N_("place in the list"),
    "title": N_("title"),
    "phone": N_("phone"),
    "competence": N_("level"),
    "fields": N_("fields"),
}
VALUES = {
    "xa": N_("Commune"), "phuong": N_("Ward"), "dac_khu": N_("Special zone"),
    "commune": N_("Commune"), "province": N_("Province"), "utility": N_("Power and water"),
}
USES = {
    "people": N_("{count} people live there"),
    "petitions": N_("{count} petitions"),
    "dialogues": N_("{count} dialogues"),
    "registrations": N_("{count} dialogue registrations"),
    "staff": N_("{count} staff accounts"),
    "invites": N_("{count} unused invite links"),
    "meetings": N_("{count} meetings"),
    "account": N_("the delegate uses the bot"),
    "hamlets": N_("{count} hamlets that stay"),
    "seats": N_("{count} delegates who stay"),
}


# -- texts, shared with the terminal ------------------------------------------------------


def describe_problem(t: Translator, problem: SetupProblem) -> str:
    """A problem of the file or of the plan, by sheet, row and column, in the reader's words."""
    from handlers.setup_problems import describe_setup_problem

    if problem.key in PLAN_PROBLEMS:
        # Worded here, placed by the file's own wording (its braces kept literal).
        text = t._(PLAN_PROBLEMS[problem.key]).format_map(defaultdict(str, problem.params))
        problem = replace(problem, key=text.replace("{", "{{").replace("}", "}}"), params={})
    return describe_setup_problem(t, problem)


def _counts(t: Translator, counts: dict[str, int]) -> str:
    return ", ".join(t._(COUNTS[kind], count=count) for kind, count in counts.items()
                     if kind in COUNTS)


def _value(t: Translator, value: str) -> str:
    return t._(VALUES[value]) if value in VALUES else (value or "—")


def describe_commune(t: Translator, plan: CommunePlan, *, details: int = DETAILS_SHOWN
                     ) -> list[str]:
    """A commune's summary line, then its updates, removals and kept items, a few in full."""
    parts = []
    if added := _counts(t, plan.count("added")):
        parts.append(t._("add {items}", items=added))
    if updated := _counts(t, plan.count("updated")):
        parts.append(t._("change {items}", items=updated))
    if plan.updated and plan.updated[0].kind == "commune":
        parts.append(t._("change the commune's details"))
    if removed := _counts(t, plan.count("removed")):
        parts.append(t._("remove {items}", items=removed))
    if plan.kept:
        parts.append(t._("keep {count} still in use", count=len(plan.kept)))
    name = plan.name + (" " + t._("(new)") if plan.new else "")
    summary = "; ".join(parts) if parts else t._("no change")
    lines = [f"{name}: {summary}"]
    notes = [
        *(t._("change {kind} “{name}”: {changes}", kind=t._(KINDS[c.kind]), name=c.label,
              changes="; ".join(t._("{attribute} “{before}” → “{after}”",
                                    attribute=t._(ATTRIBUTES.get(a, a)),
                                    before=_value(t, before), after=_value(t, after))
                                for a, before, after in c.attributes))
          for c in plan.updated),
        *(t._("remove {kind} “{name}”", kind=t._(KINDS[c.kind]), name=c.label)
          for c in plan.removed),
        *(t._("keep {kind} “{name}”: {uses}", kind=t._(KINDS[k.kind]), name=k.label,
              uses=", ".join(t._(USES.get(use, use), count=count) for use, count in k.uses))
          for k in plan.kept),
    ]
    lines += ["  • " + note for note in notes[:details]]
    if len(notes) > details:
        lines.append("  " + t._("…and {count} more.", count=len(notes) - details))
    return lines


def describe_plan(t: Translator, communes: Iterable[CommunePlan]) -> list[str]:
    return [line for plan in communes for line in describe_commune(t, plan)]


# -- notices from the background check ----------------------------------------------------


def setup_checked(t: Translator, params: dict[str, Any]) -> Reply:
    communes = [plan_from_json(item) for item in params.get("communes", [])]
    import_id = int(params.get("import_id", 0))
    if not params.get("changed"):
        return Reply(title=t._("Commune setup"), text=t._(
            "{file}: the workbook is the same as the data the bot holds. Nothing to change.",
            file=params.get("file", "")))
    return Reply(title=t._("Commune setup"), text="\n".join([
        t._("{file} is correct. Applying it will:", file=params.get("file", "")), "",
        *describe_plan(t, communes), "",
        t._("Nothing in use is deleted. Apply these changes?")]),
        choices=(Choice(f"setup:apply:{import_id}", t._("✅ Apply")),
                 Choice(f"setup:cancel:{import_id}", t._("✖ Cancel"))))


def setup_refused(t: Translator, params: dict[str, Any]) -> Reply:
    problems = [describe_problem(t, problem_from_json(p)) for p in params.get("problems", [])]
    count = int(params.get("count", len(problems)))
    more = count - len(problems)
    return Reply(title=t._("Commune setup"), text="\n".join([
        t._("Nothing was changed from {file}: {count} problems to fix.",
            file=params.get("file", ""), count=count), "",
        *["• " + line for line in problems],
        *(["", t._("…and {count} more.", count=more)] if more > 0 else []), "",
        t._("Fix the file and send it again.")]))


def setup_failed(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(text=t._("The file {file} could not be fetched. Please send it again.",
                          file=params.get("file", "")))


SETUP_NOTICES = {
    "setup_checked": setup_checked,
    "setup_refused": setup_refused,
    "setup_failed": setup_failed,
}


def describe_applied(t: Translator, applied: SetupApplied) -> str:
    if not applied.changed:
        return t._("Nothing was changed: the data was already the same.")
    return "\n".join([t._("Applied:"), *describe_plan(t, applied.communes)])


# -- the conversation ---------------------------------------------------------------------


def _cancel(turn: Turn) -> Choice:
    return Choice("menu:main", turn._("✖ Cancel"))


@action("menu:setup")
async def start_setup(turn: Turn) -> None:
    if not await administered_codes(turn.db, turn.person):
        await show_menu(turn, turn._("Only the commune's admin can set it up."))
        return
    turn.say(turn._("The commune workbook lists its hamlets, electoral units, delegates, "
                    "fields, agencies and dialogue choices. Download it, correct it in Excel, "
                    "then send it back here."), title=turn._("Commune setup"), choices=[
        Choice("setup:export", turn._("⬇️ Download this commune's workbook")),
        Choice("setup:template", turn._("📄 Download the empty template")),
        Choice("setup:upload", turn._("⬆️ Send the filled workbook")),
        _cancel(turn)])


@action("setup:export")
async def send_export(turn: Turn) -> None:
    from storage.setup.workbook_file import write_workbook

    codes = await administered_codes(turn.db, turn.person)
    if not codes or turn.person is None:
        await show_menu(turn)
        return
    content = write_workbook(await export_workbook(turn.db, codes))
    # It holds delegates' phones: a personal file, short-lived.
    stored = store_file(turn.db, f"thiet-lap-{codes[0]}.xlsx", content,
                        owner_id=turn.person.id, personal=True)
    turn.say(turn._("The workbook of your commune, as the bot holds it now."),
             file=(stored.token, stored.name),
             choices=[Choice("setup:upload", turn._("⬆️ Send the filled workbook")),
                      _cancel(turn)])


@action("setup:template")
async def send_template(turn: Turn) -> None:
    from storage.setup.workbook_file import build_workbook_template

    if not await administered_codes(turn.db, turn.person) or turn.person is None:
        await show_menu(turn)
        return
    stored = store_file(turn.db, "mau-thiet-lap-xa.xlsx", build_workbook_template(),
                        owner_id=turn.person.id)
    turn.say(turn._("The empty workbook, with an example commune and a sheet that explains "
                    "each column."), file=(stored.token, stored.name),
             choices=[Choice("setup:upload", turn._("⬆️ Send the filled workbook")),
                      _cancel(turn)])


@action("setup:upload")
async def ask_file(turn: Turn) -> None:
    if not await administered_codes(turn.db, turn.person):
        await show_menu(turn)
        return
    turn.go(FLOW, "file")
    turn.say(turn._("Send the workbook here as a document (an .xlsx file)."),
             choices=[_cancel(turn)])


@step(FLOW, "file")
async def on_file(turn: Turn) -> None:
    inbound = turn.inbound
    name = inbound.file_name or ""
    if inbound.kind is not Kind.FILE or not inbound.file_ref or not name.lower().endswith(
            ACCEPTED) or turn.person is None:
        turn.say(turn._("Please send the workbook as a document: an .xlsx file."),
                 choices=[_cancel(turn)])
        return
    stored = refer_to_platform_file(turn.db, name, f"{inbound.channel}:{inbound.file_ref}",
                                    owner_id=turn.person.id)
    try:
        await request_setup_import(turn.db, turn.person, stored.token, name)
    except SetupRefused:
        await show_menu(turn, turn._("Only the commune's admin can set it up."))
        return
    await show_menu(turn, turn._("Received {file}. I am checking it; the result comes in a "
                                 "moment.", file=name))


@action("setup:apply:*")
async def apply_upload(turn: Turn) -> None:
    if turn.person is None:
        return
    try:
        applied = await apply_setup_import(turn.db, turn.person,
                                           choice_number(turn.inbound.choice) or 0, now=turn.now)
    except SetupRefused:
        await show_menu(turn, turn._("This workbook was already applied or cancelled."))
        return
    except SetupNotClean as refused:
        lines = [describe_problem(turn.t, p) for p in refused.problems[:20]]
        await show_menu(turn, "\n".join([
            turn._("The data changed since the check; nothing was applied:"),
            *["• " + line for line in lines], turn._("Fix the file and send it again.")]))
        return
    await show_menu(turn, describe_applied(turn.t, applied))


@action("setup:cancel:*")
async def cancel_upload(turn: Turn) -> None:
    if turn.person is not None:
        with contextlib.suppress(SetupRefused):  # already gone: nothing to undo
            await cancel_setup_import(turn.db, turn.person,
                                      choice_number(turn.inbound.choice) or 0)
    await show_menu(turn, turn._("Stopped. Nothing was changed."))
