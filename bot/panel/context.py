"""What every panel page needs: the panel's settings, the reader's words, and rendering."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from bot.files import Fetchers
from handlers.dates import format_date, format_datetime
from handlers.i18n import translator
from storage.db import Database
from storage.messaging.quiet_hours import QuietHours


@dataclass
class Panel:
    db: Database
    public_url: str
    session_hours: int = 10
    locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    fetchers: Fetchers = field(default_factory=dict)
    # Wakes the outbox dispatcher after a change that queued messages (an answer).
    wake: Callable[[], None] = lambda: None
    # Reads a commune's name for the header; set by the app.
    commune_name: Callable[[int], Awaitable[str]] | None = None
    # When routine announcements composed in the panel may go out (QUIET_HOURS).
    quiet_hours: QuietHours = field(default_factory=QuietHours)


@dataclass(frozen=True)
class Staff:
    """The signed-in person, as a request's handler needs them."""

    person_id: int
    commune_id: int
    csrf_token: str
    session_token: str
    locale: str | None = None  # as chosen in the chat; else the panel's default


PANEL = web.AppKey("panel", Panel)
STAFF_KEY = web.RequestKey("staff", Staff)


def staff_of(request: web.Request) -> Staff:
    return request[STAFF_KEY]


def page_context(request: web.Request, **values: Any) -> dict[str, Any]:
    panel = request.app[PANEL]
    staff = request.get(STAFF_KEY)
    t = translator(staff.locale if staff is not None and staff.locale else panel.locale)

    def when(moment: datetime | None) -> str:
        return format_datetime(moment, panel.timezone) if moment is not None else ""

    def day(value: date | None) -> str:
        return format_date(value) if value is not None else ""

    def local_day(moment: datetime) -> str:
        return format_date(moment.astimezone(ZoneInfo(panel.timezone)).date())

    return {"_": t._, "locale": t.locale, "when": when, "day": day, "local_day": local_day,
            "staff": staff, "csrf": getattr(staff, "csrf_token", ""), **values}


async def render(request: web.Request, template: str, status: int = 200,
                 **values: Any) -> web.Response:
    return aiohttp_jinja2.render_template(template, request, page_context(request, **values),
                                          status=status)


async def render_message(request: web.Request, title: str, text: str, *, status: int = 200,
                         form: str | None = None, button: str | None = None) -> web.Response:
    """A page of one message (`title` and `text` are catalog ids), with one button or none."""
    return await render(request, "message.html", status=status, title=title, text=text,
                        form=form, button=button)
