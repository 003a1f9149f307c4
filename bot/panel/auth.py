"""Who is at the panel: the session cookie, the commune they work in, and the CSRF check.

Every request but the sign-in link's needs a live session (HttpOnly, SameSite=Strict, Secure
when the panel is served over HTTPS), whose person holds an office role (`PANEL_ROLES`, asked
again on every request); every POST carries the session's CSRF token. Without a session a
page answers 401 and says how to sign in; with a session that no longer reaches a commune, 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.panel.context import PANEL, STAFF_KEY, Panel, Staff, render_message
from handlers.i18n import N_
from storage.models import Person
from storage.people.panel_access import PANEL_ROLES, active_session
from storage.permissions import working_commune

COOKIE = "cutri_panel"
# Paths that need no session: the sign-in link itself, and the stylesheet.
OPEN_PREFIXES = ("/panel/sign-in/", "/panel/static/")
# A phone's photo is 2-4 MB; the form around it is small.
PANEL_UPLOAD_BYTES = 6 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def set_session_cookie(response: web.StreamResponse, panel: Panel, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=panel.session_hours * 3600, path="/panel",
                        httponly=True, samesite="Strict",
                        secure=panel.public_url.startswith("https://"))


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/panel")


@web.middleware
async def require_staff(request: web.Request, handler: Handler) -> web.StreamResponse:
    panel = request.app[PANEL]
    if request.path.startswith(OPEN_PREFIXES):
        return await handler(request)
    token = request.cookies.get(COOKIE, "")
    async with panel.db.transaction() as db:
        session = await active_session(db, token)
        commune_id = None
        if session is not None:
            person = await db.get(Person, session.person.id)
            commune_id = await working_commune(db, person, PANEL_ROLES)
    if session is None:
        return await render_message(request, N_("Please sign in"), N_(
            "Ask the bot for a sign-in link: in the chat, choose “🖥 Web panel on a "
            "computer”."), status=401)
    if commune_id is None:
        return await render_message(request, N_("Not allowed"),
                                    N_("The web panel is for the commune office."), status=403)
    staff = Staff(session.person.id, commune_id, session.csrf_token, token, session.locale)
    if request.method == "POST":
        # Only a signed-in office may send a large body (a photo for an announcement); the
        # rest of the server, webhooks included, keeps the small limit.
        request = request.clone(client_max_size=PANEL_UPLOAD_BYTES)
        form = await request.post()
        sent = str(form.get("csrf", ""))
        if not hmac.compare_digest(sent.encode(), staff.csrf_token.encode()):
            return await render_message(request, N_("Not allowed"), N_(
                "This form is out of date. Please open the page again."), status=403)
    request[STAFF_KEY] = staff
    return await handler(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pages hold personal data: no caching, no framing, no referrer, nothing from elsewhere."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error
    response.headers.setdefault("Cache-Control", "private, no-store")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self'; media-src 'self'; style-src 'self'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    if isinstance(response, web.HTTPException) and response.status >= 300:
        raise response
    return response
