"""Poverty-policy dialogues for households: registering (the request form), and seat offers.

The household category is asked only after its own consent, because it is sensitive.
"""

from __future__ import annotations

from handlers.dates import format_datetime
from handlers.i18n import N_
from handlers.menu import show_menu, show_result
from handlers.registry import action, choice_number, command, step
from handlers.turn import Turn
from handlers.values import Choice, Kind
from storage.dialogues.dialogues import (
    DialogueChoice,
    RegistrationForm,
    RegistrationRefused,
    Waitlisted,
    accept_offer,
    cancel_registration,
    consent_to_category,
    dialogue_calendar,
    dialogue_choices,
    dialogue_hamlets,
    door_code,
    get_dialogue,
    get_own_registration,
    open_dialogues,
    register_household,
    registrations_of,
)
from storage.files import store_file
from storage.models import Dialogue, Registration
from storage.people.people import clean_name
from storage.places import commune_of_person


async def _my_registration(turn: Turn) -> Registration | None:
    registration = (await get_own_registration(turn.db, turn.person,
                                               choice_number(turn.inbound.choice) or 0)
                    if turn.person else None)
    if registration is None:
        await show_menu(turn, turn._("That registration is not yours."))
    return registration


@action("dlg:accept:*")
async def accept_seat(turn: Turn) -> None:
    registration = await _my_registration(turn)
    if registration is None:
        return
    try:
        await accept_offer(turn.db, registration, now=turn.now)
    except RegistrationRefused:
        await show_menu(turn, turn._("Sorry, this offer has ended; the seat went to the next "
                                     "household."))
        return
    dialogue = await get_dialogue(turn.db, registration.dialogue_id)
    assert dialogue is not None
    # Now that the household has a seat, it gets its door code and the calendar file.
    await _send_seat(turn, dialogue, registration, turn._(
        "Your seat is confirmed. Registration {code}; show the check-in code {checkin} at the "
        "door. Add the dialogue to your calendar with the file.", code=registration.code,
        checkin=door_code(registration)))


async def _send_seat(turn: Turn, dialogue: Dialogue, registration: Registration,
                     text: str) -> None:
    ics = store_file(turn.db, f"doi-thoai-{dialogue.id}.ics", dialogue_calendar(dialogue),
                     owner_id=registration.person_id)
    show_result(turn, text, title=dialogue.title, file=(ics.token, ics.name))


@action("dlg:decline:*")
@action("dlx:*")
async def cancel_my_registration(turn: Turn) -> None:
    """Declining an offered seat and cancelling a registration free the seat alike."""
    registration = await _my_registration(turn)
    if registration is None:
        return
    try:
        await cancel_registration(turn.db, registration, now=turn.now)
    except RegistrationRefused:
        await show_menu(turn, turn._("Nothing to cancel."))
        return
    await show_menu(turn, turn._("Your registration {code} is cancelled. Thank you for telling "
                                 "us: your seat goes to the next household.",
                                 code=registration.code))


FLOW = "dialogue"
MAX_QUESTIONS = 2000
CATEGORY_NAMES = {
    "poor": N_("Poor household"),
    "near_poor": N_("Near-poor household"),
    "newly_non_poor": N_("Newly out of poverty"),
    "other": N_("Other"),
}
TOPIC_NAMES = {
    "poor_list_review": N_("Review of the poor-household list"),
    "benefits": N_("Benefits not yet received (health, schooling, housing, loans)"),
    "vocational_training": N_("Vocational training"),
    "job_loans": N_("Loans to create jobs"),
    "labour_export": N_("Working abroad under contract"),
    "other": N_("Other questions"),
}


def choice_labels(turn: Turn, options: list[DialogueChoice],
                  built_in: dict[str, str]) -> dict[str, str]:
    """Code → label: the catalog's for a built-in code, the commune's own name otherwise."""
    return {code: name if name is not None else turn._(built_in.get(code, code))
            for code, name in options}


async def offered_choices(turn: Turn) -> tuple[dict[str, str], dict[str, str]]:
    """The categories and topics the dialogue's commune offers, labelled for the reader."""
    dialogue = await get_dialogue(turn.db, int(turn.data.get("dialogue_id", 0)))
    categories, topics = await dialogue_choices(turn.db, dialogue.commune_id if dialogue else 0)
    return (choice_labels(turn, categories, CATEGORY_NAMES),
            choice_labels(turn, topics, TOPIC_NAMES))


def _quit(turn: Turn) -> Choice:
    return Choice("menu:main", turn._("✖ Cancel"))


@command("dialogue", N_("Register for a poverty-policy dialogue"))
@action("menu:dialogue")
async def start_registration(turn: Turn) -> None:
    commune = await commune_of_person(turn.db, turn.person)
    dialogues = await open_dialogues(turn.db, commune.id, turn.now) if commune else []
    mine = await registrations_of(turn.db, turn.person) if turn.person else []
    if not dialogues and not mine:
        await show_menu(turn, turn._("No dialogue is open for registration in your commune."))
        return
    lines, cancels = [], []
    for registration, dialogue in mine:
        when = format_datetime(dialogue.starts_at, turn.config.timezone)
        status = turn._(MY_STATUS.get(registration.status, ""))
        checkin = door_code(registration)
        lines.append(
            turn._("{title}, {when}: {status} ({code}, check-in code {checkin})",
                   title=dialogue.title, code=registration.code, when=when, status=status,
                   checkin=checkin) if checkin else
            turn._("{title}, {when}: {status} ({code})", title=dialogue.title,
                   code=registration.code, when=when, status=status))
        cancels.append(Choice(f"dlx:{registration.id}",
                              turn._("❌ Cancel {code}", code=registration.code)))
    registered = {dialogue.id for _registration, dialogue in mine}
    turn.go(FLOW, "pick")
    turn.say("\n".join([*lines, "", turn._("Which dialogue?")] if lines else
                       [turn._("Which dialogue?")]),
             title=turn._("Register for a dialogue"), choices=[
        Choice(f"dp:{d.id}", f"{d.title} · {format_datetime(d.starts_at, turn.config.timezone)}")
        for d in dialogues if d.id not in registered] + cancels + [_quit(turn)])


MY_STATUS = {
    "registered": N_("registered"),
    "waiting": N_("on the waiting list"),
    "offered": N_("a seat is offered to you"),
}



@step(FLOW, "pick")
async def on_pick(turn: Turn) -> None:
    commune = await commune_of_person(turn.db, turn.person)
    open_ids = {d.id: d for d in await open_dialogues(turn.db, commune.id, turn.now)} if (
        commune) else {}
    chosen = open_ids.get(choice_number(turn.inbound.choice) or 0)
    if chosen is None:
        await start_registration(turn)
        return
    turn.go(FLOW, "consent", dialogue_id=chosen.id, topics=[])
    turn.say(
        "\n".join([f"{chosen.title}", format_datetime(chosen.starts_at, turn.config.timezone),
                   chosen.place, "",
                   turn._("To register, the office needs your household's category (poor, "
                          "near-poor...). This is sensitive: only the commune office sees it, "
                          "never delegates, agencies or other people; /forget erases it. Do you "
                          "agree to give it?")]),
        choices=[Choice("dc:yes", turn._("Yes, I agree")), _quit(turn)])


@step(FLOW, "consent")
async def on_consent(turn: Turn) -> None:
    if turn.inbound.choice != "dc:yes" or turn.person is None:
        await show_menu(turn, turn._("Not registered. Nothing was kept."))
        return
    await consent_to_category(turn.db, turn.person, turn.inbound.channel)
    turn.go(FLOW, "name")
    known = turn.person.full_name
    turn.say(turn._("Name of the household's representative?"),
             choices=([Choice("dn:me", known)] if known else []) + [_quit(turn)])


@step(FLOW, "name")
async def on_name(turn: Turn) -> None:
    name = (turn.person.full_name if turn.inbound.choice == "dn:me" and turn.person else
            clean_name(turn.inbound.text) if turn.inbound.kind is Kind.TEXT else None)
    if not name:
        turn.say(turn._("Please type the representative's full name."), choices=[_quit(turn)])
        return
    hamlets = await dialogue_hamlets(turn.db, int(turn.data["dialogue_id"]))
    turn.go(FLOW, "hamlet", name=name)
    turn.say(turn._("Which hamlet does the household live in?"),
             choices=[Choice(f"dh:{hid}", hname) for hid, hname in hamlets] + [_quit(turn)])


@step(FLOW, "hamlet")
async def on_hamlet(turn: Turn) -> None:
    hamlets = dict(await dialogue_hamlets(turn.db, int(turn.data["dialogue_id"])))
    hamlet_id = choice_number(turn.inbound.choice)
    if hamlet_id not in hamlets:
        turn.say(turn._("Please choose a hamlet from the list."), choices=[
            Choice(f"dh:{hid}", hname) for hid, hname in hamlets.items()] + [_quit(turn)])
        return
    turn.go(FLOW, "category", hamlet_id=hamlet_id)
    await ask_category(turn)


async def ask_category(turn: Turn) -> None:
    categories, _topics = await offered_choices(turn)
    turn.say(turn._("The household's category (as you declare it)?"), choices=[
        Choice(f"dk:{key}", name) for key, name in categories.items()] + [_quit(turn)])


@step(FLOW, "category")
async def on_category(turn: Turn) -> None:
    category = (turn.inbound.choice or "").removeprefix("dk:")
    if category not in (await offered_choices(turn))[0]:
        await ask_category(turn)
        return
    turn.go(FLOW, "topics", category=category)
    await ask_topics(turn)


async def ask_topics(turn: Turn) -> None:
    chosen = set(turn.data.get("topics", []))
    _categories, topics = await offered_choices(turn)
    turn.say(turn._("What do you want to raise? Choose one or more, then Done."), choices=[
        Choice(f"dt:{key}", ("☑ " if key in chosen else "☐ ") + name)
        for key, name in topics.items()] + [Choice("dt:done", turn._("Done"))])


@step(FLOW, "topics")
async def on_topic(turn: Turn) -> None:
    choice = (turn.inbound.choice or "").removeprefix("dt:")
    chosen: list[str] = list(turn.data.get("topics", []))
    if choice == "done" and chosen:
        dialogue = await get_dialogue(turn.db, int(turn.data["dialogue_id"]))
        if dialogue is not None and not dialogue.questions_enabled:
            turn.go(FLOW, "questions")
            await show_review(turn, "")
            return
        turn.go(FLOW, "questions")
        turn.say(turn._("Your questions for the dialogue (the request form), or Skip."),
                 choices=[Choice("dq:skip", turn._("Skip"))])
        return
    if choice in (await offered_choices(turn))[1]:
        chosen = [t for t in chosen if t != choice] if choice in chosen else [*chosen, choice]
        turn.go(FLOW, "topics", topics=chosen)
    elif choice == "done":
        turn.say(turn._("Choose at least one."))
    await ask_topics(turn)


@step(FLOW, "questions")
async def on_questions(turn: Turn) -> None:
    text = "" if turn.inbound.choice == "dq:skip" else (
        turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else None)
    if text is None or len(text) > MAX_QUESTIONS:
        turn.say(turn._("Please type your questions, up to {limit} characters, or Skip.",
                        limit=MAX_QUESTIONS), choices=[Choice("dq:skip", turn._("Skip"))])
        return
    await show_review(turn, text)


async def show_review(turn: Turn, text: str) -> None:
    turn.go(FLOW, "review", questions=text)
    data = turn.data
    hamlets = dict(await dialogue_hamlets(turn.db, int(data["dialogue_id"])))
    categories, topics = await offered_choices(turn)
    turn.say("\n".join([
        turn._("Representative: {value}", value=data["name"]),
        turn._("Hamlet: {value}", value=hamlets.get(int(data["hamlet_id"]), "")),
        turn._("Category: {value}", value=categories.get(str(data["category"]), "")),
        turn._("Topics: {value}", value=", ".join(topics.get(t, t) for t in data["topics"])),
        turn._("Questions: {value}", value=text or "—"),
    ]), title=turn._("Check your registration"),
        choices=[Choice("dr:send", turn._("✅ Register")), _quit(turn)])


@step(FLOW, "review")
async def on_review(turn: Turn) -> None:
    if turn.inbound.choice != "dr:send" or turn.person is None:
        turn.say(turn._("Press Register, or Cancel."),
                 choices=[Choice("dr:send", turn._("✅ Register")), _quit(turn)])
        return
    data = turn.data
    dialogue = await get_dialogue(turn.db, int(data["dialogue_id"]))
    if dialogue is None:
        await show_menu(turn)
        return
    try:
        result = await register_household(turn.db, dialogue, turn.person, RegistrationForm(
            hamlet_id=int(data["hamlet_id"]), representative=str(data["name"]),
            category=str(data["category"]), topics=tuple(data["topics"]),
            questions=str(data.get("questions", ""))), now=turn.now)
    except RegistrationRefused as refused:
        await show_menu(turn, turn._(REFUSALS.get(refused.reason, REFUSALS["closed"])))
        return
    registration = result.registration
    if isinstance(result, Waitlisted):
        await show_menu(turn, turn._("Your hamlet's seats are all taken. You are on its waiting "
                                     "list ({ahead} households before you); if a seat frees, "
                                     "it is offered to you here.", ahead=result.ahead))
        return
    await _send_seat(turn, dialogue, registration, turn._(
        "You are registered. Registration {code}; show the check-in code {checkin} at the "
        "door. Add the dialogue to your calendar with the file.", code=registration.code,
        checkin=door_code(registration)))


REFUSALS = {
    "closed": N_("Registration for this dialogue is closed."),
    "past_deadline": N_("Registration for this dialogue is closed."),
    "not_invited": N_("This dialogue is for other household categories."),
    "already": N_("Your household is already registered for this dialogue."),
    "bad_hamlet": N_("That hamlet has no seats at this dialogue."),
    "bad_topic": N_("Please choose the topics again."),
    "no_name": N_("Please type the representative's full name."),
    "busy": N_("Sorry, please try again in a moment."),
}
