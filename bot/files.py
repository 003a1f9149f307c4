"""Generated files on the HTTP server: the download route, and links for channels without files.

Zalo's Bot API sends no documents, so a Zalo reply carries a link instead. The link holds the
file's random token (unguessable) and stops working when the file expires. A file holding
personal data (lists with household categories, reports with names, a data export) has a link
that works once, within `PERSONAL_FILE_MINUTES`; after that it answers 410 Gone. Opening it
shows a "Download" button first, so a chat app's link preview does not use it up.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web

from handlers.i18n import LOCALES, translator
from handlers.values import Reply
from storage.db import Database
from storage.files import LinkGone, download_by_link, file_by_token

FILES_PATH = "/files/{token}/{name}"


def file_url(public_url: str, token: str, name: str) -> str:
    return f"{public_url.rstrip('/')}/files/{token}/{quote(name)}"


def with_file_link(reply: Reply, public_url: str, *, calendar_label: str | None = None
                   ) -> Reply:
    """The reply with its file turned into a line of text: "📎 name: link".

    A calendar file reads as what it does ("📅 Add to calendar: link"): its name means nothing
    to a villager, and the phone adds the event when the link is opened.
    """
    if reply.file is None:
        return reply
    token, name = reply.file
    label = calendar_label if calendar_label and name.endswith(".ics") else f"📎 {name}"
    line = f"{label}: {file_url(public_url, token, name)}"
    return replace(reply, text=f"{reply.text}\n\n{line}" if reply.text else line, file=None)


@dataclass(frozen=True)
class FileToSend:
    name: str
    mime: str
    content: bytes | None
    # Where a file we did not copy lives: "telegram:<file_id>", "zalo:<url>".
    source: str | None
    personal: bool = False


# Fetches a platform's file by its id there: "telegram" -> the Telegram adapter's download.
Fetchers = dict[str, Callable[[str], Awaitable[bytes]]]


async def load_file(db: Database, token: str) -> FileToSend | None:
    async with db.transaction() as session:
        stored = await file_by_token(session, token)
        if stored is None:
            return None
        return FileToSend(stored.name, stored.mime, stored.content, stored.source,
                          stored.personal)


PERSONAL_LINK = timedelta(minutes=15)

# A chat app that previews links fetches them with GET, which would spend a single-use link
# before the person taps it. So GET on a personal file's link answers this page, and only the
# button's POST hands the file over and spends the link.
CONFIRM_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{name}</title></head>
<body style="font-family: sans-serif; max-width: 30em; margin: 2em auto; padding: 0 1em">
<p>{name}</p>
<p>{notice}</p>
<form method="post"><button type="submit" style="font-size: 1.3em; padding: 0.5em 1.5em">
{button}</button></form>
</body></html>
"""


async def take_download(
    db: Database, token: str, personal_link: timedelta, *, spend: bool
) -> FileToSend | LinkGone | None:
    """The file behind a link; with `spend`, a personal file's link is used up by this call."""
    async with db.transaction() as session:
        stored = await download_by_link(session, token, personal_link=personal_link,
                                        spend=spend)
        if stored is None or isinstance(stored, LinkGone):
            return stored
        return FileToSend(stored.name, stored.mime, stored.content, stored.source, stored.personal)


def file_route(
    db: Database, fetchers: Fetchers | None = None, *, personal_link: timedelta = PERSONAL_LINK
) -> web.RouteDef:
    async def download(request: web.Request) -> web.Response:
        if request.method not in ("GET", "HEAD", "POST"):
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "POST"])
        spend = request.method == "POST"
        found = await take_download(db, request.match_info["token"], personal_link,
                                    spend=spend)
        # The page is seen by whoever opens the link, before any account: the default language.
        t = translator(LOCALES[0])
        if isinstance(found, LinkGone):
            # Personal data: the link worked once, for minutes. The office asks again.
            raise web.HTTPGone(text=t._("This link has already been used or has expired."))
        if found is None:
            raise web.HTTPNotFound(text=t._("This link has expired or does not exist."))
        if found.personal and not spend:
            page = CONFIRM_PAGE.format(
                name=html.escape(found.name),
                notice=html.escape(t._(
                    "This file holds personal data: it downloads once, within minutes.")),
                button=html.escape(t._("Download")),
            )
            return web.Response(text=page,
                                content_type="text/html",
                                headers={"Cache-Control": "private, no-store"})
        content = found.content
        if content is None:
            platform, _, ref = (found.source or "").partition(":")
            if platform == "zalo" and ref.startswith("https://"):
                raise web.HTTPFound(ref)  # Zalo's own file link
            fetch = (fetchers or {}).get(platform)
            if fetch is None:
                raise web.HTTPNotFound(text="This file cannot be fetched now.")
            content = await fetch(ref)
        name, mime = found.name, found.mime
        return web.Response(
            body=content,
            content_type=mime,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                     "Cache-Control": "private, no-store"},
        )

    return web.route("*", FILES_PATH, download)
