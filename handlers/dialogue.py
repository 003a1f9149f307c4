"""Poverty-policy dialogues for households: answering a seat offer (more comes with the flow).
"""

from __future__ import annotations

from handlers.menu import show_menu
from handlers.registry import action, choice_number
from handlers.turn import Turn
from storage.dialogues import (
    RegistrationRefused,
    accept_offer,
    cancel_registration,
    get_own_registration,
)


@action("dlg:accept:*")
async def accept_seat(turn: Turn) -> None:
    registration = (await get_own_registration(turn.db, turn.person,
                                               choice_number(turn.inbound.choice) or 0)
                    if turn.person else None)
    if registration is None:
        await show_menu(turn, turn._("That offer is not yours."))
        return
    try:
        await accept_offer(turn.db, registration, now=turn.now)
    except RegistrationRefused:
        await show_menu(turn, turn._("Sorry, this offer has ended; the seat went to the next "
                                     "household."))
        return
    await show_menu(turn, turn._("Your seat is confirmed. Registration {code}, check-in code "
                                 "{checkin}.", code=registration.code,
                                 checkin=registration.checkin_code))


@action("dlg:decline:*")
async def decline_seat(turn: Turn) -> None:
    registration = (await get_own_registration(turn.db, turn.person,
                                               choice_number(turn.inbound.choice) or 0)
                    if turn.person else None)
    if registration is None:
        await show_menu(turn, turn._("That offer is not yours."))
        return
    try:
        await cancel_registration(turn.db, registration, now=turn.now)
    except RegistrationRefused:
        await show_menu(turn, turn._("Nothing to cancel."))
        return
    await show_menu(turn, turn._("Thank you for telling us; the seat goes to the next "
                                 "household."))
