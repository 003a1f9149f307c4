"""Deciding which handler answers an update: commands, then menu actions, then the open step.

Typed text that no step reads — at the menu, or at a step waiting for a choice when the text
is none of its choices — is understood (`handlers.free_text`): a villager types what they want
in their own words, and goes where a button would have taken them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

# Every conversation module registers its commands, actions and steps when imported.
from handlers import (  # noqa: F401
    account,
    broadcast,
    free_text,
    grouped_answers,
    menu,
    onboarding,
    panel_sign_in,
    posters,
    province,
    setup,
    topics,
    working_commune,
)
from handlers.dialogues import office as dialogue_office  # noqa: F401
from handlers.dialogues import register as dialogue_register  # noqa: F401
from handlers.menu import show_menu
from handlers.petitions import (  # noqa: F401
    agency,
    complaints,
    my_petitions,
    office,
    on_behalf,
    report,
    submit,
)
from handlers.registry import CHOICE_STEPS, CODE_STEPS, COMMANDS, STEPS, find_action
from handlers.text import fold, plain_label
from handlers.turn import Turn
from handlers.values import Inbound, Kind
from handlers.voter_contact import dossiers, meetings, plan_upload, report_back  # noqa: F401
from handlers.voter_contact import office as meetings_office  # noqa: F401
from handlers.voter_contact import questions as meeting_questions  # noqa: F401
from storage.people.roles import INVITE_PREFIX

# Commands that work before consent: they read nothing personal or only delete.
PUBLIC_COMMANDS = {"start", "help", "language", "cancel", "mydata", "forget"}

# Typed words that act as commands, for Zalo where there is no command menu.
KEYWORDS = {
    "menu": "menu",
    "start": "start",
    "bat dau": "start",
    "help": "help",
    "tro giup": "help",
    "huong dan": "help",
    "huy": "cancel",
    "cancel": "cancel",
    "thoat": "cancel",
}


def resolve_choice(
    inbound: Inbound, offered: list[list[str]], step: tuple[str | None, str | None] = (None, None)
) -> Inbound:
    """Typed `2`, or a typed label ("dong y"), becomes the choice it stands for.

    A menu number is up to three plain digits as written (`2`, not `02` or `²`); at a step
    that waits for a code (`step`), typed digits stay the code.
    """
    if inbound.kind is not Kind.TEXT or not offered:
        return inbound
    typed = inbound.text.strip().rstrip(".")
    action = None
    if typed.isascii() and typed.isdigit():
        if step not in CODE_STEPS and len(typed) <= 3 and not typed.startswith("0") and (
            int(typed) <= len(offered)
        ):
            action = offered[int(typed) - 1][0]
    else:
        folded = fold(typed)
        for candidate, label in offered:
            if folded and folded == plain_label(label):
                action = candidate
                break
    if action is None:
        return inbound
    return _replace(inbound, kind=Kind.CHOICE, choice=action)


def resolve_keyword(inbound: Inbound) -> Inbound:
    """Typed command words, and a typed invite code (Zalo's only way in), become commands."""
    if inbound.kind is Kind.TEXT:
        words = fold(inbound.text).lstrip("/")
        if words in KEYWORDS:
            return _replace(inbound, kind=Kind.COMMAND, command=KEYWORDS[words], text="")
        code = onboarding.typed_invite_code(inbound.text)
        if code is not None:
            return _replace(inbound, kind=Kind.COMMAND, command="start",
                            text=INVITE_PREFIX + code)
    return inbound


def _replace(inbound: Inbound, **changes: Any) -> Inbound:
    return replace(inbound, **changes)


async def respond(turn: Turn) -> None:
    """Run the one handler this update is for; it adds replies to the turn."""
    inbound = turn.inbound
    consented = turn.consented_at_start
    if inbound.kind is Kind.COMMAND:
        name = inbound.command or ""
        handler = COMMANDS.get(name)
        if handler is None:
            await _unknown_command(turn, consented)
        elif not consented and name not in PUBLIC_COMMANDS:
            await onboarding.start_onboarding(turn)
        else:
            await handler(turn)
        return
    flow, step_name = turn.step
    pressed = find_action(inbound.choice) if inbound.kind is Kind.CHOICE else None
    if pressed is not None and consented:
        await pressed(turn)
        return
    if flow is not None and step_name is not None and (flow, step_name) in STEPS:
        answers = CHOICE_STEPS.get((flow, step_name))
        if (answers is not None and inbound.kind is Kind.TEXT
                and await free_text.at_choice_step(turn, answers)):
            return
        await STEPS[(flow, step_name)](turn)
        return
    if not consented:
        await free_text.before_consent(turn)
        return
    await free_text.at_menu(turn)


async def _unknown_command(turn: Turn, consented: bool) -> None:
    if consented:
        await show_menu(turn, turn._("I do not know that command."))
    else:
        turn.say(turn._("I do not know that command. Type /start to begin."))

