"""Petitions for the commune office: the inbox with filters, a petition's card, and the moves.

Agency officers share the card and the answer and return screens (`io:` actions); storage
decides who may make which move, so a button pressed by the wrong person changes nothing.
"""

from __future__ import annotations

from handlers.dates import format_date
from handlers.i18n import N_
from handlers.menu import show_menu
from handlers.petitions.texts import competence_name, describe_card, snippet
from handlers.registry import action, choice_number, command, parse_id, step
from handlers.turn import Turn
from handlers.values import Choice, Kind
from handlers.working_commune import working_commune
from storage.files import refer_to_platform_file
from storage.models import Petition
from storage.permissions import OFFICE_ROLES
from storage.petitions.attachments import READERS as ATTACHMENT_READERS
from storage.petitions.attachments import open_attachments
from storage.petitions.duplicates import find_similar_petitions
from storage.petitions.petitions import MAX_CONTENT, get_petition
from storage.petitions.views import PAGE, can_open_petition, list_inbox, petition_card
from storage.petitions.workflow import (
    COMPETENCES,
    BadMove,
    NotYours,
    Status,
    allowed_moves,
    answer_petition,
    classify_petition,
    forward_petition,
    merge_petitions,
    move_petition,
)
from storage.places import get_agency, get_field, list_agencies, list_fields, list_hamlets

FLOW = "inbox"



@command("inbox", N_("Petitions to handle (office)"))
@action("menu:inbox")
async def open_inbox(turn: Turn) -> None:
    commune_id = await working_commune(turn, OFFICE_ROLES)
    if commune_id is None:
        await show_menu(turn, turn._("Only the commune office can open the petition inbox."))
        return
    turn.go(FLOW, "filter", commune_id=commune_id)
    _ = turn._
    turn.say(_("Which petitions?"), title=_("Petition inbox"), choices=[
        Choice("if:new", _("🆕 New and reopened")),
        Choice("if:overdue", _("⏰ Overdue at agencies")),
        Choice("if:open", _("📂 All open")),
        Choice("if:answered", _("💬 Answered, waiting for the citizen")),
        Choice("if:by-field", _("By field")),
        Choice("if:by-hamlet", _("By hamlet")),
        Choice("menu:main", _("↩ Main menu")),
    ])


@step(FLOW, "filter")
async def on_filter(turn: Turn) -> None:
    choice = (turn.inbound.choice or "").removeprefix("if:")
    commune_id = int(turn.data["commune_id"])
    if choice == "by-field":
        fields = await list_fields(turn.db, commune_id)
        turn.say(turn._("Which field?"), choices=[Choice(f"if:field:{f.id}", f.name)
                                                   for f in fields])
        return
    if choice == "by-hamlet":
        hamlets = await list_hamlets(turn.db, commune_id)
        turn.say(turn._("Which hamlet?"), choices=[Choice(f"if:hamlet:{h.id}", h.name)
                                                    for h in hamlets])
        return
    if choice.split(":")[0] in ("new", "overdue", "open", "answered", "field", "hamlet"):
        turn.go(FLOW, "list", filter=choice, offset=0)
        await show_page(turn)
        return
    await open_inbox(turn)


async def show_page(turn: Turn) -> None:
    _ = turn._
    offset = int(turn.data.get("offset", 0))
    lines, total = await list_inbox(turn.db, int(turn.data["commune_id"]),
                                    str(turn.data["filter"]), turn.today,
                                    offset=offset)
    if not lines:
        turn.say(_("No petitions here."), choices=[Choice("menu:inbox", _("↩ Inbox"))])
        return
    choices = [
        Choice(f"ip:{line.id}", f"{line.code} · {line.hamlet or '—'} · {snippet(line.content, 40)}")
        for line in lines
    ]
    if offset + PAGE < total:
        choices.append(Choice("in:more", _("More ▶")))
    choices.append(Choice("menu:inbox", _("↩ Inbox")))
    turn.say(_("{first}–{last} of {total}. Choose a petition.", first=offset + 1,
               last=offset + len(lines), total=total), choices=choices)


@step(FLOW, "list")
async def on_list(turn: Turn) -> None:
    if turn.inbound.choice == "in:more":
        turn.go(FLOW, "list", offset=int(turn.data.get("offset", 0)) + PAGE)
    await show_page(turn)


async def _petition(turn: Turn, petition_id: int | None) -> Petition | None:
    """The petition if this reader may see it; otherwise a polite refusal is said."""
    petition = await get_petition(turn.db, petition_id) if petition_id else None
    if petition is not None and turn.person is not None and await can_open_petition(
            turn.db, petition, turn.person):
        return petition
    await show_menu(turn, turn._("You cannot open that petition."))
    return None


@action("ip:*")
@action("ap:*")
async def show_petition(turn: Turn) -> None:
    number = choice_number(turn.inbound.choice)
    petition = await get_petition(turn.db, number) if number else None
    card = (await petition_card(turn.db, petition, turn.person, turn.today)
            if petition is not None and turn.person is not None else None)
    if petition is None or card is None:
        await show_menu(turn, turn._("You cannot open that petition."))
        return
    turn.end()
    choices = await move_choices(turn, petition)
    if card.attachments and card.viewer in ATTACHMENT_READERS:
        choices.insert(0, Choice(f"io:files:{petition.id}", turn._(
            "📎 Open the attachments ({count})", count=card.attachments)))
    turn.say(describe_card(turn, card), title=petition.code, choices=choices,
             about=[petition.person_id])


ATTACHMENT_LABELS = {
    "photo": N_("Photo {number} of {total}"),
    "voice": N_("Voice message {number} of {total}"),
    "file": N_("Document {number} of {total}"),
}


@action("io:files:*")
async def send_attachments(turn: Turn) -> None:
    """The petition's photos, documents and voice notes, each as its own message."""
    petition = await _petition(turn, choice_number(turn.inbound.choice))
    if petition is None or turn.person is None:
        return
    opened = await open_attachments(turn.db, petition, turn.person, now=turn.now)
    if opened is None:
        await show_menu(turn, turn._("You cannot open that petition."))
        return
    _ = turn._
    for item in opened:
        label = _(ATTACHMENT_LABELS.get(item.kind, ATTACHMENT_LABELS["file"]),
                  number=item.position, total=len(opened))
        turn.say(f"{petition.code} · {label}", file=(item.token, item.name),
                 about=[petition.person_id])
    done = (_("These are the attachments of {code}. A link opens once, within minutes.",
              code=petition.code) if opened else
            _("Petition {code} has no attachments.", code=petition.code))
    turn.say(done, choices=[Choice(f"ip:{petition.id}", _("↩ Back to the petition")),
                            Choice("menu:main", _("↩ Main menu"))])


async def move_choices(turn: Turn, petition: Petition) -> list[Choice]:
    _ = turn._
    assert turn.person is not None
    pid = petition.id
    offers = [
        (Status.CLASSIFIED, Choice(f"io:classify:{pid}", _("🏷 Classify"))),
        (Status.FORWARDED, Choice(f"io:forward:{pid}", _("📤 Forward to an agency"))),
        (Status.ANSWERED, Choice(f"io:answer:{pid}", _("💬 Answer"))),
        (Status.MERGED, Choice(f"io:merge:{pid}", _("🔗 Merge with a similar petition"))),
        (Status.REJECTED, Choice(f"io:reject:{pid}", _("⛔ Not accept (with reason)"))),
        (Status.CLOSED, Choice(f"io:close:{pid}", _("✔ Close"))),
    ]
    allowed = await allowed_moves(turn.db, petition, turn.person)
    choices = []
    for to, choice in offers:
        if to in allowed:
            if to is Status.CLASSIFIED and petition.status == Status.FORWARDED:
                choice = Choice(f"io:return:{pid}", _("↩ Not ours: return to the office"))
            choices.append(choice)
    choices.append(Choice("menu:main", _("↩ Main menu")))
    return choices


async def _refused(turn: Turn, petition: Petition, error: Exception) -> None:
    reason = getattr(error, "reason", "")
    text = turn._("Nothing was changed: petition {code} cannot make this move now.",
                  code=petition.code)
    if reason == "needs_reason":
        text = turn._("Nothing was changed: a reason is needed.")
    await show_menu(turn, text)


@action("io:classify:*")
async def start_classify(turn: Turn) -> None:
    petition = await _petition(turn, choice_number(turn.inbound.choice))
    if petition is None:
        return
    fields = await list_fields(turn.db, petition.commune_id)
    turn.go(FLOW, "classify_field", petition_id=petition.id)
    turn.say(turn._("Field of {code}?", code=petition.code),
             choices=[Choice(f"of:{f.id}", f.name) for f in fields])


@step(FLOW, "classify_field")
async def on_classify_field(turn: Turn) -> None:
    petition = await _petition(turn, int(turn.data["petition_id"]))
    if petition is None:
        return
    raw = (turn.inbound.choice or "").removeprefix("of:")
    field_id = parse_id(raw)
    field = await get_field(turn.db, petition.commune_id, field_id) if field_id else None
    if field is None:
        fields = await list_fields(turn.db, petition.commune_id)
        turn.say(turn._("Please choose a field from the list."),
                 choices=[Choice(f"of:{f.id}", f.name) for f in fields])
        return
    turn.go(FLOW, "classify_competence", field_id=field.id)
    turn.say(turn._("Whose competence is it?"),
             choices=[Choice(f"oc:{c}", competence_name(turn, c)) for c in COMPETENCES])


@step(FLOW, "classify_competence")
async def on_classify_competence(turn: Turn) -> None:
    petition = await _petition(turn, int(turn.data["petition_id"]))
    if petition is None or turn.person is None:
        return
    competence = (turn.inbound.choice or "").removeprefix("oc:")
    if competence not in COMPETENCES:
        turn.say(turn._("Please choose from the list."),
                 choices=[Choice(f"oc:{c}", competence_name(turn, c)) for c in COMPETENCES])
        return
    try:
        await classify_petition(turn.db, petition, turn.person,
                                field_id=int(turn.data["field_id"]), competence=competence)
    except (BadMove, NotYours) as error:
        await _refused(turn, petition, error)
        return
    await ask_agency(turn, petition, turn._("Petition {code} is classified.", code=petition.code))


async def ask_agency(turn: Turn, petition: Petition, note: str = "") -> None:
    agencies = await list_agencies(turn.db, petition.commune_id)
    turn.go(FLOW, "forward", petition_id=petition.id)
    choices = [Choice(f"oa:{a.id}", a.name) for a in agencies]
    choices.append(Choice("menu:inbox", turn._("Later")))
    turn.say((note + "\n" if note else "") + turn._("Forward it to which agency?"),
             choices=choices)


@action("io:forward:*")
async def start_forward(turn: Turn) -> None:
    petition = await _petition(turn, choice_number(turn.inbound.choice))
    if petition is not None:
        await ask_agency(turn, petition)


@step(FLOW, "forward")
async def on_forward(turn: Turn) -> None:
    petition = await _petition(turn, int(turn.data["petition_id"]))
    if petition is None or turn.person is None:
        return
    raw = (turn.inbound.choice or "").removeprefix("oa:")
    agency_id = parse_id(raw)
    agency = await get_agency(turn.db, petition.commune_id, agency_id) if agency_id else None
    if agency is None:
        await ask_agency(turn, petition, turn._("Please choose an agency from the list."))
        return
    try:
        await forward_petition(turn.db, petition, turn.person, agency_id=agency.id, now=turn.now)
    except (BadMove, NotYours) as error:
        await _refused(turn, petition, error)
        return
    assert petition.due_on is not None
    await show_menu(turn, turn._("Petition {code} is forwarded to {agency}; the answer is due "
                                 "on {date}.", code=petition.code, agency=agency.name,
                                 date=format_date(petition.due_on)))


async def _ask_text(turn: Turn, step_name: str, question: str, petition_id: int) -> None:
    turn.go(FLOW, step_name, petition_id=petition_id)
    turn.say(question, choices=[Choice("menu:main", turn._("✖ Cancel"))])


@action("io:answer:*")
async def start_answer(turn: Turn) -> None:
    petition = await _petition(turn, choice_number(turn.inbound.choice))
    if petition is not None:
        await _ask_text(turn, "answer", turn._(
            "Type the answer to {code} as the citizen will read it (up to {limit} characters). "
            "You may send a document with the answer as its caption.", code=petition.code,
            limit=MAX_CONTENT), petition.id)


@step(FLOW, "answer")
async def on_answer(turn: Turn) -> None:
    petition = await _petition(turn, int(turn.data["petition_id"]))
    if petition is None or turn.person is None:
        return
    inbound = turn.inbound
    text = inbound.text.strip()
    if inbound.kind not in (Kind.TEXT, Kind.FILE, Kind.PHOTO) or not text:
        turn.say(turn._("Please type the answer in words (with a document, as its caption)."))
        return
    if len(text) > MAX_CONTENT:
        turn.say(turn._("The answer has {length} characters; the limit is {limit}. Please "
                        "shorten it.", length=len(text), limit=MAX_CONTENT))
        return
    file_token = None
    if inbound.kind in (Kind.FILE, Kind.PHOTO) and inbound.file_ref:
        # The document stays on its platform; citizens on other channels get our link to it.
        name = inbound.file_name or (
            f"tra-loi-{petition.code}." + ("jpg" if inbound.kind is Kind.PHOTO else "pdf"))
        file_token = refer_to_platform_file(
            turn.db, name, f"{inbound.channel}:{inbound.file_ref}", owner_id=None).token
    try:
        await answer_petition(turn.db, petition, turn.person, text=text, file_ref=file_token,
                              now=turn.now)
    except (BadMove, NotYours) as error:
        await _refused(turn, petition, error)
        return
    await show_menu(turn, turn._("The answer to {code} is on its way to the citizen.",
                                 code=petition.code))


@action("io:reject:*")
async def start_reject(turn: Turn) -> None:
    petition = await _petition(turn, choice_number(turn.inbound.choice))
    if petition is not None:
        await _ask_text(turn, "reject", turn._(
            "Why is {code} not accepted? The citizen will read this reason.",
            code=petition.code), petition.id)


@action("io:return:*")
async def start_return(turn: Turn) -> None:
    petition = await _petition(turn, choice_number(turn.inbound.choice))
    if petition is not None:
        await _ask_text(turn, "return", turn._(
            "Why is {code} not for your agency? The office will forward it again.",
            code=petition.code), petition.id)


async def _move_with_reason(turn: Turn, to: Status, done: str) -> None:
    petition = await _petition(turn, int(turn.data["petition_id"]))
    if petition is None or turn.person is None:
        return
    reason = turn.inbound.text.strip() if turn.inbound.kind is Kind.TEXT else ""
    if not reason or len(reason) > 1000:
        turn.say(turn._("Please type the reason in words, up to {limit} characters.",
                        limit=1000), choices=[Choice("menu:main", turn._("✖ Cancel"))])
        return
    try:
        await move_petition(turn.db, petition, to, turn.person, reason=reason, now=turn.now)
    except (BadMove, NotYours) as error:
        await _refused(turn, petition, error)
        return
    await show_menu(turn, turn._(done, code=petition.code))


@step(FLOW, "reject")
async def on_reject(turn: Turn) -> None:
    await _move_with_reason(turn, Status.REJECTED, N_("Petition {code} is not accepted; the "
                                                      "citizen is told why."))


@step(FLOW, "return")
async def on_return(turn: Turn) -> None:
    await _move_with_reason(turn, Status.CLASSIFIED, N_("Petition {code} is returned to the "
                                                        "commune office."))


@action("io:close:*")
async def close_petition(turn: Turn) -> None:
    petition = await _petition(turn, choice_number(turn.inbound.choice))
    if petition is None or turn.person is None:
        return
    try:
        await move_petition(turn.db, petition, Status.CLOSED, turn.person, now=turn.now)
    except (BadMove, NotYours) as error:
        await _refused(turn, petition, error)
        return
    await show_menu(turn, turn._("Petition {code} is closed.", code=petition.code))


@action("io:merge:*")
async def start_merge(turn: Turn) -> None:
    petition = await _petition(turn, choice_number(turn.inbound.choice))
    if petition is None:
        return
    similar = await find_similar_petitions(turn.db, petition.commune_id, petition.content,
                                           exclude_id=petition.id)
    if not similar:
        await show_menu(turn, turn._("No similar open petition was found for {code}.",
                                     code=petition.code))
        return
    turn.go(FLOW, "merge", petition_id=petition.id)
    choices = [Choice(f"om:{s.id}", f"{s.code} · {snippet(s.content, 45)}") for s in similar]
    choices.append(Choice("menu:main", turn._("✖ Cancel")))
    turn.say(turn._("Merge {code} into which petition? Its petitioner will receive that "
                    "petition's answer.", code=petition.code), choices=choices)


@step(FLOW, "merge")
async def on_merge(turn: Turn) -> None:
    petition = await _petition(turn, int(turn.data["petition_id"]))
    if petition is None or turn.person is None:
        return
    keep = await _petition(turn, choice_number(turn.inbound.choice))
    if keep is None:
        return
    try:
        await merge_petitions(turn.db, keep, petition, turn.person)
    except (BadMove, NotYours) as error:
        await _refused(turn, petition, error)
        return
    await show_menu(turn, turn._("Petition {code} is merged into {into}.", code=petition.code,
                                 into=keep.code))
