"""Petitions for agency officers: their queue, nearest deadline first.

Opening, answering and returning a petition use the shared screens of `petition_office`.
"""

from __future__ import annotations

from handlers.dates import format_date
from handlers.i18n import N_
from handlers.menu import show_menu
from handlers.petitions.texts import snippet
from handlers.registry import action, command
from handlers.turn import Turn
from handlers.values import Choice
from storage.petitions.views import agencies_of_officer, agency_queue


@command("queue", N_("Petitions my agency must answer"))
@action("menu:agency")
async def show_agency_queue(turn: Turn) -> None:
    agencies = await agencies_of_officer(turn.db, turn.person)
    if not agencies:
        await show_menu(turn, turn._("This is for officers of an agency that answers "
                                     "petitions."))
        return
    lines = []
    for agency_id in agencies:
        lines += await agency_queue(turn.db, agency_id, limit=20)
    if not lines:
        await show_menu(turn, turn._("Your agency has no petition waiting for an answer."))
        return
    turn.end()
    choices = []
    for line in lines:
        due = format_date(line.due_on) if line.due_on else "—"
        choices.append(Choice(f"ap:{line.id}", f"{line.code} · {due} · "
                                               f"{snippet(line.content, 40)}"))
    choices.append(Choice("menu:main", turn._("↩ Main menu")))
    turn.say(turn._("Petitions waiting for your answer, nearest deadline first."),
             title=turn._("To answer"), choices=choices)
