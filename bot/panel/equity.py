"""The panel's reach page: which hamlets, households and channels the bot reaches, and which not.

Counts only (`storage.people.reach`), drawn as server-side SVG bars like the overview's. The
household category counts are sensitive: the panel opens to the commune office alone, and
they are never broken down further than category and whether the household came.
"""

from __future__ import annotations

from aiohttp import web

from bot.panel.context import PANEL, render, staff_of
from bot.panel.reports import read_day
from bot.panel.words import first_upper
from handlers.dialogues.register import CATEGORY_NAMES
from handlers.i18n import CHANNEL_NAMES, N_
from handlers.petitions.report import LONGEST
from storage.models.base import utcnow
from storage.people.reach import IN_PERSON, SEVERAL, HamletReach, commune_reach
from storage.petitions.petitions import LOCAL
from storage.places import get_commune

CHANNEL_LABELS = {**CHANNEL_NAMES, SEVERAL: N_("Several channels"),
                  IN_PERSON: N_("In person, typed in by staff or a delegate")}


def routes() -> list[web.RouteDef]:
    return [web.get("/equity", equity_page)]


def behind(hamlets: list[HamletReach]) -> set[int | None]:
    """Hamlets the bot hardly reaches: nobody there uses it, or (where the households are
    known) under half the commune's share of households."""
    known = [h for h in hamlets if h.households and h.hamlet_id is not None]
    households = sum(h.households or 0 for h in known)
    average = sum(h.residents for h in known) / households if households else None
    return {h.hamlet_id for h in hamlets if h.hamlet_id is not None and (
        h.residents == 0 or (average is not None and h.reach is not None
                             and h.reach < average / 2))}


def _per_hundred(share: float, locale: str) -> str:
    """People per 100 households, with a decimal while it is small ("0,5" in Vietnamese)."""
    value = 100 * share
    shown = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return shown.replace(".", ",") if locale == "vi" else shown


async def equity_page(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    staff = staff_of(request)
    today = utcnow().astimezone(LOCAL).date()
    first = read_day(request.query.get("from")) or today.replace(month=1, day=1)
    last = read_day(request.query.get("to")) or today
    if last < first or last - first > LONGEST:
        first, last = today.replace(month=1, day=1), today
    async with panel.db.transaction() as db:
        reach = await commune_reach(db, staff.commune_id, first, last)
        commune = await get_commune(db, staff.commune_id)
    hamlets = reach.hamlets
    return await render(
        request, "equity.html", reach=reach, first=first, last=last, behind=behind(hamlets),
        widest_residents=max([h.residents for h in hamlets] + [1]),
        widest_reach=max([h.reach or 0 for h in hamlets] + [0.001]),
        per_hundred=lambda share: _per_hundred(share, staff.locale or panel.locale),
        first_upper=first_upper,
        widest_channel=max([max(c.residents, c.petitions) for c in reach.channels] + [1]),
        widest_category=max([c.registered for c in reach.categories] + [1]),
        widest_voters=max([u.voters_present for u in reach.units] + [1]),
        channel_labels=CHANNEL_LABELS, category_names=CATEGORY_NAMES,
        commune=commune.name if commune else "")
