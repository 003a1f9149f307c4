"""The panel's web application, mounted at /panel/ on the process's HTTP server.

Signing in and out lives here; the petition pages are in `bot.panel.petitions`.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.panel import broadcasts, dashboard, dialogues, equity, petitions, reports, voter_contact
from bot.panel.auth import (
    clear_session_cookie,
    require_staff,
    security_headers,
    set_session_cookie,
)
from bot.panel.context import PANEL, STAFF_KEY, Panel, render_message, staff_of
from handlers.i18n import N_
from storage.models import Person
from storage.people.panel_access import end_all_sessions, end_session, redeem_sign_in

HERE = Path(__file__).parent
PREFIX = "/panel"


def build_panel_app(panel: Panel) -> web.Application:
    app = web.Application(middlewares=[security_headers, require_staff])
    app[PANEL] = panel
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"),
                         autoescape=True, undefined=jinja2.StrictUndefined)
    app.router.add_get("/sign-in/{token}", sign_in_page)
    app.router.add_post("/sign-in/{token}", sign_in)
    app.router.add_post("/sign-out", sign_out)
    app.router.add_post("/sign-out-everywhere", sign_out_everywhere)
    app.router.add_static("/static/", HERE / "static", name="static")
    app.add_routes(dashboard.routes())
    app.add_routes(petitions.routes())
    app.add_routes(broadcasts.routes())
    app.add_routes(dialogues.routes())
    app.add_routes(voter_contact.routes())
    app.add_routes(reports.routes())
    app.add_routes(equity.routes())
    return app


async def sign_in_page(request: web.Request) -> web.Response:
    # A chat app previewing the link fetches it with GET: only the button's POST spends it.
    return await render_message(request, N_("Sign in to the web panel"),
                                N_("Press the button to sign in on this device."),
                                form=request.path, button=N_("Sign in"))


async def sign_in(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        opened = await redeem_sign_in(db, request.match_info["token"],
                                      hours=panel.session_hours)
    if opened is None:
        return await render_message(request, N_("This sign-in link no longer works"), N_(
            "A sign-in link works once, within minutes. Ask the bot for a new one."),
            status=403)
    response = web.HTTPSeeOther(f"{PREFIX}/")
    set_session_cookie(response, panel, opened.token)
    raise response


async def sign_out(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        await end_session(db, staff_of(request).session_token)
    del request[STAFF_KEY]  # the page after signing out is a stranger's page
    response = await render_message(request, N_("Signed out"),
                                    N_("You have signed out of the web panel."))
    clear_session_cookie(response)
    return response


async def sign_out_everywhere(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        person = await db.get(Person, staff_of(request).person_id)
        assert person is not None
        await end_all_sessions(db, person)
    del request[STAFF_KEY]
    response = await render_message(request, N_("Signed out"), N_(
        "You have signed out of the web panel on every device."))
    clear_session_cookie(response)
    return response
