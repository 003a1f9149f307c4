"""The office asks the bot for a link that signs them in to the web panel on a computer.

The link works once, within minutes, and the message holding it is not kept once sent.
"""

from __future__ import annotations

from handlers.menu import show_menu
from handlers.registry import action, command
from handlers.turn import Turn
from handlers.values import Choice
from storage.people.panel_access import issue_sign_in
from storage.permissions import NotAllowed

SIGN_IN_PATH = "/panel/sign-in/"


def sign_in_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{SIGN_IN_PATH}{token}"


@command("panel")
@action("menu:panel")
async def send_sign_in_link(turn: Turn) -> None:
    if turn.person is None:
        await show_menu(turn)
        return
    minutes = turn.config.panel_link_minutes
    try:
        token = await issue_sign_in(turn.db, turn.person, minutes=minutes, now=turn.now)
    except NotAllowed:
        await show_menu(turn, turn._("The web panel is for the commune office."))
        return
    turn.end()
    turn.say(
        turn._("Open this address on the computer or phone you work on. It signs you in "
               "once, within {minutes} minutes; do not pass it on.\n\n{url}",
               minutes=minutes, url=sign_in_url(turn.config.public_url, token)),
        title=turn._("Sign in to the web panel"),
        secret=True,
        choices=[Choice("menu:main", turn._("↩ Main menu"))],
    )
