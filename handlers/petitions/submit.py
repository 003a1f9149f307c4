"""Sending a petition: field, content, attachments, place, name shown or not, review, confirm.

A complaint or denunciation is not a petition (domain.md §3): choosing it, or wording that
says it, leads to `handlers.petitions.complaints` instead.

Villagers often start with the problem itself — typed at the menu, typed where the field is
asked, or a photo, voice message or location sent first. That starts a draft that keeps it
(`start_petition_with`): the field is suggested from the text, one press confirms it, and
the rest of the flow goes on with what was already given.
"""

from __future__ import annotations

from typing import Any

from handlers.dates import format_date
from handlers.i18n import N_
from handlers.menu import show_menu, show_result
from handlers.onboarding import ask_commune
from handlers.petitions.complaints import looks_like_complaint, show_complaint_route
from handlers.petitions.field_suggestion import suggested_field
from handlers.petitions.texts import snippet
from handlers.registry import action, command, parse_id, resumes, step
from handlers.text import fold
from handlers.turn import Turn
from handlers.values import Choice, Kind
from storage.models import Field
from storage.petitions.petitions import (
    MAX_ATTACHMENTS,
    MAX_CONTENT,
    Attachment,
    BadPetition,
    PetitionDraft,
    submit_petition,
)
from storage.petitions.workflow import expected_answer_on
from storage.places import commune_of_person, get_field, get_hamlet, list_fields

FLOW = "petition"
MAX_ADDRESS = 300
ATTACHMENT_KINDS = {Kind.PHOTO: "photo", Kind.FILE: "file", Kind.VOICE: "voice"}
# What a draft started by the problem itself may carry into the flow.
DRAFT_KEYS = ("content", "attachments", "latitude", "longitude")
# Typed where the field is asked, fewer words than this is a field's name or a slip, not a
# description of the problem.
MIN_PROBLEM_WORDS = 3


def _cancel(turn: Turn) -> Choice:
    return Choice("pe:cancel", turn._("✖ Cancel"))


@command("petition", N_("Send a petition to the People's Council"))
@action("menu:petition")
async def start_petition(turn: Turn) -> None:
    commune = await commune_of_person(turn.db, turn.person)
    if commune is None:
        turn.say(turn._("First tell me where you live, so that your petition reaches the right "
                        "commune."))
        await ask_commune(turn)
        return
    turn.go(FLOW, "field", commune_id=commune.id, attachments=[])
    await ask_field(turn)


@resumes(FLOW)
async def start_petition_with(turn: Turn, draft: dict[str, Any]) -> None:
    """A petition that starts with the problem: text, attachment or location already given.

    Without a commune (no hamlet yet) the person is asked where they live first, and the
    draft waits in the conversation until onboarding is done.
    """
    kept = {key: draft[key] for key in DRAFT_KEYS if draft.get(key) is not None}
    commune = await commune_of_person(turn.db, turn.person)
    if commune is None:
        turn.say(turn._("First tell me where you live, so that your petition reaches the right "
                        "commune."))
        await ask_commune(turn)
        flow, step_name = turn.step
        if flow is not None and step_name is not None:
            turn.go(flow, step_name, draft=kept)
        return
    turn.go(FLOW, "field", commune_id=commune.id, **{"attachments": [], **kept})
    await offer_field(turn)


async def offer_field(turn: Turn, note: str | None = None) -> None:
    """With the problem typed: the suggested field, one press away; otherwise the list."""
    content = str(turn.data.get("content") or "")
    fields = await list_fields(turn.db, int(turn.data["commune_id"]))
    if not content or not fields:
        await ask_field(turn, note or _kept_note(turn))
        return
    best = await suggested_field(turn.db, int(turn.data["commune_id"]), content, fields)
    _ = turn._
    lines = [_("Do you want to send this as a petition?"), "", snippet(content, 300), "",
             _("Field: {value}", value=best.name)]
    if note:
        lines[:0] = [note, ""]
    turn.say("\n".join(lines), title=_("Send a petition"), choices=[
        Choice(f"pf:{best.id}", _("✅ Yes — {field}", field=best.name)),
        Choice("pf:list", _("📋 See all fields")),
        _cancel(turn),
    ])


def _kept_note(turn: Turn) -> str | None:
    count = len(turn.data.get("attachments", []))
    if count:
        return turn._("I kept what you sent ({count}). It goes with your petition.",
                      count=count)
    if turn.data.get("latitude") is not None:
        return turn._("I kept the location you sent. It goes with your petition.")
    return None


@action("pe:cancel")
async def cancel_petition(turn: Turn) -> None:
    await show_menu(turn, turn._("The petition was not sent. Nothing was kept."))


async def ask_field(turn: Turn, note: str | None = None) -> None:
    fields = await list_fields(turn.db, int(turn.data["commune_id"]))
    choices = [Choice(f"pf:{f.id}", f.name) for f in fields]
    choices.append(Choice("pf:complaint", turn._("⚖️ A complaint or denunciation")))
    choices.append(_cancel(turn))
    text = turn._("What is your petition about? Choose the closest field.")
    turn.say(
        note + "\n\n" + text if note else text,
        title=turn._("Send a petition"),
        choices=choices,
    )


@step(FLOW, "field", answers={"petition": None})
async def on_field(turn: Turn) -> None:
    inbound = turn.inbound
    choice = inbound.choice or ""
    if choice == "pf:complaint":
        await show_complaint_route(turn)
        return
    if choice == "pf:list":
        await ask_field(turn)
        return
    if inbound.kind is not Kind.CHOICE:
        await _problem_at_field(turn)
        return
    raw = choice.removeprefix("pf:")
    field = None
    field_id = parse_id(raw) if choice.startswith("pf:") else None
    if field_id is not None:
        field = await get_field(turn.db, int(turn.data["commune_id"]), field_id)
    if field is None:
        await offer_field(turn)
        return
    await _field_chosen(turn, field)


async def _field_chosen(turn: Turn, field: Field) -> None:
    turn.go(FLOW, "content", field_id=field.id)
    if turn.data.get("reviewing"):
        await show_review(turn)
        return
    content = str(turn.data.get("content") or "")
    if not content:
        await ask_content(turn)
    elif len(content) > MAX_CONTENT:
        # Kept whole rather than cut: the person shortens it themselves.
        _too_long(turn, content)
    else:
        await after_content(turn)


async def _problem_at_field(turn: Turn) -> None:
    """Something other than a field where the field is asked: keep it in the draft.

    A field's name typed ("giao thong") is that field; a described problem becomes the
    content (added to what was typed before); a photo, voice message, file or location is
    kept for the petition. Nothing sent here is dropped.
    """
    inbound = turn.inbound
    kind = ATTACHMENT_KINDS.get(inbound.kind)
    if kind is not None and inbound.file_ref:
        attachments: list[list[str]] = list(turn.data.get("attachments", []))
        if len(attachments) < MAX_ATTACHMENTS:
            attachments.append([kind, inbound.channel, inbound.file_ref])
        turn.go(FLOW, "field", attachments=attachments)
        caption = inbound.text.strip()
        if caption:
            before = str(turn.data.get("content") or "")
            turn.go(FLOW, "field", content=f"{before}\n{caption}" if before else caption)
        await offer_field(turn, _kept_note(turn))
        return
    if inbound.kind is Kind.LOCATION and inbound.latitude is not None:
        turn.go(FLOW, "field", latitude=inbound.latitude, longitude=inbound.longitude)
        await offer_field(turn, _kept_note(turn))
        return
    text = inbound.text.strip() if inbound.kind is Kind.TEXT else ""
    field = await _typed_field(turn, text)
    if field is not None:
        await _field_chosen(turn, field)
        return
    if len(text.split()) < MIN_PROBLEM_WORDS:
        await offer_field(turn)
        return
    before = str(turn.data.get("content") or "")
    turn.go(FLOW, "field", content=f"{before}\n{text}" if before else text)
    await offer_field(turn)


async def _typed_field(turn: Turn, text: str) -> Field | None:
    """The one field whose name contains what was typed, accents or not."""
    typed = fold(text)
    if len(typed) < 3:
        return None
    fields = await list_fields(turn.db, int(turn.data["commune_id"]))
    found = [field for field in fields if typed in fold(field.name)]
    return found[0] if len(found) == 1 else None


async def ask_content(turn: Turn) -> None:
    turn.say(
        turn._("Write your petition in one message: what is wrong, where, since when, and what "
               "you propose. Up to {limit} characters.", limit=MAX_CONTENT),
        choices=[_cancel(turn)],
    )


@step(FLOW, "content")
async def on_content(turn: Turn) -> None:
    inbound = turn.inbound
    text = inbound.text.strip() if inbound.kind is Kind.TEXT else ""
    kind = ATTACHMENT_KINDS.get(inbound.kind)
    if kind is not None and inbound.file_ref and not text:
        # Kept, not refused: it is added to the petition once the words are written.
        attachments: list[list[str]] = list(turn.data.get("attachments", []))
        if len(attachments) < MAX_ATTACHMENTS:
            attachments.append([kind, inbound.channel, inbound.file_ref])
            turn.go(FLOW, "content", attachments=attachments)
        turn.say(turn._("Received. Please also write the petition in words; you can add more "
                        "photos, documents or voice messages just after."),
                 choices=[_cancel(turn)])
        return
    if not text:
        await ask_content(turn)
        return
    if len(text) > MAX_CONTENT:
        _too_long(turn, text)
        return
    turn.go(FLOW, "content", content=text)
    if looks_like_complaint(text):
        turn.go(FLOW, "complaint_check")
        _ask_complaint_check(turn, _complaint_question(turn))
        return
    await after_content(turn)


def _complaint_question(turn: Turn) -> str:
    return turn._("Your message reads like a complaint or a denunciation. The law requires "
                  "those to be signed letters or made in person, so I cannot accept them as "
                  "a petition. Is it a petition (a request or proposal) after all?")


def _too_long(turn: Turn, text: str) -> None:
    turn.say(
        turn._("Your text has {length} characters; a petition can have {limit}. Please "
               "shorten it, or send the first part now and the rest as a second petition. "
               "Nothing has been cut.", length=len(text), limit=MAX_CONTENT),
        choices=[_cancel(turn)],
    )


@step(FLOW, "complaint_check", answers={"yes": "pc:petition", "no": "pc:complaint"})
async def on_complaint_check(turn: Turn) -> None:
    choice = turn.inbound.choice
    if choice == "pc:complaint":
        await show_complaint_route(turn)
    elif choice == "pc:petition":
        await after_content(turn)
    else:
        _ask_complaint_check(turn, turn._("Please choose one of the options."))


def _ask_complaint_check(turn: Turn, text: str) -> None:
    turn.say(text, choices=[Choice("pc:petition", turn._("Yes, it is a petition")),
                            Choice("pc:complaint", turn._("Show me how to complain")),
                            _cancel(turn)])


async def after_content(turn: Turn) -> None:
    if turn.data.get("reviewing"):
        turn.go(FLOW, "review")
        await show_review(turn)
        return
    turn.go(FLOW, "attachments")
    await ask_attachments(turn)


async def ask_attachments(turn: Turn, note: str | None = None) -> None:
    count = len(turn.data.get("attachments", []))
    # The button reads "Skip" until something is added, "Done" after: the text says the same.
    text = turn._("Send another, or press Done.") if count else turn._(
        "You can send up to {limit} photos, documents or voice messages about it, one by one. "
        "If you have none, press Skip.", limit=MAX_ATTACHMENTS)
    if note:
        text = note + "\n" + text
    label = turn._("Done ({count} added)", count=count) if count else turn._("Skip")
    turn.say(text, choices=[Choice("pa:done", label), _cancel(turn)])


@step(FLOW, "attachments", answers={"no": "pa:done"})
async def on_attachment(turn: Turn) -> None:
    inbound = turn.inbound
    attachments: list[list[str]] = list(turn.data.get("attachments", []))
    if inbound.choice == "pa:done":
        turn.go(FLOW, "place")
        if turn.data.get("reviewing"):
            turn.go(FLOW, "review")
            await show_review(turn)
            return
        if turn.data.get("latitude") is not None:
            # The location came with the first message: the place is known.
            turn.go(FLOW, "name")
            await ask_name(turn)
            return
        await ask_place(turn)
        return
    text = inbound.text.strip() if inbound.kind is Kind.TEXT else ""
    content = str(turn.data.get("content") or "")
    if text and len(content) + len(text) + 1 <= MAX_CONTENT:
        # More words about the problem, sent after it: they belong to its text.
        turn.go(FLOW, "attachments", content=f"{content}\n{text}")
        await ask_attachments(turn, turn._("Added to the text of your petition."))
        return
    kind = ATTACHMENT_KINDS.get(inbound.kind)
    if kind is None or not inbound.file_ref:
        await ask_attachments(turn, turn._("Please send a photo, document or voice message."))
        return
    if len(attachments) >= MAX_ATTACHMENTS:
        turn.say(turn._("That is already {limit} attachments, the most a petition can have. "
                        "Press Done to go on.", limit=MAX_ATTACHMENTS),
                 choices=[Choice("pa:done", turn._("Done")), _cancel(turn)])
        return
    attachments.append([kind, inbound.channel, inbound.file_ref])
    turn.go(FLOW, "attachments", attachments=attachments)
    turn.say(
        turn._("Received ({count} of {limit}). Send another, or press Done.",
               count=len(attachments), limit=MAX_ATTACHMENTS),
        choices=[Choice("pa:done", turn._("Done")), _cancel(turn)],
    )


async def ask_place(turn: Turn) -> None:
    turn.say(
        turn._("Where is it? Share a location, type an address, or press Skip."),
        choices=[Choice("pl:skip", turn._("Skip")), _cancel(turn)],
    )


@step(FLOW, "place")
async def on_place(turn: Turn) -> None:
    inbound = turn.inbound
    if inbound.kind is Kind.LOCATION and inbound.latitude is not None:
        turn.go(FLOW, "name", latitude=inbound.latitude, longitude=inbound.longitude)
    elif inbound.kind is Kind.TEXT and inbound.text.strip():
        address = " ".join(inbound.text.split())
        if len(address) > MAX_ADDRESS:
            turn.say(turn._("Please keep the address under {limit} characters.",
                            limit=MAX_ADDRESS), choices=[Choice("pl:skip", turn._("Skip"))])
            return
        turn.go(FLOW, "name", address=address)
    elif inbound.choice != "pl:skip":
        await ask_place(turn)
        return
    else:
        turn.go(FLOW, "name")
    if turn.data.get("reviewing"):
        turn.go(FLOW, "review")
        await show_review(turn)
        return
    await ask_name(turn)


async def ask_name(turn: Turn) -> None:
    turn.say(
        turn._("May the agency that handles it see your name and phone number? The commune "
               "office sees them in any case."),
        choices=[Choice("pn:yes", turn._("Yes, show my name")),
                 Choice("pn:no", turn._("No, keep my name hidden")), _cancel(turn)],
    )


@step(FLOW, "name", answers={"yes": "pn:yes", "no": "pn:no"})
async def on_name(turn: Turn) -> None:
    if turn.inbound.choice not in ("pn:yes", "pn:no"):
        await ask_name(turn)
        return
    turn.go(FLOW, "review", show_name=turn.inbound.choice == "pn:yes")
    await show_review(turn)


async def show_review(turn: Turn) -> None:
    _ = turn._
    data = turn.data
    turn.go(FLOW, "review", reviewing=True)
    field = await get_field(turn.db, int(data["commune_id"]), int(data.get("field_id") or 0))
    place = data.get("address") or (
        _("location shared") if data.get("latitude") is not None else _("(not given)"))
    lines = [
        _("Field: {value}", value=field.name if field else ""),
        _("Attachments: {count}", count=len(data.get("attachments", []))),
        _("Place: {value}", value=place),
        _("Name shown to the agency: {value}",
          value=_("yes") if data.get("show_name") else _("no")),
        "",
        str(data.get("content", "")),
    ]
    turn.say("\n".join(lines), title=_("Check your petition"), choices=[
        Choice("pr:send", _("✅ Send")),
        Choice("pr:content", _("✏️ Change the text")),
        Choice("pr:field", _("Change the field")),
        Choice("pr:files", _("Add photos or files")),
        Choice("pr:place", _("Change the place")),
        Choice("pr:name", _("Show or hide my name")),
        _cancel(turn),
    ])


@step(FLOW, "review", answers={"yes": "pr:send"})
async def on_review(turn: Turn) -> None:
    choice = turn.inbound.choice
    if choice == "pr:send":
        await send_petition(turn)
    elif choice == "pr:content":
        turn.go(FLOW, "content")
        await ask_content(turn)
    elif choice == "pr:field":
        turn.go(FLOW, "field")
        await ask_field(turn)
    elif choice == "pr:files":
        turn.go(FLOW, "attachments")
        await ask_attachments(turn)
    elif choice == "pr:place":
        turn.go(FLOW, "place", address=None, latitude=None, longitude=None)
        await ask_place(turn)
    elif choice == "pr:name":
        turn.go(FLOW, "name")
        await ask_name(turn)
    else:
        turn.say(turn._("Please press Send, or choose what to change."))
        await show_review(turn)


def has_unsent_draft(data: dict[str, Any]) -> bool:
    """Something the person gave for a petition not sent yet: words, files or a place."""
    return bool(data.get("content") or data.get("attachments")
                or data.get("latitude") is not None)


async def ask_step_again(turn: Turn, step_name: str | None) -> None:
    """Back at a step of the draft (after a detour was declined): its question again."""
    if step_name == "field" or (step_name != "content" and not turn.data.get("field_id")):
        turn.go(FLOW, "field")
        await offer_field(turn)
    elif step_name == "content":
        turn.go(FLOW, "content")
        await ask_content(turn)
    elif step_name == "complaint_check":
        turn.go(FLOW, "complaint_check")
        _ask_complaint_check(turn, _complaint_question(turn))
    elif step_name == "attachments":
        turn.go(FLOW, "attachments")
        await ask_attachments(turn)
    elif step_name == "place":
        turn.go(FLOW, "place")
        await ask_place(turn)
    elif step_name == "name":
        turn.go(FLOW, "name")
        await ask_name(turn)
    else:
        await show_review(turn)


def draft_from(data: dict[str, Any], hamlet_id: int | None) -> PetitionDraft:
    return PetitionDraft(
        commune_id=int(data["commune_id"]),
        content=str(data.get("content", "")),
        field_id=data.get("field_id"),
        hamlet_id=hamlet_id,
        show_name=bool(data.get("show_name")),
        address=data.get("address"),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        attachments=tuple(Attachment(k, c, r) for k, c, r in data.get("attachments", [])),
    )


async def send_petition(turn: Turn) -> None:
    person = turn.person
    assert person is not None  # the router only lets consenting people this far
    hamlet = await get_hamlet(turn.db, person.hamlet_id) if person.hamlet_id else None
    try:
        result = await submit_petition(turn.db, person, draft_from(turn.data, hamlet.id
                                                                   if hamlet else None))
    except BadPetition:
        await show_menu(turn, turn._("Sorry, this petition could not be sent as it is. Please "
                                     "start again from the menu."))
        return
    petition = result.petition
    expected = await expected_answer_on(turn.db, petition, turn.today)
    received = turn._("Your petition has been received. Its code is {code}. Keep it: you will "
                      "be told here each time it moves, and you can follow it in “My "
                      "petitions”.", code=petition.code)
    if expected is not None:
        received += "\n" + turn._("Answer expected by {date}.", date=format_date(expected))
    show_result(turn, received + "\n\n" + snippet(petition.content, 120))
