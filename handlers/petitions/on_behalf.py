"""Petitions collected by word of mouth: a delegate or the office types them in for voters.

At a voter-contact meeting people speak; the delegate enters each opinion with the meeting as
its source, one after another, without repeating the meeting each time.
"""

from __future__ import annotations

from handlers.i18n import N_
from handlers.menu import show_menu
from handlers.petitions.texts import snippet
from handlers.registry import action, command, parse_id, step
from handlers.turn import Turn
from handlers.values import Choice, Kind
from handlers.working_commune import working_commune
from storage.people.people import clean_name
from storage.petitions.petitions import (
    ENTERERS,
    MAX_CONTENT,
    BadPetition,
    PetitionDraft,
    submit_petition,
)
from storage.places import get_field, get_hamlet, list_fields, list_hamlets

FLOW = "on_behalf"
MAX_SOURCE = 300


def _cancel(turn: Turn) -> Choice:
    return Choice("menu:main", turn._("✖ Cancel"))


@command("collect", N_("Enter petitions voters made at a meeting (delegates, office)"))
@action("menu:collect")
async def start_collecting(turn: Turn) -> None:
    commune_id = await working_commune(turn, ENTERERS)
    if commune_id is None:
        await show_menu(turn, turn._("Only delegates and the commune office enter petitions "
                                     "for voters."))
        return
    turn.go(FLOW, "source", commune_id=commune_id)
    turn.say(turn._("Which meeting were these opinions given at? E.g. “Tiếp xúc cử tri ấp Tân "
                    "Dân, 20/11/2026”."), title=turn._("Petitions from a meeting"),
             choices=[_cancel(turn)])


@step(FLOW, "source")
async def on_source(turn: Turn) -> None:
    source = " ".join(turn.inbound.text.split()) if turn.inbound.kind is Kind.TEXT else ""
    if not source or len(source) > MAX_SOURCE:
        turn.say(turn._("Please type the meeting's name and date, up to {limit} characters.",
                        limit=MAX_SOURCE), choices=[_cancel(turn)])
        return
    turn.go(FLOW, "voter", source=source)
    await ask_voter(turn)


async def ask_voter(turn: Turn) -> None:
    turn.go(FLOW, "voter", voter=None, hamlet_id=None, field_id=None)
    turn.say(turn._("The voter's full name, or Skip if they did not give it."),
             choices=[Choice("ob:skip", turn._("Skip")), _cancel(turn)])


@step(FLOW, "voter")
async def on_voter(turn: Turn) -> None:
    if turn.inbound.choice != "ob:skip":
        name = clean_name(turn.inbound.text) if turn.inbound.kind is Kind.TEXT else None
        if name is None:
            turn.say(turn._("Please type the name in letters, or press Skip."),
                     choices=[Choice("ob:skip", turn._("Skip")), _cancel(turn)])
            return
        turn.go(FLOW, "voter", voter=name)
    hamlets = await list_hamlets(turn.db, int(turn.data["commune_id"]))
    turn.go(FLOW, "hamlet")
    turn.say(turn._("Which hamlet does the voter live in?"),
             choices=[Choice(f"oh:{h.id}", h.name) for h in hamlets])


@step(FLOW, "hamlet")
async def on_hamlet(turn: Turn) -> None:
    raw = (turn.inbound.choice or "").removeprefix("oh:")
    hamlet_id = parse_id(raw)
    hamlet = await get_hamlet(turn.db, hamlet_id) if hamlet_id is not None else None
    hamlets = await list_hamlets(turn.db, int(turn.data["commune_id"]))
    if hamlet is None or hamlet.commune_id != int(turn.data["commune_id"]):
        turn.say(turn._("Please choose a hamlet from the list."),
                 choices=[Choice(f"oh:{h.id}", h.name) for h in hamlets])
        return
    fields = await list_fields(turn.db, hamlet.commune_id)
    turn.go(FLOW, "field", hamlet_id=hamlet.id)
    turn.say(turn._("Which field?"), choices=[Choice(f"ofd:{f.id}", f.name) for f in fields])


@step(FLOW, "field")
async def on_field(turn: Turn) -> None:
    raw = (turn.inbound.choice or "").removeprefix("ofd:")
    commune_id = int(turn.data["commune_id"])
    field_id = parse_id(raw)
    field = await get_field(turn.db, commune_id, field_id) if field_id is not None else None
    if field is None:
        fields = await list_fields(turn.db, commune_id)
        turn.say(turn._("Please choose a field from the list."),
                 choices=[Choice(f"ofd:{f.id}", f.name) for f in fields])
        return
    turn.go(FLOW, "content", field_id=field.id)
    turn.say(turn._("What did the voter ask for? Up to {limit} characters.", limit=MAX_CONTENT),
             choices=[_cancel(turn)])


@step(FLOW, "content")
async def on_content(turn: Turn) -> None:
    text = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    if not text or len(text) > MAX_CONTENT:
        turn.say(turn._("Please type the opinion in words, up to {limit} characters; split a "
                        "longer one in two.", limit=MAX_CONTENT), choices=[_cancel(turn)])
        return
    draft = PetitionDraft(
        commune_id=int(turn.data["commune_id"]), content=text,
        field_id=int(turn.data["field_id"]), hamlet_id=int(turn.data["hamlet_id"]),
        show_name=turn.data.get("voter") is not None, source="meeting",
        source_note=str(turn.data["source"]), voter_name=turn.data.get("voter"),
    )
    try:
        result = await submit_petition(turn.db, None, draft, entered_by=turn.person,
                                       now=turn.now)
    except BadPetition:
        await show_menu(turn, turn._("Sorry, this petition could not be recorded. Please try "
                                     "again."))
        return
    turn.go(FLOW, "next")
    turn.say(
        turn._("Recorded as {code}: {text}", code=result.petition.code,
               text=snippet(text, 80)),
        choices=[Choice("ob:next", turn._("➕ Next voter, same meeting")),
                 Choice("menu:main", turn._("Finished"))],
    )


@step(FLOW, "next")
async def on_next(turn: Turn) -> None:
    if turn.inbound.choice == "ob:next":
        await ask_voter(turn)
        return
    await show_menu(turn)
