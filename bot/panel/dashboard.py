"""The panel's first page: the commune's petitions in figures, and what comes next.

Charts are drawn on the server as SVG (bars need no library): the page works without scripts
and prints as it shows.
"""

from __future__ import annotations

from aiohttp import web

from bot.panel.context import PANEL, render, staff_of
from storage.dialogues.dialogues import open_dialogues
from storage.models.base import utcnow
from storage.petitions.dashboard import petition_figures
from storage.petitions.petitions import LOCAL
from storage.places import get_commune
from storage.voter_contact.meetings import upcoming_meetings_of_commune


def routes() -> list[web.RouteDef]:
    return [web.get("/", dashboard)]


async def dashboard(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    staff = staff_of(request)
    now = utcnow()
    today = now.astimezone(LOCAL).date()
    async with panel.db.transaction() as db:
        figures = await petition_figures(db, staff.commune_id, today)
        meetings = await upcoming_meetings_of_commune(db, staff.commune_id, now, limit=5)
        dialogues = await open_dialogues(db, staff.commune_id, now)
        commune = await get_commune(db, staff.commune_id)
    peak = max([m.received for m in figures.months] + [m.answered for m in figures.months]
               + [1])
    widest = max([s.count for s in figures.by_field + figures.by_hamlet] + [1])
    return await render(request, "dashboard.html", figures=figures, meetings=meetings,
                        dialogues=dialogues[:5], peak=peak, widest=widest,
                        commune=commune.name if commune else "")
