"""A province admin's overview: each commune's people, petitions and coming meetings."""

from __future__ import annotations

from handlers.i18n import N_
from handlers.menu import show_menu
from handlers.registry import action, command
from handlers.turn import Turn
from handlers.values import Choice
from storage.permissions import provinces_administered
from storage.province import province_overview


@command("province", N_("Every commune's figures (province admin)"))
@action("menu:province")
async def show_province_overview(turn: Turn) -> None:
    _ = turn._
    provinces = await provinces_administered(turn.db, turn.person)
    if not provinces:
        await show_menu(turn, _("Only a province administrator sees every commune's figures."))
        return
    for province_id in provinces:
        overview = await province_overview(turn.db, turn.person, province_id, today=turn.today,
                                           now=turn.now)
        figures = overview.communes
        lines = [
            _("{communes} communes: {people} people registered, {open} petitions open "
              "({overdue} overdue), {answered} answered, {meetings} meetings coming.",
              communes=len(figures), people=sum(f.people for f in figures),
              open=sum(f.petitions_open for f in figures),
              overdue=sum(f.petitions_overdue for f in figures),
              answered=sum(f.petitions_answered for f in figures),
              meetings=sum(f.meetings_coming for f in figures)),
            "",
        ]
        # Communes with late answers first: they need the province's attention.
        for f in sorted(figures, key=lambda f: (-f.petitions_overdue, f.name)):
            lines.append(_("• {commune}: {people} people · {open} open ({overdue} overdue) · "
                           "{answered} answered · {meetings} meetings",
                           commune=f.name, people=f.people, open=f.petitions_open,
                           overdue=f.petitions_overdue, answered=f.petitions_answered,
                           meetings=f.meetings_coming))
        turn.say("\n".join(lines), title=overview.province)
    turn.end()
    turn.say(_("To work on one commune's petitions, choose the commune you work in."),
             choices=[Choice("menu:commune", _("🏛 Change the commune I work in")),
                      Choice("menu:main", _("↩ Main menu"))])
