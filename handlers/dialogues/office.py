"""Dialogues for the commune office: create one, watch each hamlet's seats, check households in.

Household categories are never shown here to anyone but office staff: every screen asks
storage, which refuses non-office readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dates import (
    example_datetime,
    format_datetime,
    parse_local_datetime,
    parse_when_and_place,
)
from handlers.dialogues.register import CATEGORY_NAMES, TOPIC_NAMES, choice_labels
from handlers.documents.jobs import DocumentRequest, ask_for_document, builder, preparing
from handlers.i18n import N_, Translator, translator
from handlers.menu import show_menu
from handlers.petitions.texts import snippet
from handlers.registry import action, choice_number, command, step
from handlers.turn import Turn
from handlers.values import Choice, Kind, Reply
from handlers.working_commune import working_commune
from storage.dialogues.dialogues import (
    DEFAULT_CATEGORIES,
    CodeAlreadyUsed,
    DialogueDraft,
    ListRow,
    RegistrationRefused,
    answer_questions,
    check_in,
    create_dialogue,
    dialogue_choices,
    dialogue_fill,
    dialogues_of_commune,
    get_dialogue,
    hamlet_lists,
    open_questions,
    questions_list,
    questions_to_answer,
    release_seats_now,
)
from storage.dialogues.household_data import registered_people
from storage.documents import DocumentFile
from storage.permissions import OFFICE_ROLES, NotAllowed
from storage.places import get_commune, list_hamlets

FLOW = "dialogue_office"


def _quit(turn: Turn) -> Choice:
    return Choice("menu:main", turn._("✖ Cancel"))


async def _commune(turn: Turn) -> int | None:
    commune_id = await working_commune(turn, OFFICE_ROLES)
    if commune_id is None:
        await show_menu(turn, turn._("Only the commune office manages dialogues."))
    return commune_id


@command("dialogues", N_("Poverty-policy dialogues (office)"))
@action("menu:dialogues")
async def list_dialogues(turn: Turn) -> None:
    commune_id = await _commune(turn)
    if commune_id is None:
        return
    dialogues = await dialogues_of_commune(turn.db, commune_id, turn.now)
    turn.end()
    turn.say(turn._("Dialogues of the commune."), title=turn._("Dialogues"), choices=[
        Choice(f"dlo:{d.id}", f"{d.title} · {format_datetime(d.starts_at, turn.config.timezone)}")
        for d in dialogues] + [Choice("dln:start", turn._("➕ New dialogue")),
                               Choice("menu:main", turn._("↩ Main menu"))])


@action("dlo:*")
async def show_dialogue(turn: Turn) -> None:
    dialogue = await get_dialogue(turn.db, choice_number(turn.inbound.choice) or 0)
    if dialogue is None or turn.person is None:
        await show_menu(turn, turn._("That dialogue no longer exists."))
        return
    try:
        fill = await dialogue_fill(turn.db, turn.person, dialogue)
    except NotAllowed:
        await show_menu(turn, turn._("Only the commune office manages dialogues."))
        return
    lines = [f"{format_datetime(dialogue.starts_at, turn.config.timezone)} · {dialogue.place}", ""]
    for row in fill:
        level = 100 * row.taken // max(row.seats, 1)
        lines.append(turn._("{hamlet}: {taken}/{seats} ({level}%), waiting {waiting}",
                            hamlet=row.hamlet, taken=row.taken, seats=row.seats, level=level,
                            waiting=row.waiting))
    turn.end()
    waiting_answers = len(await questions_to_answer(turn.db, turn.person, dialogue))
    turn.say("\n".join(lines), title=dialogue.title, choices=[
        Choice(f"dlc:{dialogue.id}", turn._("✔ Check a household in")),
        Choice(f"dla:{dialogue.id}", turn._("💬 Answer questions ({count})",
                                            count=waiting_answers)),
        Choice(f"qg:dialogue:{dialogue.id}", turn._("🧩 Answer alike questions together")),
        Choice(f"dll:{dialogue.id}", turn._("📄 Lists per hamlet (Excel)")),
        Choice(f"dlr:{dialogue.id}", turn._("🔓 Open unfilled seats to all hamlets")),
        Choice("menu:dialogues", turn._("↩ Dialogues"))])


@action("dla:*")
async def list_questions(turn: Turn) -> None:
    dialogue = await get_dialogue(turn.db, choice_number(turn.inbound.choice) or 0)
    if dialogue is None or turn.person is None:
        await show_menu(turn)
        return
    try:
        waiting = await questions_list(turn.db, turn.person, dialogue)
    except NotAllowed:
        await show_menu(turn, turn._("Only the commune office manages dialogues."))
        return
    if not waiting:
        await show_menu(turn, turn._("Every question has been answered."))
        return
    turn.go(FLOW, "pick_question", dialogue_id=dialogue.id)
    turn.say(turn._("Whose questions?"), choices=[
        Choice(f"dq:{r.id}", f"{r.code} · {snippet(r.questions, 45)}") for r in waiting[:20]
    ] + [Choice(f"dlo:{dialogue.id}", turn._("↩ Dialogues"))],
        about=[r.person_id for r in waiting[:20]])


@step(FLOW, "pick_question")
async def on_pick_question(turn: Turn) -> None:
    dialogue = await get_dialogue(turn.db, int(turn.data["dialogue_id"]))
    if dialogue is None or turn.person is None:
        await show_menu(turn)
        return
    chosen = await open_questions(turn.db, turn.person, dialogue,
                                  choice_number(turn.inbound.choice) or 0)
    if chosen is None:
        await show_menu(turn)
        return
    turn.go(FLOW, "answer", registration_id=chosen.id)
    turn.say(chosen.questions + "\n\n" + turn._("Type the answer; it goes to this household."),
             title=chosen.code, choices=[Choice(f"dlo:{dialogue.id}", turn._("✖ Cancel"))],
             about=[chosen.person_id])


@step(FLOW, "answer")
async def on_answer(turn: Turn) -> None:
    text = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    dialogue = await get_dialogue(turn.db, int(turn.data["dialogue_id"]))
    if dialogue is None or turn.person is None:
        await show_menu(turn)
        return
    registration = {r.id: r for r in await questions_to_answer(turn.db, turn.person, dialogue)
                    }.get(int(turn.data["registration_id"]))
    if not text or len(text) > 4000 or registration is None:
        turn.say(turn._("Please type the answer in words, up to {limit} characters.",
                        limit=4000), choices=[Choice(f"dlo:{dialogue.id}", turn._("✖ Cancel"))])
        return
    await answer_questions(turn.db, turn.person, registration, text, now=turn.now)
    turn.end()
    turn.say(turn._("The answer is on its way to {code}.", code=registration.code),
             choices=[Choice(f"dla:{dialogue.id}", turn._("Next questions")),
                      Choice(f"dlo:{dialogue.id}", turn._("↩ Dialogues"))])


@action("dlc:*")
async def start_check_in(turn: Turn) -> None:
    dialogue = await get_dialogue(turn.db, choice_number(turn.inbound.choice) or 0)
    if dialogue is None or await _commune(turn) is None:
        return
    turn.go(FLOW, "checkin", dialogue_id=dialogue.id)
    turn.say(turn._("Type the check-in code the household shows (6 digits)."),
             choices=[Choice(f"dlo:{dialogue.id}", turn._("Finished"))])


@step(FLOW, "checkin", expects_code=True)
async def on_check_in(turn: Turn) -> None:
    dialogue = await get_dialogue(turn.db, int(turn.data["dialogue_id"]))
    if dialogue is None or turn.person is None:
        await show_menu(turn)
        return
    code = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    try:
        registration = await check_in(turn.db, turn.person, dialogue, code, now=turn.now)
    except CodeAlreadyUsed as used:
        # The brief's format for the door: day first, then the local time.
        when = used.used_at.astimezone(ZoneInfo(turn.config.timezone)).strftime(
            "%d/%m/%Y %H:%M")
        turn.say(turn._("The code {code} was already used at {when}. Do not let in a second "
                        "person with it.", code=code, when=when),
                 choices=[Choice(f"dlo:{dialogue.id}", turn._("Finished"))])
        return
    except (RegistrationRefused, NotAllowed) as refused:
        if isinstance(refused, RegistrationRefused) and refused.reason == "no_seat":
            turn.say(turn._("The code {code} belongs to a household on the waiting list: it "
                            "has no seat.", code=code),
                     choices=[Choice(f"dlo:{dialogue.id}", turn._("Finished"))])
            return
        turn.say(turn._("No registered household has the code {code}.", code=code or "—"),
                 choices=[Choice(f"dlo:{dialogue.id}", turn._("Finished"))])
        return
    turn.say(turn._("Checked in: {name} ({code}). Next code, or Finished.",
                    name=registration.representative or "—", code=registration.code),
             choices=[Choice(f"dlo:{dialogue.id}", turn._("Finished"))],
             about=[registration.person_id])


@action("dln:start")
async def start_new_dialogue(turn: Turn) -> None:
    commune_id = await _commune(turn)
    if commune_id is None:
        return
    turn.go(FLOW, "title", commune_id=commune_id)
    turn.say(turn._("Title of the dialogue, e.g. “Đối thoại chính sách giảm nghèo năm 2026”."),
             choices=[_quit(turn)])


@step(FLOW, "title")
async def on_title(turn: Turn) -> None:
    title = " ".join(turn.inbound.text.split()) if turn.inbound.kind is Kind.TEXT else ""
    if not title or len(title) > 300:
        turn.say(turn._("Please type the title, up to 300 characters."), choices=[_quit(turn)])
        return
    turn.go(FLOW, "when", title=title)
    turn.say(turn._("Type the day and time, then the place, e.g. {example} tại Hội trường UBND xã.",
                    example=example_datetime(turn.now, turn.config.timezone)),
             choices=[_quit(turn)])


@step(FLOW, "when")
async def on_when(turn: Turn) -> None:
    parsed = parse_when_and_place(turn.inbound.text, turn.config.timezone, turn.now) if (
        turn.inbound.kind is Kind.TEXT) else None
    if parsed is None:
        turn.say(turn._("Please type a coming day and time, then the place, e.g. {example} tại "
                        "Hội trường UBND xã.",
                        example=example_datetime(turn.now, turn.config.timezone)),
                 choices=[_quit(turn)])
        return
    moment, place = parsed
    hamlets = await list_hamlets(turn.db, int(turn.data["commune_id"]))
    turn.go(FLOW, "quotas", starts_at=moment.isoformat(), place=place)
    turn.say(turn._("Seats per hamlet, as numbers in this order: {hamlets}. E.g. 10 10 10 20.",
                    hamlets=", ".join(h.name for h in hamlets)), choices=[_quit(turn)])


@step(FLOW, "quotas")
async def on_quotas(turn: Turn) -> None:
    hamlets = await list_hamlets(turn.db, int(turn.data["commune_id"]))
    numbers = turn.inbound.text.replace(",", " ").split() if turn.inbound.kind is Kind.TEXT else []
    if len(numbers) != len(hamlets) or not all(
            n.isascii() and n.isdigit() and len(n) <= 5 and int(n) <= 10_000
                                               for n in numbers):
        turn.say(turn._("Please type {count} numbers, one per hamlet, e.g. 10 10 10 20.",
                        count=len(hamlets)), choices=[_quit(turn)])
        return
    turn.go(FLOW, "categories", quotas={str(h.id): int(n) for h, n in zip(
        hamlets, numbers, strict=True) if int(n)}, categories=[
            code for code in await _categories(turn)
            if code in DEFAULT_CATEGORIES or code not in CATEGORY_NAMES])
    await ask_categories(turn)


async def _categories(turn: Turn) -> dict[str, str]:
    """The commune's household categories (its own list, or the built-in one), labelled."""
    categories, _topics = await dialogue_choices(turn.db, int(turn.data["commune_id"]))
    return choice_labels(turn, categories, CATEGORY_NAMES)


async def ask_categories(turn: Turn) -> None:
    chosen = set(turn.data.get("categories", []))
    turn.say(turn._("Which households are invited? Choose again to remove one, then Done."),
             choices=[Choice(f"dcat:{key}", ("☑ " if key in chosen else "☐ ") + name)
                      for key, name in (await _categories(turn)).items()]
             + [Choice("dcat:done", turn._("Done")), _quit(turn)])


@step(FLOW, "categories")
async def on_categories(turn: Turn) -> None:
    choice = (turn.inbound.choice or "").removeprefix("dcat:")
    chosen: list[str] = list(turn.data.get("categories", []))
    if choice == "done" and chosen:
        turn.go(FLOW, "form")
        turn.say(turn._("Should households send their questions with the registration (the "
                        "request form)?"),
                 choices=[Choice("dform:yes", turn._("Yes")), Choice("dform:no", turn._("No")),
                          _quit(turn)])
        return
    if choice in await _categories(turn):
        chosen = [c for c in chosen if c != choice] if choice in chosen else [*chosen, choice]
        turn.go(FLOW, "categories", categories=chosen)
    await ask_categories(turn)


@step(FLOW, "form")
async def on_form(turn: Turn) -> None:
    if turn.inbound.choice not in ("dform:yes", "dform:no") or turn.person is None:
        turn.say(turn._("Please choose Yes or No."),
                 choices=[Choice("dform:yes", turn._("Yes")), Choice("dform:no", turn._("No")),
                          _quit(turn)])
        return
    turn.go(FLOW, "deadline", questions=turn.inbound.choice == "dform:yes")
    await ask_deadline(turn)


async def ask_deadline(turn: Turn) -> None:
    starts_at = datetime.fromisoformat(str(turn.data["starts_at"]))
    days_ahead = max(0, (starts_at - turn.now).days - 1)
    example = example_datetime(turn.now, turn.config.timezone, days=days_ahead, hour=17)
    turn.say(turn._("When does registration close? Type a day and time, e.g. {example}, or keep "
                    "the day before the dialogue.", example=example),
             choices=[Choice("ddl:default", turn._("The day before")), _quit(turn)])


@step(FLOW, "deadline")
async def on_deadline(turn: Turn) -> None:
    starts_at = datetime.fromisoformat(str(turn.data["starts_at"]))
    until = None
    if turn.inbound.choice != "ddl:default":
        until = parse_local_datetime(turn.inbound.text, turn.config.timezone, turn.now) if (
            turn.inbound.kind is Kind.TEXT) else None
        if until is None or not turn.now < until < starts_at:
            await ask_deadline(turn)
            return
    if turn.person is None:
        return
    data = turn.data
    quotas = {int(k): int(v) for k, v in dict(data["quotas"]).items()}
    commune = await get_commune(turn.db, int(data["commune_id"]))
    try:
        dialogue = await create_dialogue(turn.db, turn.person, DialogueDraft(
            commune_id=int(data["commune_id"]), title=str(data["title"]),
            organiser=f"UBND {commune.name}" if commune else "",
            starts_at=starts_at, place=str(data["place"]), quotas=quotas,
            categories=tuple(data["categories"]), registration_until=until,
            questions_enabled=bool(data["questions"]),
            offer_hours=turn.config.dialogue_offer_hours,
            release_hours=turn.config.dialogue_release_hours), now=turn.now)
    except (RegistrationRefused, NotAllowed):
        await show_menu(turn, turn._("The dialogue could not be created. Nothing was kept."))
        return
    await show_menu(turn, turn._("Dialogue created: {title}, {seats} seats. Households can "
                                 "register until {until}.", title=dialogue.title,
                                 seats=sum(quotas.values()),
                                 until=format_datetime(dialogue.registration_until,
                                                       turn.config.timezone)))


REGISTRATION_STATUS = {
    "registered": N_("registered"),
    "attended": N_("attended"),
    "offered": N_("seat offered"),
    "waiting": N_("waiting list"),
}


def list_label(kind: str, key: str) -> str:
    """The lists are for hamlet heads, in Vietnamese whatever the clerk's language."""
    names = {"category": CATEGORY_NAMES, "topic": TOPIC_NAMES,
             "status": REGISTRATION_STATUS}[kind]
    return translator("vi")._(names[key]) if key in names else key


@action("dll:*")
async def send_hamlet_lists(turn: Turn) -> None:
    dialogue = await get_dialogue(turn.db, choice_number(turn.inbound.choice) or 0)
    if dialogue is None or turn.person is None:
        await show_menu(turn)
        return
    try:
        # A long list takes a while to write: the document worker builds it after this
        # update's transaction, so the other people whose updates share it are not held up.
        await ask_for_document(turn, "dialogue_lists", {"dialogue_id": dialogue.id},
                               commune_id=dialogue.commune_id, roles=OFFICE_ROLES)
    except NotAllowed:
        await show_menu(turn, turn._("Only the commune office manages dialogues."))
        return
    turn.end()
    turn.say(preparing(turn.t), title=dialogue.title,
             choices=[Choice(f"dlo:{dialogue.id}", turn._("↩ Dialogues"))])


@dataclass(frozen=True)
class ListsToBuild:
    dialogue_id: int
    title: str
    rows: list[ListRow]
    about: tuple[int, ...]


async def gather_hamlet_lists(db: AsyncSession, request: DocumentRequest) -> ListsToBuild:
    dialogue = await get_dialogue(db, int(request.params["dialogue_id"]))
    if dialogue is None:
        raise LookupError("the dialogue is gone")
    # Read as the asker now (the office role is checked again, the read is logged), and
    # without anyone forgotten since the request.
    rows = await hamlet_lists(db, request.person, dialogue)
    return ListsToBuild(dialogue.id, dialogue.title, rows,
                        tuple(await registered_people(db, dialogue.id)))


def build_hamlet_lists(gathered: ListsToBuild) -> list[DocumentFile]:
    # Here rather than at the top: openpyxl is loaded when a list is made, not at start-up.
    from handlers.documents.dialogue_lists import build_hamlet_lists_xlsx

    # Household categories: personal, and about every household on the lists (for /forget).
    return [DocumentFile(f"danh-sach-doi-thoai-{gathered.dialogue_id}.xlsx",
                         build_hamlet_lists_xlsx(gathered.rows, list_label),
                         "dialogue_lists_ready",
                         {"count": len(gathered.rows), "title": gathered.title,
                          "dialogue_id": gathered.dialogue_id},
                         personal=True, about=gathered.about)]


builder("dialogue_lists", gather_hamlet_lists, build_hamlet_lists)


def hamlet_lists_ready(t: Translator, params: dict[str, Any]) -> Reply:
    attached = params.get("file")
    return Reply(
        text=t._("{count} households, one sheet per hamlet. The household category is "
                 "sensitive: share each sheet only with its hamlet head.",
                 count=params.get("count", 0)),
        title=str(params.get("title", "")) or None,
        file=(str(attached[0]), str(attached[1])) if attached else None,
        choices=(Choice(f"dlo:{params.get('dialogue_id')}", t._("↩ Dialogues")),))


@action("dlr:*")
async def release_seats(turn: Turn) -> None:
    dialogue = await get_dialogue(turn.db, choice_number(turn.inbound.choice) or 0)
    if dialogue is None or turn.person is None:
        await show_menu(turn)
        return
    try:
        offers = await release_seats_now(turn.db, turn.person, dialogue, now=turn.now)
    except NotAllowed:
        await show_menu(turn, turn._("Only the commune office manages dialogues."))
        return
    turn.end()
    turn.say(turn._("Unfilled seats are open to every hamlet: {count} offered to waiting "
                    "households now.", count=offers),
             choices=[Choice(f"dlo:{dialogue.id}", turn._("↩ Dialogues"))])
