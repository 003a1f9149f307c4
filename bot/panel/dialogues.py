"""The panel's poverty-policy dialogues: seats per hamlet, waiting lists, lists to print, and
checking households in at the door from a phone.

Each route calls what the chat's dialogue screens call (storage.dialogues.dialogues): the
office role is checked there, every read of the lists is audited there, and the check-in is
the chat's own. The household category is sensitive: it appears only in these pages' bodies
(office staff only), never in an address, a redirect or a log line.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.panel.context import PANEL, Staff, render, render_message, staff_of
from handlers.dialogues.office import REGISTRATION_STATUS, list_label
from handlers.dialogues.register import CATEGORY_NAMES, TOPIC_NAMES
from handlers.i18n import N_
from storage.dialogues.dialogues import (
    CodeAlreadyUsed,
    HamletFill,
    ListRow,
    RegistrationRefused,
    check_in,
    dialogue_choices,
    dialogue_fill,
    dialogues_of_commune,
    get_dialogue,
    hamlet_lists,
)
from storage.models import Dialogue, Person
from storage.models.base import utcnow
from storage.permissions import NotAllowed
from storage.places import get_commune

WAITING = ("waiting", "offered")
SEATED = ("registered", "attended")
MAX_CODE = 20


def routes() -> list[web.RouteDef]:
    return [
        web.get("/dialogues", dialogues_page),
        web.get(r"/dialogues/{id:\d+}", dialogue_page),
        web.get(r"/dialogues/{id:\d+}/lists", lists_page),
        web.get(r"/dialogues/{id:\d+}/lists.xlsx", lists_workbook),
        web.get(r"/dialogues/{id:\d+}/check-in", check_in_page),
        web.post(r"/dialogues/{id:\d+}/check-in", check_in_household),
    ]


class Forbidden(Exception):
    """The dialogue is another commune's, or the reader is not its office."""


async def _header(db: AsyncSession, staff: Staff) -> dict[str, Any]:
    commune = await get_commune(db, staff.commune_id)
    return {"commune": commune.name if commune else ""}


async def _open(db: AsyncSession, request: web.Request) -> tuple[Dialogue, Person]:
    """The dialogue and the reader, if the reader works in its commune."""
    staff = staff_of(request)
    dialogue = await get_dialogue(db, int(request.match_info["id"]))
    if dialogue is None:
        raise web.HTTPNotFound()
    person = await db.get(Person, staff.person_id)
    if person is None or dialogue.commune_id != staff.commune_id:
        raise Forbidden()
    return dialogue, person


async def _forbidden(request: web.Request) -> web.Response:
    return await render_message(request, N_("Not allowed"),
                                N_("Only the commune office manages dialogues."), status=403)


async def _labels(db: AsyncSession, commune_id: int) -> dict[str, dict[str, str]]:
    """Catalog ids (or the commune's own names) of categories, topics and statuses."""
    categories, topics = await dialogue_choices(db, commune_id)
    return {
        "category": {**CATEGORY_NAMES, **{c: n for c, n in categories if n}},
        "topic": {**TOPIC_NAMES, **{c: n for c, n in topics if n}},
        "status": REGISTRATION_STATUS,
    }


@dataclass(frozen=True)
class Summary:
    dialogue: Dialogue
    fill: list[HamletFill]

    @property
    def seats(self) -> int:
        return sum(row.seats for row in self.fill)

    @property
    def taken(self) -> int:
        return sum(row.taken for row in self.fill)

    @property
    def waiting(self) -> int:
        return sum(row.waiting for row in self.fill)


async def dialogues_page(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    staff = staff_of(request)
    async with panel.db.transaction() as db:
        person = await db.get(Person, staff.person_id)
        if person is None:
            return await _forbidden(request)
        summaries = []
        try:
            for dialogue in await dialogues_of_commune(db, staff.commune_id, utcnow()):
                summaries.append(Summary(dialogue, await dialogue_fill(db, person, dialogue)))
        except NotAllowed:
            return await _forbidden(request)
        header = await _header(db, staff)
    return await render(request, "dialogues.html", summaries=summaries, **header)


async def dialogue_page(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        try:
            dialogue, person = await _open(db, request)
            fill = await dialogue_fill(db, person, dialogue)
            rows = await hamlet_lists(db, person, dialogue)
        except (Forbidden, NotAllowed):
            return await _forbidden(request)
        labels = await _labels(db, dialogue.commune_id)
        header = await _header(db, staff_of(request))
    waiting = [row for row in rows if row.status in WAITING]
    attended = sum(1 for row in rows if row.status == "attended")
    return await render(request, "dialogue.html", dialogue=dialogue,
                        summary=Summary(dialogue, fill), waiting=waiting, attended=attended,
                        labels=labels, **header)


async def lists_page(request: web.Request) -> web.Response:
    """Every household registered or waiting, one table per hamlet, to print."""
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        try:
            dialogue, person = await _open(db, request)
            rows = await hamlet_lists(db, person, dialogue)
        except (Forbidden, NotAllowed):
            return await _forbidden(request)
        labels = await _labels(db, dialogue.commune_id)
        header = await _header(db, staff_of(request))
    by_hamlet: dict[str, list[ListRow]] = {}
    for row in rows:
        by_hamlet.setdefault(row.hamlet, []).append(row)
    return await render(request, "dialogue_lists.html", dialogue=dialogue,
                        by_hamlet=by_hamlet, labels=labels, **header)


async def lists_workbook(request: web.Request) -> web.StreamResponse:
    """The chat's Excel lists (one sheet per hamlet), handed over at once."""
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        try:
            dialogue, person = await _open(db, request)
            rows = await hamlet_lists(db, person, dialogue)
        except (Forbidden, NotAllowed):
            return await _forbidden(request)
    # Here rather than at the top: openpyxl is loaded when a list is made, not at start-up.
    from handlers.documents.dialogue_lists import build_hamlet_lists_xlsx

    content = await asyncio.to_thread(build_hamlet_lists_xlsx, rows, list_label)
    name = f"danh-sach-doi-thoai-{dialogue.id}.xlsx"
    return web.Response(body=content, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store"})


@dataclass(frozen=True)
class Outcome:
    """What the door says about a code: checked_in, used, no_seat or unknown."""

    kind: str
    code: str
    registration_code: str = ""  # the household checked in (DT1-00042)
    used_at: str = ""


async def _door(db: AsyncSession, request: web.Request, dialogue: Dialogue, person: Person,
                outcome: Outcome | None) -> dict[str, Any]:
    rows = await hamlet_lists(db, person, dialogue)
    seated = [row for row in rows if row.status in SEATED]
    by_hamlet: dict[str, list[ListRow]] = {}
    for row in seated:
        by_hamlet.setdefault(row.hamlet, []).append(row)
    admitted = next((row for row in seated if outcome is not None
                     and row.code == outcome.registration_code), None)
    return {"dialogue": dialogue, "outcome": outcome, "admitted": admitted,
            "by_hamlet": by_hamlet, "seated": len(seated),
            "attended": sum(1 for row in seated if row.status == "attended"),
            **await _header(db, staff_of(request))}


async def check_in_page(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        try:
            dialogue, person = await _open(db, request)
            values = await _door(db, request, dialogue, person, None)
        except (Forbidden, NotAllowed):
            return await _forbidden(request)
    return await render(request, "dialogue_check_in.html", **values)


async def check_in_household(request: web.Request) -> web.Response:
    """The code typed (or the household picked from the list), and what the door says.

    The answer is this POST's page, not a redirect: the household's name never travels in an
    address.
    """
    panel = request.app[PANEL]
    form = await request.post()
    code = "".join(str(form.get("code", "")).split())[:MAX_CODE]
    async with panel.db.transaction() as db:
        try:
            dialogue, person = await _open(db, request)
            outcome = await _admit(db, dialogue, person, code, panel.timezone)
            values = await _door(db, request, dialogue, person, outcome)
        except (Forbidden, NotAllowed):
            return await _forbidden(request)
    return await render(request, "dialogue_check_in.html", **values)


async def _admit(db: AsyncSession, dialogue: Dialogue, person: Person, code: str,
                 timezone: str) -> Outcome:
    if not code:
        return Outcome("unknown", code)
    try:
        registration = await check_in(db, person, dialogue, code)
    except CodeAlreadyUsed as used:
        return Outcome("used", code, used_at=_door_time(used.used_at, timezone))
    except RegistrationRefused as refused:
        return Outcome("no_seat" if refused.reason == "no_seat" else "unknown", code)
    await db.flush()
    return Outcome("checked_in", code, registration_code=registration.code)


def _door_time(moment: datetime, timezone: str) -> str:
    """"08:15 12/07": the time first, as the door reads it."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M %d/%m")
