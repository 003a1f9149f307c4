"""Where conversations register themselves: slash commands, flow steps and menu actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from handlers.turn import Turn

Step = Callable[[Turn], Awaitable[None]]
# Continues a flow that had to wait (onboarding first) with the data it kept.
Resume = Callable[[Turn, dict[str, Any]], Awaitable[None]]

COMMANDS: dict[str, Step] = {}
STEPS: dict[tuple[str, str], Step] = {}
# Steps that wait for a typed code: there, digits are the code, never a menu number.
CODE_STEPS: set[tuple[str, str]] = set()
ACTIONS: dict[str, Step] = {}
# Steps that wait for a choice, and what free text means there: a meaning (`"yes"`) leads to
# the choice it stands for (`"pn:yes"`), or to None when the step reads that text itself
# (the field step keeps a described problem). Other text there is understood as anywhere.
CHOICE_STEPS: dict[tuple[str, str], dict[str, str | None]] = {}
RESUMES: dict[str, Resume] = {}
# Commands shown in Telegram's menu, in order: (name, English description as a msgid).
MENU_COMMANDS: list[tuple[str, str]] = []


def command(name: str, description: str | None = None) -> Callable[[Step], Step]:
    def register(handler: Step) -> Step:
        COMMANDS[name] = handler
        if description is not None:
            MENU_COMMANDS.append((name, description))
        return handler

    return register


def step(
    flow: str, name: str, *, expects_code: bool = False,
    answers: Mapping[str, str | None] | None = None,
) -> Callable[[Step], Step]:
    """Register a step; `answers` marks one that waits for a choice (see `CHOICE_STEPS`)."""

    def register(handler: Step) -> Step:
        STEPS[(flow, name)] = handler
        if expects_code:
            CODE_STEPS.add((flow, name))
        if answers is not None:
            CHOICE_STEPS[(flow, name)] = dict(answers)
        return handler

    return register


def resumes(flow: str) -> Callable[[Resume], Resume]:
    """A flow that can wait for onboarding and then go on with what it kept."""

    def register(handler: Resume) -> Resume:
        RESUMES[flow] = handler
        return handler

    return register


def action(name: str) -> Callable[[Step], Step]:
    """A choice that works from any message, e.g. a main-menu button pressed later."""

    def register(handler: Step) -> Step:
        ACTIONS[name] = handler
        return handler

    return register


# Ids in callback data are database ids: a longer number is forged, and would overflow the
# database's integer (PostgreSQL raises on a bigger parameter than its column holds).
MAX_ID_DIGITS = 9


def parse_id(text: str | None) -> int | None:
    """A database id typed or carried in callback data: ASCII digits only, at most 9 of them.

    `str.isdigit` also accepts "²" and "٣", which `int` rejects or reads as another number,
    so every number from outside goes through here.
    """
    if not text or len(text) > MAX_ID_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def find_action(choice: str | None) -> Step | None:
    """The action for a pressed choice; `"pt:ok:42"` finds one registered as `"pt:ok:*"`."""
    if not choice:
        return None
    if choice in ACTIONS:
        return ACTIONS[choice]
    head, _, tail = choice.rpartition(":")
    if head and parse_id(tail) is not None:
        return ACTIONS.get(f"{head}:*")
    return None


def choice_number(choice: str | None) -> int | None:
    """The number at the end of a parameterised choice (`"pt:ok:42"` → 42)."""
    return parse_id((choice or "").rpartition(":")[2])
