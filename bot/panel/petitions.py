"""The panel's petitions: the table with its filters, a petition's page, and its moves.

Each route reads the request, calls the storage operation the chat's inbox calls, and renders
a template; who may see and do what is decided there, never here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.panel.context import PANEL, Staff, render, render_message, staff_of
from handlers.i18n import N_, translator
from handlers.petitions.texts import COMPETENCE_NAMES, STATUS_NAMES
from storage.files import guess_mime
from storage.models import Person, Petition
from storage.models.base import utcnow
from storage.petitions.attachments import (
    READERS,
    attachment_name,
    attachment_to_show,
    list_attachments,
)
from storage.petitions.duplicates import find_similar_petitions
from storage.petitions.petitions import LOCAL, MAX_CONTENT, get_petition
from storage.petitions.table import COUNT_CAP, SORTS, PetitionQuery, find_petitions
from storage.petitions.views import petition_card, petition_moves
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
from storage.places import get_commune, list_agencies, list_fields, list_hamlets

PAGE_SIZE = 25
STATUS_FILTERS = ("open", *[s.value for s in Status])
# Column headers that sort the table, and the order a first click gives.
# What the table's links carry from one page to the next, in this order.
KEPT = ("status", "field", "hamlet", "agency", "overdue", "q", "from", "to", "sort", "dir")
SORT_FIRST_DESCENDING = {"received": True, "due": False, "status": False, "field": False,
                         "hamlet": False}
HISTORY_NAMES = {
    "petition.submitted": N_("Petition received"),
    "petition.classified": N_("Classified"),
    "petition.forwarded": N_("Forwarded to the agency"),
    "petition.answered": N_("Answer sent"),
    "petition.closed": N_("Closed"),
    "petition.reopened": N_("Opened again"),
    "petition.merged": N_("Merged with a similar petition"),
    "petition.rejected": N_("Not accepted"),
    "petition.settled_own": N_("The petitioner says it is settled"),
    "petition.reopened_own": N_("The petitioner says it is not settled"),
}
NOTICES = {
    "done": N_("Saved. Whoever needs to know is told."),
    "refused": N_("Nothing was changed: the petition cannot make this move now."),
    "invalid": N_("Nothing was changed: please fill in the form."),
}


def routes() -> list[web.RouteDef]:
    return [
        web.get("/petitions", petitions_table),
        web.post("/petitions/bulk", bulk_move),
        web.get(r"/petitions/{id:\d+}", petition_page),
        web.get(r"/petitions/{id:\d+}/files/{position:\d+}", attachment),
        web.post(r"/petitions/{id:\d+}/{move:[a-z]+}", move),
    ]


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


async def _header(db: AsyncSession, staff: Staff) -> dict[str, Any]:
    commune = await get_commune(db, staff.commune_id)
    return {"commune": commune.name if commune else ""}


def _day(value: str | None) -> date | None:
    """A day typed as dd/mm/yyyy (or sent by a date picker as yyyy-mm-dd); None if neither."""
    value = (value or "").strip()
    for shape in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, shape).date()
        except ValueError:
            continue
    return None


def _wanted(query: Mapping[str, str]) -> tuple[PetitionQuery, bool]:
    """The table's filters and order from the address; and whether a date was not understood."""
    status = query.get("status", "open")
    sort = query.get("sort", "received")
    sort = sort if sort in SORTS else "received"
    direction = query.get("dir", "")
    descending = direction == "desc" if direction in ("asc", "desc") else (
        SORT_FIRST_DESCENDING[sort])
    typed = [query.get(name, "").strip() for name in ("from", "to")]
    received_from, received_to = (_day(value) for value in typed)
    unread = any(value and day is None for value, day in zip(typed, (received_from, received_to),
                                                              strict=True))
    wanted = PetitionQuery(
        status=status if status in STATUS_FILTERS else "",
        field_id=_number(query.get("field")),
        hamlet_id=_number(query.get("hamlet")),
        agency_id=_number(query.get("agency")),
        overdue=query.get("overdue") == "1",
        text=query.get("q", "")[:200],
        received_from=received_from,
        received_to=received_to,
        sort=sort,
        descending=descending,
    )
    return wanted, unread


async def petitions_table(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    staff = staff_of(request)
    query = request.query
    wanted, unread_date = _wanted(query)
    last_page = COUNT_CAP // PAGE_SIZE
    page = min(max(1, _number(query.get("page")) or 1), last_page)
    today = utcnow().astimezone(LOCAL).date()
    async with panel.db.transaction() as db:
        found = await find_petitions(db, staff.commune_id, wanted, today,
                                     offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        fields = await list_fields(db, staff.commune_id)
        hamlets = await list_hamlets(db, staff.commune_id)
        agencies = await list_agencies(db, staff.commune_id)
        header = await _header(db, staff)
    # "status" is always kept: "" (all) differs from no status at all (open ones).
    kept = {key: query.get(key, "") for key in KEPT if key == "status" or query.get(key)}
    kept["status"] = wanted.status
    pages = max(1, (found.total + PAGE_SIZE - 1) // PAGE_SIZE)

    def page_link(number: int) -> str:
        return "?" + urlencode({**kept, "page": number})

    def sort_link(sort: str) -> str:
        """A column header's link: its order, or the other way round if it is the order now."""
        descending = (not wanted.descending if wanted.sort == sort
                      else SORT_FIRST_DESCENDING[sort])
        return "?" + urlencode({**kept, "sort": sort, "dir": "desc" if descending else "asc"})

    return await render(
        request, "petitions.html", rows=found.rows, total=found.total, more=found.more,
        page=page, pages=pages, page_link=page_link, sort_link=sort_link, wanted=wanted,
        unread_date=unread_date, typed_from=query.get("from", "")[:10],
        typed_to=query.get("to", "")[:10], fields=fields, hamlets=hamlets, agencies=agencies,
        competences=COMPETENCES, competence_names=COMPETENCE_NAMES, statuses=STATUS_FILTERS,
        status_names=STATUS_NAMES, back="?" + urlencode({**kept, "page": page}), **header)


BULK_MOVES = {"classify": N_("Classify"), "forward": N_("Forward to an agency")}
# Why a petition refused a move, as the office reads it.
REFUSALS = {
    "not_allowed": N_("it cannot make this move now"),
    "bad_field": N_("that field is not this commune's"),
    "bad_agency": N_("that agency is not this commune's"),
    "bad_competence": N_("that competence is not known"),
    "not_yours": N_("you may not move it"),
}


@dataclass(frozen=True)
class Refusal:
    code: str
    status: str
    why: str  # a REFUSALS value


async def bulk_move(request: web.Request) -> web.Response:
    """Classify or forward every petition ticked in the table, each in a transaction of its
    own through the operation the petition page uses, and say what became of each."""
    panel = request.app[PANEL]
    staff = staff_of(request)
    form = await request.post()
    name = str(form.get("move", ""))
    ids = list(dict.fromkeys(n for n in (_number(str(v)) for v in form.getall("id", []))
                             if n is not None))[:COUNT_CAP]
    back = str(form.get("back", ""))
    back = back if back.startswith("?") else ""
    field_id, agency_id = _number(str(form.get("field", ""))), _number(str(form.get("agency", "")))
    competence = str(form.get("competence", ""))
    if name not in BULK_MOVES or not ids or (name == "classify" and field_id is None) or (
            name == "forward" and agency_id is None):
        return await render_message(request, N_("Nothing was changed"), N_(
            "Tick the petitions in the table, then choose what to do with them."), status=400)
    done, missing, refused = 0, 0, []
    for pid in ids:
        async with panel.db.transaction() as db:
            petition = await get_petition(db, pid)
            person = await db.get(Person, staff.person_id)
            if petition is None or person is None or petition.commune_id != staff.commune_id:
                missing += 1  # another commune's petitions are not even named
                continue
            try:
                if name == "classify":
                    await classify_petition(db, petition, person, field_id=field_id or 0,
                                            competence=competence)
                else:
                    await forward_petition(db, petition, person, agency_id=agency_id or 0,
                                           now=utcnow())
                done += 1
            except BadMove as error:
                refused.append(Refusal(petition.code, petition.status,
                                       REFUSALS.get(str(error), REFUSALS["not_allowed"])))
            except NotYours:
                refused.append(Refusal(petition.code, petition.status, REFUSALS["not_yours"]))
    if done:
        panel.wake()
    async with panel.db.transaction() as db:
        header = await _header(db, staff)
    return await render(request, "petitions_bulk.html", move=BULK_MOVES[name], done=done,
                        refused=refused, missing=missing, status_names=STATUS_NAMES,
                        back=back, **header)


async def _readable(db: AsyncSession, request: web.Request) -> tuple[Petition, Person]:
    """The petition and the reader, if the reader works in its commune; 404/403 otherwise."""
    staff = staff_of(request)
    petition = await get_petition(db, int(request.match_info["id"]))
    if petition is None:
        raise web.HTTPNotFound()
    person = await db.get(Person, staff.person_id)
    if person is None or petition.commune_id != staff.commune_id:
        raise web.HTTPForbidden()
    return petition, person


async def petition_page(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    today = utcnow().astimezone(LOCAL).date()
    async with panel.db.transaction() as db:
        try:
            petition, person = await _readable(db, request)
        except web.HTTPForbidden:
            return await _forbidden(request)
        card = await petition_card(db, petition, person, today)
        if card is None:
            return await _forbidden(request)
        allowed = await allowed_moves(db, petition, person)
        attachments = ([(n, a.kind, attachment_name(petition.code, n, a))
                        for n, a in enumerate(await list_attachments(db, petition), start=1)]
                       if card.viewer in READERS else [])
        similar = (await find_similar_petitions(db, petition.commune_id, petition.content,
                                                exclude_id=petition.id, limit=3)
                   if Status.MERGED in allowed else [])
        moves = await petition_moves(db, petition)
        fields = await list_fields(db, petition.commune_id)
        agencies = await list_agencies(db, petition.commune_id)
        header = await _header(db, staff_of(request))
    notice = NOTICES.get(request.query.get("notice", ""))
    return await render(
        request, "petition.html", card=card, petition=petition, allowed=allowed,
        attachments=attachments, similar=similar, moves=moves, fields=fields,
        agencies=agencies, competences=COMPETENCES, competence_names=COMPETENCE_NAMES,
        status_names=STATUS_NAMES, history_names=HISTORY_NAMES, notice=notice,
        max_content=MAX_CONTENT, Status=Status, **header)


async def _forbidden(request: web.Request) -> web.Response:
    return await render_message(request, N_("Not allowed"),
                                N_("You cannot open that petition."), status=403)


MIME_BY_KIND = {"photo": "image/jpeg", "voice": "audio/ogg"}
# What a file's first bytes say it is: a platform's file id carries no name to guess from.
MAGIC = ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
         (b"OggS", "audio/ogg"), (b"%PDF", "application/pdf"), (b"ID3", "audio/mpeg"))


def sniff_mime(content: bytes) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in MAGIC if content.startswith(magic)), None)


async def attachment(request: web.Request) -> web.StreamResponse:
    """A photo, voice note or document, fetched from the platform it was sent to."""
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        try:
            petition, person = await _readable(db, request)
        except web.HTTPForbidden:
            return await _forbidden(request)
        shown = await attachment_to_show(db, petition, person,
                                         int(request.match_info["position"]))
    if shown is None:
        return await _forbidden(request)
    fetch = panel.fetchers.get(shown.channel)
    if fetch is None:
        raise web.HTTPNotFound(text=translator(panel.locale)._(
            "This file cannot be fetched now."))
    content = await fetch(shown.file_ref)
    mime = sniff_mime(content) or guess_mime(shown.name)
    if mime == "application/octet-stream":
        mime = MIME_BY_KIND.get(shown.kind, mime)
    inline = shown.kind in ("photo", "voice")
    disposition = "inline" if inline else "attachment"
    return web.Response(body=content, content_type=mime, headers={
        "Content-Disposition": f'{disposition}; filename="{shown.name}"',
        "Cache-Control": "private, no-store"})


async def move(request: web.Request) -> web.Response:
    """One of the chat's moves, from the petition page's forms."""
    panel = request.app[PANEL]
    form = await request.post()
    name = request.match_info["move"]
    outcome = "done"
    async with panel.db.transaction() as db:
        try:
            petition, person = await _readable(db, request)
        except web.HTTPForbidden:
            return await _forbidden(request)
        pid = petition.id
        try:
            outcome = await _make_move(db, petition, person, name, form, utcnow())
        except (BadMove, NotYours):
            outcome = "refused"
    if outcome == "done":
        panel.wake()
    raise web.HTTPSeeOther(f"/panel/petitions/{pid}?notice={outcome}")


async def _make_move(db: AsyncSession, petition: Petition, person: Person, name: str,
                     form: Any, now: datetime) -> str:
    text = str(form.get("text", "")).strip()
    if name == "classify":
        field_id, competence = _number(str(form.get("field", ""))), str(form.get("competence"))
        if field_id is None:
            return "invalid"
        await classify_petition(db, petition, person, field_id=field_id, competence=competence)
    elif name == "forward":
        agency_id = _number(str(form.get("agency", "")))
        if agency_id is None:
            return "invalid"
        await forward_petition(db, petition, person, agency_id=agency_id, now=now)
    elif name == "answer":
        if not text or len(text) > MAX_CONTENT:
            return "invalid"
        await answer_petition(db, petition, person, text=text, now=now)
    elif name in ("reject", "back"):
        if not text or len(text) > 1000:
            return "invalid"
        to = Status.REJECTED if name == "reject" else Status.CLASSIFIED
        await move_petition(db, petition, to, person, reason=text, now=now)
    elif name == "close":
        await move_petition(db, petition, Status.CLOSED, person, now=now)
    elif name == "merge":
        keep = await get_petition(db, _number(str(form.get("into", ""))) or 0)
        if keep is None:
            return "invalid"
        await merge_petitions(db, keep, petition, person)
    else:
        raise web.HTTPNotFound()
    return "done"
