"""Where conversations register themselves: slash commands, flow steps and menu actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.turn import Turn

Step = Callable[[Turn], Awaitable[None]]

COMMANDS: dict[str, Step] = {}
STEPS: dict[tuple[str, str], Step] = {}
ACTIONS: dict[str, Step] = {}
# Commands shown in Telegram's menu, in order: (name, English description as a msgid).
MENU_COMMANDS: list[tuple[str, str]] = []


def command(name: str, description: str | None = None) -> Callable[[Step], Step]:
    def register(handler: Step) -> Step:
        COMMANDS[name] = handler
        if description is not None:
            MENU_COMMANDS.append((name, description))
        return handler

    return register


def step(flow: str, name: str) -> Callable[[Step], Step]:
    def register(handler: Step) -> Step:
        STEPS[(flow, name)] = handler
        return handler

    return register


def action(name: str) -> Callable[[Step], Step]:
    """A choice that works from any message, e.g. a main-menu button pressed later."""

    def register(handler: Step) -> Step:
        ACTIONS[name] = handler
        return handler

    return register


def find_action(choice: str | None) -> Step | None:
    """The action for a pressed choice; `"pt:ok:42"` finds one registered as `"pt:ok:*"`."""
    if not choice:
        return None
    if choice in ACTIONS:
        return ACTIONS[choice]
    head, _, tail = choice.rpartition(":")
    if head and tail.isdigit():
        return ACTIONS.get(f"{head}:*")
    return None


def choice_number(choice: str | None) -> int | None:
    """The number at the end of a parameterised choice (`"pt:ok:42"` → 42)."""
    tail = (choice or "").rpartition(":")[2]
    return int(tail) if tail.isdigit() and len(tail) < 12 else None
