"""Zalo Bot Platform through httpx: getUpdates polling or webhook, numbered choices, plain text.

Facts from `shared/zalo-bot-api.md`: one update per getUpdates and no offset, 408 when nothing
arrived, string ids, millisecond dates, an `ok` flag that must be read even on HTTP 200, the
bot's own messages echoed back, and text limited to 2000 characters.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import httpx
from aiohttp import web

from bot.files import file_url, load_file, with_file_link
from bot.render import ZALO_LIMIT, render_plain
from bot.waiting import sleep_or_stop, unless_stopped
from bot.webhook_auth import UnreadableBody, carries_secret, read_json_body
from handlers.conversation import ConversationRunner
from handlers.i18n import translator
from handlers.notices import render_payload
from handlers.values import Inbound, Kind
from scheduler.delivery import Delivery, Rejected, RetryLater, Sent
from storage.files import guess_mime

log = logging.getLogger(__name__)
CHANNEL = "zalo"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhook/zalo"
POLL_SECONDS = 30
# Plan files are small spreadsheets; anything far larger is not one.
MAX_DOWNLOAD = 10 * 1024 * 1024

EVENT_KINDS = {
    "message.text.received": Kind.TEXT,
    "message.image.received": Kind.PHOTO,
    "message.sticker.received": Kind.STICKER,
    "message.voice.received": Kind.VOICE,
    "message.unsupported.received": Kind.UNSUPPORTED,
}


class ZaloError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


def unwrap_update(body: Any) -> dict[str, Any] | None:
    """Real webhook traffic is flat; the docs show it wrapped in {"ok", "result"}: take both."""
    if not isinstance(body, dict):
        return None
    if "result" in body and isinstance(body["result"], dict):
        body = body["result"]
    return body if isinstance(body.get("message"), dict) else None


def update_to_inbound(update: dict[str, Any], bot_id: str | None) -> Inbound | None:
    message = update["message"]
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    user_id = str(sender.get("id") or chat.get("id") or "")
    message_id = message.get("message_id")
    if not user_id or not message_id or user_id == bot_id or sender.get("is_bot"):
        return None
    if str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE":
        return None
    kind = EVENT_KINDS.get(str(update.get("event_name", "")), Kind.UNSUPPORTED)
    base: dict[str, Any] = {"channel": CHANNEL, "user_id": user_id,
                            "update_id": str(message_id)[:64]}
    if kind is Kind.TEXT:
        text = str(message.get("text") or "")
        if text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            return Inbound(kind=Kind.COMMAND, command=head.lower(), text=rest.strip(), **base)
        return Inbound(kind=Kind.TEXT, text=text, **base)
    if kind is Kind.PHOTO:
        return Inbound(kind=kind, file_ref=message.get("photo_url"),
                       text=str(message.get("caption") or ""), **base)
    if kind is Kind.VOICE:
        return Inbound(kind=kind, file_ref=message.get("voice_url"), **base)
    return Inbound(kind=kind, **base)


class ZaloChannel:
    def __init__(
        self,
        token: str,
        runner: ConversationRunner,
        *,
        api_url: str,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        public_url: str = "http://127.0.0.1:8080",
    ) -> None:
        self.runner = runner
        self.public_url = public_url
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        # The token sits in the URL path: httpx's own request logging is kept quiet (bot.logs).
        self.client = httpx.AsyncClient(
            base_url=f"{api_url}/bot{token}/", timeout=httpx.Timeout(POLL_SECONDS + 15)
        )
        self.bot_id: str | None = None

    async def call(self, method: str, **params: Any) -> Any:
        try:
            response = await self.client.post(method, json=params)
        except httpx.HTTPError as error:
            raise ZaloError(0, type(error).__name__) from None
        try:
            body = response.json()
        except ValueError:
            raise ZaloError(response.status_code, "not JSON") from None
        if not isinstance(body, dict) or not body.get("ok"):
            code = body.get("error_code", response.status_code) if isinstance(body, dict) else 0
            description = body.get("description", "") if isinstance(body, dict) else ""
            raise ZaloError(int(code), str(description))
        return body.get("result")

    async def start(self) -> None:
        me = await self.call("getMe")
        self.bot_id = str(me.get("id")) if isinstance(me, dict) else None
        if self.webhook_url:
            await self.call("setWebhook", url=self.webhook_url + WEBHOOK_PATH,
                            secret_token=self.webhook_secret)
        else:
            await self.call("deleteWebhook")

    async def _is_personal(self, token: str) -> bool:
        loaded = await load_file(self.runner.db, token)
        return loaded is not None and loaded.personal

    async def download(self, url: str) -> bytes:
        """A file a user sent (Zalo hands out a URL), for the plan import."""
        response = await self.client.get(url)
        response.raise_for_status()
        if len(response.content) > MAX_DOWNLOAD:
            raise ValueError("file too large")
        return response.content

    async def close(self) -> None:
        await self.client.aclose()

    async def poll(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                result = await unless_stopped(stop, self.call("getUpdates", timeout=POLL_SECONDS))
                failures = 0
            except ZaloError as error:
                if error.code == 408:
                    continue
                failures += 1
                log.warning("getUpdates failed", extra={"error_code": error.code})
                await sleep_or_stop(stop, min(30.0, 2.0**failures))
                continue
            if stop.is_set():
                return
            await self.receive(result)

    async def receive(self, body: Any) -> None:
        update = unwrap_update(body)
        if update is None:
            return
        inbound = update_to_inbound(update, self.bot_id)
        if inbound is not None:
            # Recorded now, handled in the background: the next update is fetched meanwhile.
            await self.runner.accept([inbound])

    async def webhook(self, request: web.Request) -> web.Response:
        if not carries_secret(request, SECRET_HEADER, self.webhook_secret):
            return web.json_response({"ok": False}, status=401)
        raw = await request.read()
        if not raw.strip():
            return web.json_response({"ok": True})  # Zalo probes with an empty body
        try:
            body = await read_json_body(request)
        except UnreadableBody:
            return web.json_response({"ok": False}, status=400)
        await self.receive(body)
        return web.json_response({"ok": True})

    async def send(self, chat_id: str, payload: dict[str, Any]) -> Delivery:
        reply = render_payload(payload, payload.get("locale"))
        try:
            if (reply.file is not None and guess_mime(reply.file[1]).startswith("image/")
                    and not await self._is_personal(reply.file[0])):
                # A photo Zalo can show: it fetches it from our server by the file's link
                # (a personal file's link works once, for the person: it goes as a link).
                await self.call("sendPhoto", chat_id=chat_id,
                                photo=file_url(self.public_url, *reply.file))
                reply = replace(reply, file=None)
            calendar = translator(payload.get("locale"))._("📅 Add to calendar")
            reply = with_file_link(reply, self.public_url, calendar_label=calendar)
            for text in render_plain(reply, ZALO_LIMIT):
                await self.call("sendMessage", chat_id=chat_id, text=text)
        except ZaloError as error:
            if error.code == 400:
                return Rejected(error=f"{error.code}: {error.description}")
            # 403 is documented as Zalo's internal error, so it is retried like a 5xx; 429
            # carries no retry_after, so backoff decides.
            return RetryLater(error=f"{error.code}: {error.description}")
        return Sent()
