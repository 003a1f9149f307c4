"""A chat that needs no token: a page on the local HTTP server, using the same handlers.

Messages to the page go through the outbox like any other channel; this channel's "platform"
is an in-memory mailbox per browser the page polls. It is for trying cutri on one machine and
is only switched on when `LOCAL_CHAT` is on (by default: when no platform token is set).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.files import with_file_link
from bot.render import render_plain
from handlers.conversation import ConversationRunner
from handlers.notices import render_payload
from handlers.values import Inbound, Kind
from scheduler.delivery import Delivery, Sent

CHANNEL = "local"
PAGE = Path(__file__).parent / "static" / "chat.html"
USER_ID = re.compile(r"^[A-Za-z0-9-]{8,40}$")
MAX_TEXT = 10_000


class LocalChat:
    def __init__(self, runner: ConversationRunner, *,
                 public_url: str = "http://127.0.0.1:8080") -> None:
        self.public_url = public_url
        self.runner = runner
        self.mailboxes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.arrived = asyncio.Condition()
        self._sequence = itertools.count(1)

    async def send(self, chat_id: str, payload: dict[str, Any]) -> Delivery:
        reply = with_file_link(render_payload(payload, payload.get("locale")), self.public_url)
        async with self.arrived:
            self.mailboxes[chat_id].append(
                {
                    "seq": next(self._sequence),
                    "title": reply.title,
                    "text": reply.text,
                    "choices": [[c.action, c.label] for c in reply.choices],
                    "plain": "\n\n".join(render_plain(reply)),
                }
            )
            self.arrived.notify_all()
        return Sent()

    async def say(self, user_id: str, text: str = "", choice: str | None = None) -> None:
        if choice:
            inbound = Inbound(channel=CHANNEL, user_id=user_id, update_id=uuid.uuid4().hex,
                              kind=Kind.CHOICE, choice=choice[:64])
        elif text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            inbound = Inbound(channel=CHANNEL, user_id=user_id, update_id=uuid.uuid4().hex,
                              kind=Kind.COMMAND, command=head.lower(), text=rest.strip())
        else:
            inbound = Inbound(channel=CHANNEL, user_id=user_id, update_id=uuid.uuid4().hex,
                              kind=Kind.TEXT, text=text[:MAX_TEXT])
        # Recorded, then handled in the background; the page polls for the replies.
        await self.runner.accept([inbound])

    async def wait_messages(
        self, user_id: str, after: int, wait_seconds: float
    ) -> list[dict[str, Any]]:
        def newer() -> list[dict[str, Any]]:
            return [m for m in self.mailboxes.get(user_id, []) if m["seq"] > after]

        async with self.arrived:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait_for(lambda: bool(newer())), wait_seconds)
            return newer()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self.page),
            web.post("/chat/send", self.receive),
            web.get("/chat/messages", self.messages),
        ]

    async def page(self, _request: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text("utf-8"), content_type="text/html")

    async def receive(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"ok": False}, status=400)
        user = str(body.get("user", ""))
        if not USER_ID.match(user):
            return web.json_response({"ok": False}, status=400)
        await self.say(user, str(body.get("text", "")), body.get("choice"))
        return web.json_response({"ok": True})

    async def messages(self, request: web.Request) -> web.Response:
        user = request.query.get("user", "")
        if not USER_ID.match(user):
            return web.json_response({"ok": False}, status=400)
        after = int(request.query.get("after", "0") or 0)
        found = await self.wait_messages(user, after, wait_seconds=20)
        return web.json_response({"ok": True, "messages": found})
