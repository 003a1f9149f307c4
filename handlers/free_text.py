"""Free text anywhere: what a typed message means when no step reads it, and where it leads.

Villagers type what they want ("bà muốn hỏi tiền hỗ trợ hộ nghèo", "kn 2026 42", "dang ki
doi thoai") wherever they are. At the menu (no open step), and at a step that waits for a
choice when the text is none of its choices, `handlers.understanding` reads the message and
the person goes where they meant to, as if they had pressed that menu item: a described
problem starts a petition that keeps it, a complaint gets the lawful route, a petition code
shows that petition (only one's own). When unsure, one short question offers the likely
meanings as buttons, with the way back to the menu: never "I did not understand" alone.

Steps that take free text (a petition's content, a name, an answer) are never second-guessed:
only steps registered with `answers` (registry.CHOICE_STEPS) fall back to understanding.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from handlers.i18n import N_
from handlers.menu import answer_unexpected, show_menu
from handlers.onboarding import start_onboarding
from handlers.petitions.complaints import LEGAL_MEANINGS, show_complaint_route
from handlers.petitions.my_petitions import show_by_code
from handlers.petitions.submit import (
    ATTACHMENT_KINDS,
    ask_step_again,
    has_unsent_draft,
    start_petition,
    start_petition_with,
)
from handlers.petitions.submit import FLOW as PETITION_FLOW
from handlers.registry import ACTIONS, COMMANDS, step
from handlers.turn import Turn
from handlers.understanding import MEANINGS, Context, Understanding, understand
from handlers.understanding.fields import lexicon_scores
from handlers.understanding.meanings import DEFAULT_ALTERNATIVES
from handlers.values import Choice, Kind
from storage.petitions.petitions import MAX_CONTENT

FLOW = "understood"
# The petition's step that asks whether to leave an unsent draft for something else.
LEAVING = "leaving"

# Meanings that are a menu item: typed, they do what pressing the item does.
MENU_ITEMS: dict[str, str] = {
    "my_petitions": "menu:mypetitions",
    "petition_status": "menu:mypetitions",  # without a code: the list to choose from
    "meetings": "menu:meetings",
    "meeting_question": "menu:meetings",  # a question is sent from its meeting's card
    "dialogue": "menu:dialogue",
    "help": "menu:help",
    "my_data": "menu:mydata",
    "forget_me": "menu:forget",  # asks to confirm, as the button does
    "change_hamlet": "menu:hamlet",
}
ROUTED = frozenset({*MENU_ITEMS, "petition", *LEGAL_MEANINGS, "cancel"})
# The flow a meaning leads into, where its steps read that text themselves: a problem typed
# inside the petition flow belongs to the draft, not to a new one.
OWN_FLOW = {"petition": "petition"}
# Offered when unsure: the button's action and label (the menu's own labels).
OFFERS: dict[str, tuple[str, str]] = {
    "petition": ("un:petition", N_("✍️ Send a petition")),
    "complaint": ("un:complaint", N_("⚖️ A complaint or denunciation")),
    "denunciation": ("un:complaint", N_("⚖️ A complaint or denunciation")),
    "my_petitions": ("menu:mypetitions", N_("📂 My petitions")),
    "petition_status": ("menu:mypetitions", N_("📂 My petitions")),
    "meetings": ("menu:meetings", N_("📅 Voter-contact meetings")),
    "meeting_question": ("menu:meetings", N_("📅 Voter-contact meetings")),
    "dialogue": ("menu:dialogue", N_("🤝 Register for a dialogue")),
    "help": ("menu:help", N_("❓ Help")),
    "my_data": ("menu:mydata", N_("📋 My data")),
    "forget_me": ("menu:forget", N_("🗑 Delete my data")),
    "change_hamlet": ("menu:hamlet", N_("🏡 Change my hamlet")),
}
MAX_OFFERS = 3
# A message this long tells a problem even without a known field word.
PROBLEM_WORDS = 6


def describes_problem(text: str) -> bool:
    """Whether a message tells the problem itself, not only the wish to send one.

    "Gửi kiến nghị" is the wish: the flow asks for the content. "Đèn đường ấp Tân Hậu bị hư"
    is the content, and is kept as the petition's text.
    """
    return bool(lexicon_scores(text)) or len(text.split()) >= PROBLEM_WORDS


def first_message_draft(turn: Turn) -> dict[str, Any] | None:
    """What a petition begun by this message keeps: an attachment (and its caption) or a
    location."""
    inbound = turn.inbound
    kind = ATTACHMENT_KINDS.get(inbound.kind)
    if kind is not None and inbound.file_ref:
        draft: dict[str, Any] = {"attachments": [[kind, inbound.channel, inbound.file_ref]]}
        if inbound.text.strip():
            # A photo's caption is the problem told in words.
            draft["content"] = inbound.text.strip()
        return draft
    if inbound.kind is Kind.LOCATION and inbound.latitude is not None and (
        inbound.longitude is not None
    ):
        return {"latitude": inbound.latitude, "longitude": inbound.longitude}
    return None


async def at_menu(turn: Turn) -> None:
    """A message with no step waiting for it."""
    inbound = turn.inbound
    if inbound.kind is not Kind.TEXT:
        draft = first_message_draft(turn)
        if draft is not None:
            await start_petition_with(turn, draft)
            return
        await answer_unexpected(turn)
        return
    understood = understand(inbound.text)
    if understood.sure and understood.meaning in ROUTED:
        await route(turn, understood, inbound.text)
    elif understood.meaning == "greeting":
        await show_menu(turn, turn._("Hello! What would you like to do?"))
    elif understood.meaning in ("yes", "no"):
        # A yes or a no to nothing asked: the menu, which says what can be done.
        await show_menu(turn)
    else:
        ask_which(turn, understood, inbound.text)


async def before_consent(turn: Turn) -> None:
    """Someone new writes first: a petition's first message waits through onboarding."""
    inbound = turn.inbound
    draft = first_message_draft(turn)
    if inbound.kind is Kind.TEXT:
        understood = understand(inbound.text)
        if understood.sure and understood.meaning == "help":
            await COMMANDS["help"](turn)
            return
        if understood.meaning == "petition" and describes_problem(inbound.text):
            draft = {"content": inbound.text.strip()}
    await start_onboarding(turn, draft=draft)


async def at_choice_step(turn: Turn, answers: dict[str, str | None]) -> bool:
    """Text at a step that waits for a choice; True when it was answered here.

    An expected answer ("dạ không" at a yes/no question) becomes that choice and the step
    runs; a clear wish for something else leads there; anything else the step answers itself
    (by asking its question again, with its buttons).
    """
    text = turn.inbound.text
    expecting = frozenset(meaning for meaning in MEANINGS if meaning in answers)
    understood = understand(text, Context(expecting=expecting))
    if understood.sure and understood.meaning in answers:
        action = answers[understood.meaning]
        if action is not None:
            turn.inbound = replace(turn.inbound, kind=Kind.CHOICE, choice=action)
        return False
    if not (turn.consented_at_start and understood.sure and understood.meaning in ROUTED):
        return False
    if OWN_FLOW.get(understood.meaning) == turn.conversation.flow:
        return False
    if (turn.conversation.flow == PETITION_FLOW and understood.meaning != "cancel"
            and has_unsent_draft(turn.data)):
        # A petition code typed while writing one, say: the draft is not dropped unasked.
        ask_before_leaving(turn, text)
        return True
    await route(turn, understood, text)
    return True


def ask_before_leaving(turn: Turn, text: str) -> None:
    """Leave the unsent petition for what was just asked, or go on with it?"""
    _flow, current = turn.step
    back_to = turn.data.get("back_to") if current == LEAVING else current
    turn.go(PETITION_FLOW, LEAVING, leaving_text=text, back_to=back_to)
    turn.say(turn._("Your petition is not sent yet. Do you want to leave it to do what you "
                    "just asked?"),
             choices=[Choice("pe:resume", turn._("✍️ No, go on with my petition")),
                      Choice("pe:leave", turn._("🗑 Yes, leave it"))])


@step(PETITION_FLOW, LEAVING, answers={"yes": "pe:leave", "no": "pe:resume"})
async def on_leaving(turn: Turn) -> None:
    text = str(turn.data.get("leaving_text", ""))
    choice = turn.inbound.choice
    if choice == "pe:leave":
        turn.end()
        # What was asked, read again as if typed at the menu.
        turn.inbound = replace(turn.inbound, kind=Kind.TEXT, text=text, choice=None)
        await at_menu(turn)
    elif choice == "pe:resume":
        await ask_step_again(turn, turn.data.get("back_to"))
    else:
        ask_before_leaving(turn, text)


async def route(turn: Turn, understood: Understanding, text: str) -> None:
    """Do what the person clearly asked for."""
    meaning = understood.meaning
    if meaning == "petition":
        if describes_problem(text):
            await start_petition_with(turn, {"content": text.strip()})
        else:
            await start_petition(turn)
    elif meaning in LEGAL_MEANINGS:
        await show_complaint_route(turn, content=text.strip()[:MAX_CONTENT])
    elif meaning == "petition_status" and understood.code is not None:
        await show_by_code(turn, understood.code)
    elif meaning == "cancel":
        await COMMANDS["cancel"](turn)
    else:
        action = MENU_ITEMS[meaning]
        turn.inbound = replace(turn.inbound, kind=Kind.CHOICE, choice=action)
        await ACTIONS[action](turn)


def ask_which(turn: Turn, understood: Understanding, text: str) -> None:
    """One short question: the likely meanings as buttons, and the way back to the menu."""
    likely = [understood.meaning, *understood.alternatives]
    offers: list[tuple[str, str]] = []
    for meaning in [*likely, *DEFAULT_ALTERNATIVES]:
        offer = OFFERS.get(meaning)
        if offer is not None and offer[0] not in {action for action, _ in offers}:
            offers.append(offer)
    choices = [Choice(action, turn._(label)) for action, label in offers[:MAX_OFFERS]]
    turn.end()
    # The text waits here: chosen as a petition or a complaint, it is not typed twice.
    turn.go(FLOW, "which", text=text)
    turn.say(turn._("Do you want one of these?"),
             choices=[*choices, Choice("menu:main", turn._("↩ Main menu"))])


@step(FLOW, "which", answers={})
async def on_which(turn: Turn) -> None:
    text = str(turn.data.get("text", ""))
    choice = turn.inbound.choice
    if choice == "un:petition":
        await route(turn, Understanding("petition", 1.0), text)
    elif choice == "un:complaint":
        await route(turn, Understanding("complaint", 1.0), text)
    else:
        # Something else typed or sent instead: read afresh, as at the menu.
        turn.end()
        await at_menu(turn)
