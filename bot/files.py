"""Generated files on the HTTP server: the download route, and links for channels without files.

Zalo's Bot API sends no documents, so a Zalo reply carries a link instead. The link holds the
file's random token (unguessable) and stops working when the file expires.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from aiohttp import web

from handlers.values import Reply
from storage.db import Database
from storage.files import file_by_token

FILES_PATH = "/files/{token}/{name}"


def file_url(public_url: str, token: str, name: str) -> str:
    return f"{public_url.rstrip('/')}/files/{token}/{quote(name)}"


def with_file_link(reply: Reply, public_url: str) -> Reply:
    """The reply with its file turned into a line of text: "📎 name: link"."""
    if reply.file is None:
        return reply
    token, name = reply.file
    line = f"📎 {name}: {file_url(public_url, token, name)}"
    return replace(reply, text=f"{reply.text}\n\n{line}" if reply.text else line, file=None)


async def load_file(db: Database, token: str) -> tuple[str, bytes] | None:
    async with db.transaction() as session:
        stored = await file_by_token(session, token)
        return (stored.name, stored.content) if stored is not None else None


def file_route(db: Database) -> web.RouteDef:
    async def download(request: web.Request) -> web.Response:
        async with db.transaction() as session:
            stored = await file_by_token(session, request.match_info["token"])
            if stored is None:
                raise web.HTTPNotFound(text="This link has expired or does not exist.")
            name, mime, content = stored.name, stored.mime, stored.content
        return web.Response(
            body=content,
            content_type=mime,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                     "Cache-Control": "private, no-store"},
        )

    return web.get(FILES_PATH, download)
