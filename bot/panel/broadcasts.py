"""The panel's announcements: the list with progress, composing with a preview, sending, stopping.

Each route calls what the chat's `/broadcast` and `/broadcasts` call (storage.messaging.
broadcasts): who is reached, when it may go, who may send or stop it is decided there. The
preview is the notice renderer's own output, as recipients will read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession

from bot.panel.context import PANEL, Panel, Staff, render, render_message, staff_of
from bot.panel.petitions import sniff_mime
from handlers.dates import example_datetime, parse_local_datetime
from handlers.i18n import N_
from handlers.notices import render_payload
from handlers.topics import TOPIC_NAMES
from storage.dialogues.dialogues import dialogues_of_commune, get_dialogue
from storage.files import file_by_token, store_file
from storage.messaging.broadcasts import (
    AUDIENCE_KINDS,
    LATEST_SCHEDULE,
    MAX_TEXT,
    TOPICS,
    BadBroadcast,
    BroadcastDraft,
    Progress,
    broadcast_progress,
    cancel_broadcast,
    check_broadcast,
    count_audience,
    list_broadcasts,
    may_schedule,
    queue_broadcast,
)
from storage.models import Broadcast, Person
from storage.models.base import utcnow
from storage.permissions import NotAllowed
from storage.places import get_commune, list_hamlets

# Telegram takes photos up to 10 MB; a phone's photo is 2-4 MB.
MAX_PHOTO = 5 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
LISTED = 20
REFRESH_SECONDS = 5
AUDIENCE_NAMES = {
    "commune": N_("Everyone in the commune"),
    "hamlets": N_("Some hamlets"),
    "delegates": N_("People's Council delegates"),
    "dialogue": N_("Households registered for a dialogue"),
}
# Why storage refused a draft (`BadBroadcast.reason`), in the office's words.
PROBLEMS = {
    "no_text": N_("Please type the text of the announcement."),
    "too_long": N_("The text is too long. Please shorten it or split it into two "
                   "announcements."),
    "no_hamlet": N_("Choose at least one hamlet."),
    "bad_dialogue": N_("Choose the dialogue whose households should receive it."),
    "too_late": N_("Please type a date and time within the next 60 days, as dd/mm/yyyy hh:mm."),
}
OTHER_PROBLEM = N_("This announcement cannot be sent. Please check the form.")
NOTICES = {
    "queued": N_("The announcement is queued. This page follows it until every message has "
                 "gone."),
    "stopped": N_("Stopped: the messages not yet sent will not be sent."),
    "refused": N_("This announcement can no longer be stopped."),
}


def routes() -> list[web.RouteDef]:
    return [
        web.get("/broadcasts", broadcasts_page),
        web.post("/broadcasts/preview", preview),
        web.post("/broadcasts/send", send),
        web.get(r"/broadcasts/{id:\d+}", broadcast_page),
        web.post(r"/broadcasts/{id:\d+}/stop", stop),
        web.get(r"/broadcasts/photos/{token:[A-Za-z0-9_-]{8,64}}", photo),
    ]


@dataclass
class Composed:
    """What the compose form holds, as typed: shown again with its problem, or previewed."""

    text: str = ""
    kind: str = "commune"
    hamlet_ids: list[int] = field(default_factory=list)
    dialogue_id: int | None = None
    topic: str = "general"
    urgent: bool = False
    later: bool = False
    at: str = ""
    photo: tuple[str, str] | None = None  # (stored file token, name)

    @property
    def audience(self) -> dict[str, Any]:
        if self.kind == "hamlets":
            return {"kind": "hamlets", "hamlet_ids": sorted(self.hamlet_ids)}
        if self.kind == "dialogue":
            return {"kind": "dialogue", "dialogue_id": self.dialogue_id or 0}
        return {"kind": self.kind}


def _number(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _read_form(form: MultiDictProxy[Any]) -> Composed:
    kind = str(form.get("audience", "commune"))
    topic = str(form.get("topic", "general"))
    token, name = str(form.get("photo_token", "")), str(form.get("photo_name", ""))
    return Composed(
        text=str(form.get("text", "")).replace("\r\n", "\n").strip(),
        kind=kind if kind in AUDIENCE_KINDS else "commune",
        hamlet_ids=[n for n in (_number(h) for h in form.getall("hamlet", [])) if n],
        dialogue_id=_number(form.get("dialogue")),
        topic=topic if topic in TOPICS else "general",
        urgent=form.get("urgency") == "urgent",
        later=form.get("when") == "later",
        at=str(form.get("at", "")).strip()[:60],
        photo=(token, name) if token and name and not form.get("drop_photo") else None,
    )


async def _photo_of(db: AsyncSession, staff: Staff, form: MultiDictProxy[Any],
                    composed: Composed, now: datetime) -> str | None:
    """Keep an uploaded photo (or check the one carried from a preview); a problem or None."""
    upload = form.get("photo")
    if isinstance(upload, web.FileField):
        content = upload.file.read(MAX_PHOTO + 1)
        if content:
            if len(content) > MAX_PHOTO:
                return N_("The photo is larger than 5 MB. Please choose a smaller one.")
            mime = sniff_mime(content)
            if mime not in PHOTO_TYPES:
                return N_("Only photos (JPEG or PNG) can be sent with an announcement.")
            stored = store_file(db, f"thong-bao-{now:%Y%m%d-%H%M}.{PHOTO_TYPES[mime]}",
                                content, owner_id=staff.person_id, now=now,
                                keep=LATEST_SCHEDULE * 2)
            await db.flush()
            composed.photo = (stored.token, stored.name)
            return None
    if composed.photo is not None and await _own_photo(db, composed.photo[0]) is None:
        composed.photo = None
        return N_("The photo is no longer kept. Please choose it again.")
    return None


async def _own_photo(db: AsyncSession, token: str) -> tuple[bytes, str] | None:
    """A photo kept for an announcement: an image about nobody (never a list or a report)."""
    stored = await file_by_token(db, token)
    if (stored is None or stored.personal or stored.content is None
            or stored.mime not in PHOTO_TYPES):
        return None
    return stored.content, stored.mime


def _draft(staff: Staff, composed: Composed, send_at: datetime | None) -> BroadcastDraft:
    return BroadcastDraft(commune_id=staff.commune_id, text=composed.text,
                          audience=composed.audience, topic=composed.topic,
                          urgent=composed.urgent, send_at=send_at, photo=composed.photo)


def _send_at(panel: Panel, composed: Composed, now: datetime) -> datetime | str | None:
    """The chosen time (None: now), or the problem with it."""
    if not composed.later:
        return None
    moment = parse_local_datetime(composed.at, panel.timezone, now)
    if moment is None or not may_schedule(moment, now):
        return N_("Please type a date and time within the next 60 days, as dd/mm/yyyy hh:mm.")
    return moment


async def _choices(db: AsyncSession, staff: Staff, now: datetime) -> dict[str, Any]:
    """What the compose form offers, and the commune's name for the header."""
    commune = await get_commune(db, staff.commune_id)
    return {
        "commune": commune.name if commune else "",
        "hamlets": await list_hamlets(db, staff.commune_id),
        "dialogues": await dialogues_of_commune(db, staff.commune_id, now),
        "topics": [(topic, TOPIC_NAMES[topic]) for topic in TOPICS],
        "audience_names": AUDIENCE_NAMES,
        "max_text": MAX_TEXT,
    }


async def _listed(db: AsyncSession, commune_id: int) -> list[Progress]:
    shown = []
    for broadcast in await list_broadcasts(db, commune_id, limit=LISTED):
        progress = await broadcast_progress(db, broadcast.id)
        if progress is not None:
            shown.append(progress)
    return shown


async def broadcasts_page(request: web.Request) -> web.Response:
    return await _compose_page(request, Composed(), problem=None)


async def _compose_page(request: web.Request, composed: Composed, problem: str | None,
                        status: int = 200) -> web.Response:
    panel = request.app[PANEL]
    staff = staff_of(request)
    now = utcnow()
    async with panel.db.transaction() as db:
        listed = await _listed(db, staff.commune_id)
        choices = await _choices(db, staff, now)
    return await render(request, "broadcasts.html", status=status, listed=listed,
                        composed=composed, problem=problem, now=now,
                        example=example_datetime(now, panel.timezone, days=1, hour=7),
                        **choices)


async def preview(request: web.Request) -> web.Response:
    """The message as people will see it, the number it reaches, and the button to send it."""
    panel = request.app[PANEL]
    staff = staff_of(request)
    form = await request.post()
    composed = _read_form(form)
    now = utcnow()
    async with panel.db.transaction() as db:
        problem = await _photo_of(db, staff, form, composed, now)
        send_at = _send_at(panel, composed, now)
        reach = 0
        try:
            await check_broadcast(db, _draft(staff, composed, None), now)
            reach = await count_audience(db, staff.commune_id, composed.audience,
                                         composed.topic, composed.urgent)
        except BadBroadcast as refused:
            problem = problem or PROBLEMS.get(refused.reason, OTHER_PROBLEM)
        if isinstance(send_at, str):
            problem = problem or send_at
        commune = await get_commune(db, staff.commune_id)
    if problem is not None:
        return await _compose_page(request, composed, problem, status=400)
    assert not isinstance(send_at, str)
    shown = render_payload(
        {"notice": "broadcast",
         "params": {"text": composed.text, "commune": commune.name if commune else "",
                    "urgent": composed.urgent,
                    **({"photo": list(composed.photo)} if composed.photo else {})}},
        staff.locale or panel.locale)
    async with panel.db.transaction() as db:
        choices = await _choices(db, staff, now)
        listed = await _listed(db, staff.commune_id)
    if send_at is not None:
        composed.at = send_at.astimezone(ZoneInfo(panel.timezone)).strftime("%d/%m/%Y %H:%M")
    return await render(request, "broadcasts.html", listed=listed, composed=composed,
                        problem=None, now=now, shown=shown, reach=reach, send_at=send_at,
                        audience_label=await _audience_label(panel, staff, composed.audience),
                        example=example_datetime(now, panel.timezone, days=1, hour=7),
                        **choices)


async def _audience_label(panel: Panel, staff: Staff, audience: dict[str, Any]
                          ) -> tuple[str, str]:
    """(catalog id of the kind, the hamlets' or dialogue's names) for a reader."""
    kind = str(audience.get("kind", ""))
    detail = ""
    async with panel.db.transaction() as db:
        if kind == "hamlets":
            wanted = {int(h) for h in audience.get("hamlet_ids", [])}
            detail = ", ".join(h.name for h in await list_hamlets(db, staff.commune_id)
                               if h.id in wanted)
        elif kind == "dialogue":
            dialogue = await get_dialogue(db, int(audience.get("dialogue_id", 0)))
            detail = dialogue.title if dialogue and dialogue.commune_id == staff.commune_id \
                else ""
    return AUDIENCE_NAMES.get(kind, kind), detail


async def send(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    staff = staff_of(request)
    form = await request.post()
    composed = _read_form(form)
    now = utcnow()
    # The preview's form carries the time it resolved (dd/mm/yyyy hh:mm). If that time has
    # passed while the office read the preview, storage sends it at once.
    send_at = parse_local_datetime(composed.at, panel.timezone, now) if composed.later else None
    if composed.later and send_at is None:
        return await _compose_page(request, composed, PROBLEMS["too_late"], status=400)
    problem = None
    async with panel.db.transaction() as db:
        if composed.photo is not None and await _own_photo(db, composed.photo[0]) is None:
            composed.photo = None
            problem = N_("The photo is no longer kept. Please choose it again.")
        else:
            author = await db.get(Person, staff.person_id)
            try:
                broadcast = await queue_broadcast(db, author, _draft(staff, composed, send_at),
                                                  panel.quiet_hours)
            except NotAllowed:
                raise web.HTTPForbidden() from None
            except BadBroadcast as refused:
                problem = PROBLEMS.get(refused.reason, OTHER_PROBLEM)
            else:
                broadcast_id = broadcast.id
    if problem is not None:
        return await _compose_page(request, composed, problem, status=400)
    panel.wake()
    raise web.HTTPSeeOther(f"/panel/broadcasts/{broadcast_id}?notice=queued")


async def _of_commune(db: AsyncSession, request: web.Request) -> Broadcast | None:
    """The broadcast if it is one of the reader's commune; None otherwise."""
    broadcast = await db.get(Broadcast, int(request.match_info["id"]))
    if broadcast is None or broadcast.commune_id != staff_of(request).commune_id:
        return None
    return broadcast


async def broadcast_page(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    staff = staff_of(request)
    async with panel.db.transaction() as db:
        broadcast = await _of_commune(db, request)
        if broadcast is None:
            return await _forbidden(request)
        progress = await broadcast_progress(db, broadcast.id)
        commune = await get_commune(db, staff.commune_id)
        audience = dict(broadcast.audience)
    assert progress is not None
    response = await render(request, "broadcast.html", progress=progress, broadcast=broadcast,
                            commune=commune.name if commune else "", now=utcnow(),
                            audience_label=await _audience_label(panel, staff, audience),
                            topic_name=TOPIC_NAMES.get(broadcast.topic, broadcast.topic),
                            notice=_notice(request, broadcast))
    if broadcast.status == "queued":
        # The page follows the sending without a script: the browser reloads it until the
        # final report is in.
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


def _notice(request: web.Request, broadcast: Broadcast) -> str | None:
    """The notice the page was opened with; "queued" no longer once it has all gone."""
    notice = request.query.get("notice", "")
    if notice == "queued" and broadcast.status != "queued":
        return None
    return NOTICES.get(notice)


async def stop(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        broadcast = await _of_commune(db, request)
        if broadcast is None:
            return await _forbidden(request)
        broadcast_id = broadcast.id
        progress = await broadcast_progress(db, broadcast_id)
        if progress is None or not progress.stoppable:
            raise web.HTTPSeeOther(f"/panel/broadcasts/{broadcast_id}?notice=refused")
        author = await db.get(Person, staff_of(request).person_id)
        try:
            await cancel_broadcast(db, author, broadcast_id)
        except NotAllowed:
            return await _forbidden(request)
    raise web.HTTPSeeOther(f"/panel/broadcasts/{broadcast_id}?notice=stopped")


async def photo(request: web.Request) -> web.StreamResponse:
    """An announcement's photo, for its preview."""
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        found = await _own_photo(db, request.match_info["token"])
    if found is None:
        raise web.HTTPNotFound()
    content, mime = found
    return web.Response(body=content, content_type=mime,
                        headers={"Cache-Control": "private, no-store"})


async def _forbidden(request: web.Request) -> web.Response:
    return await render_message(request, N_("Not allowed"),
                                N_("This announcement belongs to another commune."), status=403)
