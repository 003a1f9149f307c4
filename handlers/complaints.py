"""Complaints and denunciations (khiếu nại, tố cáo): not petitions, so the bot shows the lawful way.

The law wants a signed letter or a visit in person with full name and address, and anonymous
denunciations are not processed (domain.md §3). The bot says so plainly, shows the commune's
citizen-reception schedule, and never pretends to have filed anything.
"""

from __future__ import annotations

import re

from handlers.menu import show_menu
from handlers.turn import Turn
from storage.folding import fold
from storage.places import commune_of_person

# Folded words, so "khieu nai" typed without accents is caught too.
_COMPLAINT = re.compile(r"\b(khieu nai|khieu kien|to cao|don thu|to giac)\b")


def looks_like_complaint(text: str) -> bool:
    return _COMPLAINT.search(fold(text)) is not None


async def show_complaint_route(turn: Turn) -> None:
    _ = turn._
    commune = await commune_of_person(turn.db, turn.person)
    schedule = (commune.reception_schedule if commune else None) or _(
        "Ask the commune People's Committee office for the reception days.")
    text = "\n".join([
        _("A complaint (khiếu nại) or a denunciation (tố cáo) is not a petition. By law it "
          "must be a letter with your full name and address, signed by you, or made in person "
          "at a citizen reception. Anonymous denunciations are not handled."),
        "",
        _("Where to go: the citizen reception of the commune People's Committee."),
        _("Reception schedule: {schedule}", schedule=schedule),
        "",
        _("Bring your identity card and any papers about the matter. Nothing you wrote here "
          "has been filed."),
    ])
    await show_menu(turn, text)
