"""The commune a staff member works in, when their roles reach several (a province admin).

Every office screen asks `working_commune` which commune it is about; the person changes it
from the menu ("Change the commune I work in"), shown only to those with more than one. With
many communes (a province has about a hundred) they type the name instead of scrolling.
"""

from __future__ import annotations

from handlers.menu import show_menu
from handlers.registry import action, choice_number, step
from handlers.turn import Turn
from handlers.values import Choice, Kind
from storage import permissions
from storage.permissions import STAFF_ROLES, choose_working_commune, communes_where
from storage.places import find_communes, get_commune, list_communes

FLOW = "working_commune"
# More communes than this are found by typing their name, not listed as buttons.
SHOWN = 8
FOUND = 6


async def working_commune(turn: Turn, roles: tuple[str, ...]) -> int | None:
    """The commune this person acts in with `roles` now; None if the roles reach none."""
    return await permissions.working_commune(turn.db, turn.person, roles)


def _cancel(turn: Turn) -> Choice:
    return Choice("menu:main", turn._("✖ Cancel"))


@action("menu:commune")
async def ask_working_commune(turn: Turn) -> None:
    _ = turn._
    mine = await communes_where(turn.db, turn.person, STAFF_ROLES)
    if len(mine) < 2:
        await show_menu(turn, _("You work for one commune only."))
        return
    current = await get_commune(turn.db, await working_commune(turn, STAFF_ROLES) or 0)
    now = _("You are working in {commune} now.", commune=current.name if current else "")
    if len(mine) <= SHOWN:
        communes = [c for c in await list_communes(turn.db) if c.id in mine]
        turn.end()
        turn.say(now + "\n" + _("Which commune do you want to work in?"),
                 title=_("Change the commune I work in"),
                 choices=[Choice(f"wc:{c.id}", c.name) for c in communes] + [_cancel(turn)])
        return
    turn.go(FLOW, "name")
    turn.say(now + "\n" + _("You work for {count} communes. Type the name of the commune you "
                            "want to work in (accents are not needed), or its former district.",
                            count=len(mine)),
             title=_("Change the commune I work in"), choices=[_cancel(turn)])


@step(FLOW, "name")
async def on_commune_name(turn: Turn) -> None:
    _ = turn._
    mine = await communes_where(turn.db, turn.person, STAFF_ROLES)
    found = []
    if turn.inbound.kind is Kind.TEXT:
        found = await find_communes(turn.db, turn.inbound.text, FOUND, among=mine)
    if not found:
        turn.say(_("I found none of your communes by that name. Please type it again, for "
                   "example: Tan Thuan Tay."), choices=[_cancel(turn)])
        return
    turn.say(_("Which one?"), choices=[Choice(f"wc:{c.id}", c.name) for c in found]
             + [_cancel(turn)])


@action("wc:*")
async def on_working_commune(turn: Turn) -> None:
    _ = turn._
    number = choice_number(turn.inbound.choice)
    commune = await get_commune(turn.db, number) if number is not None else None
    if (
        commune is None
        or turn.person is None
        or not await choose_working_commune(turn.db, turn.person, commune.id)
    ):
        await show_menu(turn, _("You do not work for that commune."))
        return
    await show_menu(turn, _("You now work in {commune}.", commune=commune.name))
