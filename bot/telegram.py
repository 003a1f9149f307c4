"""Telegram: receive (polling or webhook), normalise to `Inbound`, and send.

Updates are read as the JSON they arrive as and replies posted as the JSON `bot.render` made
(`bot.telegram_api` says why no typed client sits in between). Conversation state lives in
cutri's own tables, the same for every channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

from bot.files import load_file, with_file_link
from bot.render import render_telegram
from bot.telegram_api import TelegramApi, TelegramError, TelegramUnreachable
from bot.waiting import sleep_or_stop, unless_stopped
from bot.webhook_auth import UnreadableBody, carries_secret, read_json_body
from handlers.conversation import ConversationRunner
from handlers.i18n import LOCALES, translator
from handlers.notices import render_payload
from handlers.registry import MENU_COMMANDS
from handlers.values import Inbound, Kind
from scheduler.delivery import Delivery, Rejected, RetryLater, Sent, Unreachable

log = logging.getLogger(__name__)
CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhook/telegram"
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_SECONDS = 25
Json = dict[str, Any]


class UnreadableUpdate(ValueError):
    """An update whose shape is not the Bot API's (a forged webhook body, a broken proxy)."""


def message_to_inbound(message: Json, update_id: str) -> Inbound | None:
    sender = _object(message.get("from"))
    chat = _object(message.get("chat"))
    if not sender or sender.get("is_bot") or chat.get("type") != "private":
        return None
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "user_id": str(_integer(sender.get("id"))),
        "update_id": update_id,
        "language_code": _text(sender.get("language_code")),
    }
    text = _text(message.get("text"))
    if text is not None:
        if text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            return Inbound(kind=Kind.COMMAND, command=name, text=rest.strip(), **base)
        return Inbound(kind=Kind.TEXT, text=text, **base)
    contact = _object(message.get("contact"))
    if contact:
        return Inbound(
            kind=Kind.CONTACT,
            phone=str(contact.get("phone_number") or ""),
            phone_verified=contact.get("user_id") == sender.get("id"),
            **base,
        )
    location = _object(message.get("location"))
    if location:
        return Inbound(
            kind=Kind.LOCATION,
            latitude=_number(location.get("latitude")),
            longitude=_number(location.get("longitude")),
            **base,
        )
    caption = _text(message.get("caption")) or ""
    photos = message.get("photo")
    if isinstance(photos, list) and photos:
        return Inbound(kind=Kind.PHOTO, file_ref=_file_id(photos[-1]), text=caption, **base)
    document = _object(message.get("document"))
    if document:
        return Inbound(kind=Kind.FILE, file_ref=_file_id(document), text=caption,
                       file_name=_text(document.get("file_name")), **base)
    voice = next((_object(message.get(key)) for key in ("voice", "audio", "video_note")
                  if message.get(key)), None)
    if voice:
        return Inbound(kind=Kind.VOICE, file_ref=_file_id(voice), text=caption, **base)
    if message.get("sticker"):
        return Inbound(kind=Kind.STICKER, **base)
    return Inbound(kind=Kind.UNSUPPORTED, **base)


def update_to_inbound(update: Json) -> Inbound | None:
    """What a person sent, or None for what the bot ignores (groups, other bots, edits).

    Raises `UnreadableUpdate` when the update is not shaped like one.
    """
    try:
        update_id = str(_integer(update.get("update_id")))
        message = update.get("message")
        if message is not None:
            return message_to_inbound(_object(message, required=True), update_id)
        query = _object(update.get("callback_query"))
        sender = _object(query.get("from"))
        if query and sender and not sender.get("is_bot"):
            data = _text(query.get("data"))
            return Inbound(
                channel=CHANNEL,
                user_id=str(_integer(sender.get("id"))),
                update_id=update_id,
                kind=Kind.CHOICE if data else Kind.UNSUPPORTED,
                choice=data,
                language_code=_text(sender.get("language_code")),
            )
        return None
    except (TypeError, ValueError, AttributeError) as error:
        raise UnreadableUpdate(str(error)) from error


def _object(value: Any, *, required: bool = False) -> Json:
    if isinstance(value, dict):
        return value
    if value is None and not required:
        return {}
    raise UnreadableUpdate("not an object")


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnreadableUpdate("not an integer")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnreadableUpdate("not a number")
    return float(value)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise UnreadableUpdate("not a string")


def _file_id(value: Any) -> str:
    file_id = _object(value, required=True).get("file_id")
    if not isinstance(file_id, str) or not file_id:
        raise UnreadableUpdate("no file id")
    return file_id


class TelegramChannel:
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
        self.api = TelegramApi(token, api_url)
        self.public_url = public_url
        self.runner = runner
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.username: str | None = None
        self._background: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        me = await self.api.call("getMe")
        self.username = me.get("username") if isinstance(me, dict) else None
        await self.set_commands()
        if self.webhook_url:
            await self.api.call("setWebhook", {
                "url": self.webhook_url + WEBHOOK_PATH,
                "secret_token": self.webhook_secret,
                "allowed_updates": ALLOWED_UPDATES,
            })
        else:
            await self.api.call("deleteWebhook")

    async def set_commands(self) -> None:
        for locale in LOCALES:
            await self.api.call("setMyCommands", {
                "commands": _commands(locale), "language_code": locale})
        await self.api.call("setMyCommands", {
            "commands": _commands(LOCALES[0]), "scope": {"type": "default"}})

    async def close(self) -> None:
        if self._background:
            await asyncio.wait(self._background, timeout=2.0)
        await self.api.close()

    async def poll(self, stop: asyncio.Event) -> None:
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            try:
                updates = await unless_stopped(stop, self.api.call(
                    "getUpdates",
                    {"offset": offset, "timeout": POLL_SECONDS,
                     "allowed_updates": ALLOWED_UPDATES},
                    seconds=POLL_SECONDS + 15,
                ))
                failures = 0
            except (TelegramError, TelegramUnreachable) as error:
                failures += 1
                log.warning("getUpdates failed", extra={"error": type(error).__name__})
                await sleep_or_stop(stop, min(30.0, 2.0**failures))
                continue
            if updates is None:
                return
            if not isinstance(updates, list):
                updates = []
            # Recorded, then fetched past: the batch is handled while the next one arrives.
            await self.receive(updates)
            ids = [update.get("update_id") for update in updates if isinstance(update, dict)]
            numbered = [number for number in ids if isinstance(number, int)]
            if numbered:
                offset = max(numbered) + 1

    async def receive(self, updates: list[Any]) -> None:
        """Record a batch of updates; they are handled in the background, in order per person.

        Nothing waits on the network before the batch is recorded and queued: answering a
        button press comes after, so a text sent right after the press cannot overtake it.
        """
        inbounds: list[Inbound] = []
        queries: list[str] = []
        for update in updates:
            try:
                inbound = update_to_inbound(_object(update, required=True))
            except UnreadableUpdate:
                # Telegram would redeliver a refused update forever: it is dropped, once.
                log.warning("unreadable update dropped", extra={"channel": CHANNEL})
                continue
            if inbound is not None:
                inbounds.append(inbound)
            query = update.get("callback_query")
            if isinstance(query, dict) and isinstance(query.get("id"), str):
                queries.append(query["id"])
        await self.runner.accept(inbounds)
        for query_id in queries:
            self._in_background(self._answer_callback(query_id))

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)  # held, or the loop may collect it half-way
        task.add_done_callback(self._background.discard)

    async def _answer_callback(self, query_id: str) -> None:
        """Stops the button's spinner; an acknowledgement, not a message to the person."""
        try:
            await self.api.call("answerCallbackQuery", {"callback_query_id": query_id})
        except (TelegramError, TelegramUnreachable):
            log.info("callback answer failed")

    async def webhook(self, request: web.Request) -> web.Response:
        if not carries_secret(request, SECRET_HEADER, self.webhook_secret):
            return web.json_response({"ok": False}, status=401)
        try:
            body = await read_json_body(request)
        except UnreadableBody:
            return web.json_response({"ok": False}, status=400)
        await self.receive([body])
        return web.json_response({"ok": True})

    async def send(self, chat_id: str, payload: dict[str, Any]) -> Delivery:
        reply = render_payload(payload, payload.get("locale"))
        try:
            if reply.file is not None and not await self._send_file(int(chat_id), *reply.file):
                reply = with_file_link(reply, self.public_url)
            for message in render_telegram(reply):
                await self.api.call("sendMessage", {
                    "chat_id": int(chat_id),
                    "text": message.html,
                    "parse_mode": "HTML",
                    "reply_markup": message.markup,
                })
        except TelegramUnreachable as error:
            return RetryLater(error=str(error))
        except TelegramError as error:
            return delivery_of(error)
        return Sent()

    async def _send_file(self, chat_id: int, token: str, name: str) -> bool:
        """Send the file itself; False when Telegram cannot take it (then the text links it)."""
        loaded = await load_file(self.runner.db, token)
        if loaded is None:
            # Expired before it could leave: the text still goes, and says what it was.
            log.warning("file expired before sending", extra={"channel": CHANNEL})
            return True
        source = loaded.source or ""
        if loaded.mime.startswith("image/"):
            method, field = "sendPhoto", "photo"
        elif loaded.mime.startswith("audio/") and source.startswith("telegram:"):
            method, field = "sendVoice", "voice"
        else:
            method, field = "sendDocument", "document"
        if loaded.content is not None:
            await self.api.upload(method, {"chat_id": chat_id}, field, loaded.content,
                                  loaded.name)
            return True
        if source.startswith("telegram:"):
            reference = source.removeprefix("telegram:")  # re-sent by its id
        elif loaded.mime.startswith("image/"):
            reference = source.partition(":")[2]  # a photo's URL Telegram fetches itself
        else:
            # By URL Telegram takes only photos, PDF and ZIP: a Zalo voice note goes as our
            # link, which fetches it when opened.
            return False
        await self.api.call(method, {"chat_id": chat_id, field: reference})
        return True

    async def download(self, file_id: str) -> bytes:
        """A user's file from Telegram (up to the Bot API's 20 MB), for channels without files."""
        described = await self.api.call("getFile", {"file_id": file_id})
        path = described.get("file_path") if isinstance(described, dict) else None
        if not isinstance(path, str):
            raise ValueError("Telegram gave no file path")
        return await self.api.download(path)


def delivery_of(error: TelegramError) -> Delivery:
    """What a refused send means for the outbox: wait, give up on the chat, or on the message."""
    if error.code == 429:
        return RetryLater(error="429", after_seconds=error.retry_after or 1.0)
    if error.code == 403:
        return Unreachable(error=error.description)
    if error.code == 400 and "chat not found" in error.description.lower():
        return Unreachable(error=error.description)
    if error.code >= 500:
        return RetryLater(error=f"HTTP {error.code}")
    return Rejected(error=error.description)


def _commands(locale: str) -> list[dict[str, str]]:
    t = translator(locale)
    return [{"command": name, "description": t._(text)} for name, text in MENU_COMMANDS]
