"""A citizen's own petitions: the list, one petition with its history, settled or reopened.

The "does this answer settle it?" buttons arrive with the answer notice and work from any
moment later, so they are actions carrying the petition's id. In a merged group each
petitioner answers for themselves; storage decides whether that moves the petition.
"""

from __future__ import annotations

from handlers.dates import format_date, format_datetime
from handlers.i18n import N_
from handlers.menu import show_menu, show_result
from handlers.petitions.texts import snippet, status_name
from handlers.registry import action, choice_number, command, step
from handlers.turn import Turn
from handlers.understanding import PetitionCode
from handlers.values import Choice, Kind
from storage.models import Petition
from storage.petitions.petitions import (
    get_own_petition,
    own_petitions_numbered,
    petition_history,
    petitions_of,
)
from storage.petitions.workflow import (
    BadMove,
    NotYours,
    Status,
    expected_answer_on,
    own_response,
    respond_to_answer,
)

FLOW = "my_petitions"
MAX_REASON = 1000


@command("mypetitions", N_("My petitions and their answers"))
@action("menu:mypetitions")
async def list_my_petitions(turn: Turn) -> None:
    assert turn.person is not None
    petitions = await petitions_of(turn.db, turn.person)
    if not petitions:
        await show_menu(turn, turn._("You have not sent any petition yet."))
        return
    turn.end()
    choices = [
        Choice(f"mp:{p.id}", f"{p.code} · {status_name(turn, p.status)}") for p in petitions
    ]
    choices.append(Choice("menu:main", turn._("↩ Main menu")))
    turn.say(turn._("Your petitions, newest first. Choose one to see its history."),
             title=turn._("My petitions"), choices=choices)


@action("menu:main")
async def back_to_menu(turn: Turn) -> None:
    await show_menu(turn)


async def _own(turn: Turn) -> Petition | None:
    number = choice_number(turn.inbound.choice)
    if number is None or turn.person is None:
        return None
    return await get_own_petition(turn.db, turn.person, number)


@action("mp:*")
async def show_my_petition(turn: Turn) -> None:
    petition = await _own(turn)
    if petition is None:
        await show_menu(turn, turn._("That petition is not among yours."))
        return
    await show_petition(turn, petition)


async def show_by_code(turn: Turn, code: PetitionCode) -> None:
    """A code typed anywhere ("kn 2026 42"): the person's own petition with it.

    Someone else's code and an unknown one get the same answer, so typing codes tells
    nobody which exist.
    """
    found = (await own_petitions_numbered(turn.db, turn.person, code.number, code.year)
             if turn.person is not None else [])
    found = [petition for petition in found if code.matches(petition.code)]
    if len(found) == 1:
        await show_petition(turn, found[0])
        return
    if not found:
        show_result(turn, turn._("You have no petition with the code {code}. Its code is on "
                                 "the message you got when you sent it, like KN-2026-00042; "
                                 "“My petitions” lists all of yours.", code=str(code)))
        return
    # The same number in several years: the person picks the one meant.
    turn.end()
    turn.say(turn._("Which of your petitions do you mean?"), choices=[
        *(Choice(f"mp:{p.id}", f"{p.code} · {status_name(turn, p.status)}") for p in found),
        Choice("menu:main", turn._("↩ Main menu"))])


async def show_petition(turn: Turn, petition: Petition) -> None:
    """One of the person's own petitions: status, expected answer, history and answer."""
    _ = turn._
    assert turn.person is not None
    zone = turn.config.timezone
    lines = [_("Status: {status}", status=status_name(turn, petition.status))]
    expected = await expected_answer_on(turn.db, petition, turn.today)
    if expected is not None:
        lines.append(_("Answer expected by {date}.", date=format_date(expected)))
    lines += ["", snippet(petition.content, 300), "", _("History:")]
    for entry in await petition_history(turn.db, petition, turn.person):
        said = OWN_SAY.get(entry.action)
        status = entry.action.removeprefix("petition.")
        line = f"• {format_datetime(entry.at, zone)}: " + (
            _(said) if said else status_name(turn, status))
        if entry.reason:
            line += f" ({entry.reason})"
        lines.append(line)
    if petition.answer:
        lines += ["", _("Answer: {text}", text=petition.answer)]
    # Only an answer can be settled or not: no need to look for the person's say otherwise.
    said_now = (await own_response(turn.db, petition, turn.person)
                if petition.status in (Status.ANSWERED, Status.CLOSED) else None)
    choices = []
    if petition.status == Status.ANSWERED and said_now is None:
        choices = settle_choices(turn, petition.id)
    elif petition.status in (Status.ANSWERED, Status.CLOSED) and said_now != "reopened":
        choices = [Choice(f"pt:reopen:{petition.id}", _("Reopen it"))]
    choices.append(Choice("menu:mypetitions", _("↩ My petitions")))
    turn.end()
    turn.say("\n".join(lines), title=petition.code, choices=choices)


# What a petitioner of a merged group said for themselves, in their history.
OWN_SAY = {
    "petition.settled_own": N_("you said the answer settles it for you"),
    "petition.reopened_own": N_("you said the answer does not settle it"),
}


def settle_choices(turn: Turn, petition_id: int) -> list[Choice]:
    return [Choice(f"pt:ok:{petition_id}", turn._("👍 Yes, it is settled")),
            Choice(f"pt:reopen:{petition_id}", turn._("👎 No, reopen it"))]


@action("pt:ok:*")
async def settle_petition(turn: Turn) -> None:
    petition = await _own(turn)
    if petition is None or turn.person is None:
        await show_menu(turn, turn._("That petition is not among yours."))
        return
    try:
        moved = await respond_to_answer(turn.db, petition, turn.person, settles=True,
                                        now=turn.now)
    except (BadMove, NotYours):
        await show_menu(turn, turn._("Petition {code} is {status}; nothing was changed.",
                                     code=petition.code,
                                     status=status_name(turn, petition.status)))
        return
    await show_menu(turn, turn._("Thank you. Petition {code} is closed.", code=petition.code)
                    if moved else
                    turn._("Thank you. It is noted that the answer to {code} settles it for "
                           "you. Others asked the same; the commune office closes it for "
                           "everyone.", code=petition.code))


@action("pt:reopen:*")
async def ask_reopen_reason(turn: Turn) -> None:
    petition = await _own(turn)
    if petition is None:
        await show_menu(turn, turn._("That petition is not among yours."))
        return
    if petition.status not in (Status.ANSWERED, Status.CLOSED):
        await show_menu(turn, turn._("Petition {code} is {status}; nothing was changed.",
                                     code=petition.code,
                                     status=status_name(turn, petition.status)))
        return
    turn.go(FLOW, "reason", petition_id=petition.id)
    turn.say(turn._("Why does the answer not settle it? Your reason goes to the commune "
                    "office."), choices=[Choice("menu:main", turn._("✖ Cancel"))])


@step(FLOW, "reason")
async def on_reopen_reason(turn: Turn) -> None:
    reason = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    if not reason or len(reason) > MAX_REASON:
        turn.say(turn._("Please type the reason in words, up to {limit} characters.",
                        limit=MAX_REASON), choices=[Choice("menu:main", turn._("✖ Cancel"))])
        return
    assert turn.person is not None
    petition = await get_own_petition(turn.db, turn.person, int(turn.data["petition_id"]))
    if petition is None:
        await show_menu(turn)
        return
    try:
        moved = await respond_to_answer(turn.db, petition, turn.person, settles=False,
                                        reason=reason, now=turn.now)
    except (BadMove, NotYours):
        await show_menu(turn, turn._("Petition {code} is {status}; nothing was changed.",
                                     code=petition.code,
                                     status=status_name(turn, petition.status)))
        return
    await show_menu(turn, turn._("Petition {code} is reopened. The commune office will look at "
                                 "it again.", code=petition.code) if moved else
                    turn._("Your reason has gone to the commune office. Others asked the same, "
                           "so the office decides whether {code} is reopened for everyone.",
                           code=petition.code))
