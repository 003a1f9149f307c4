"""A fake Telegram Bot API server on loopback, for tests that run the real bot against it.

:class:`FakeTelegram` serves ``/bot<token>/<method>`` like ``api.telegram.org`` does, so an
aiogram ``Bot`` whose session points at ``fake.base_url`` runs unchanged. Tests play the users
(``fake.text(...)``, ``fake.press(...)``, ...) and then inspect what the bot did
(``fake.calls``, ``fake.sent``, ``fake.texts_for(...)``).

The point of the fake is to fail where Telegram would: every call is checked against the
official schema (``tests/data/telegram-bot-api.json``) and the documented limits, texts are
run through Telegram's HTML/Markdown parsers, and errors use the real envelopes and
descriptions. Refused calls are also listed in ``fake.violations`` - tests assert it is empty.
Validation and text parsing live in ``tests.fakes.telegram_schema``.

Broadcast-scale helpers: ``remember_chats(ids)`` lets the bot write to thousands of chats without
queueing an update for each, ``fail_for(method, status, seconds)`` simulates an outage, and
``stats()`` sums up the sends. ``stats`` and ``remember_chats`` are also served over HTTP
(``GET /_fake/stats``, ``POST /_fake/chats``) for a fake running in another process than the
test or benchmark that drives it.

Known simplifications: only private chats are simulated (chat id == user id); when a webhook
is set, updates are not pushed automatically - call ``await fake.deliver(update)``; webhook URLs
may use plain ``http`` on loopback (the real server demands HTTPS).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import math
import mimetypes
import re
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import islice, pairwise
from types import EllipsisType, TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.fakes.telegram_schema import (
    BadRequest,
    FormattedContent,
    TypeSpec,
    UploadedFile,
    check_method_rules,
    load_schema,
    utf16_len,
)

Json = dict[str, Any]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLLING_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_DEFAULT_ERRORS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: BLOCKED,
    404: "Not Found",
    409: POLLING_CONFLICT,
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# Without allowed_updates the real server withholds these three kinds.
_NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_MEDIA_FIELDS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendAudio": "audio",
    "sendVoice": "voice",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendVideoNote": "video_note",
    "sendSticker": "sticker",
}
_CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "audio",
    "voice",
    "video",
    "animation",
    "video_note",
    "sticker",
    "location",
    "venue",
    "contact",
    "dice",
    "poll",
)
# The real server tolerates short bursts to one chat before answering 429.
_CHAT_BURST = 3.0


class ApiError(Exception):
    """An error answer: HTTP status, Telegram description and optional ``parameters``."""

    def __init__(self, status: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass(slots=True)
class _Call:
    name: str
    spec: TypeSpec
    params: Json
    content: FormattedContent
    files: Mapping[str, UploadedFile]
    description: str | None = None


@dataclass(slots=True)
class _Failure:
    status: int
    times: int
    retry_after: int | None
    description: str | None


@dataclass(slots=True)
class _Outage:
    status: int
    until: float
    retry_after: int | None
    description: str | None


class _TokenBucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


def _is_send(name: str) -> bool:
    """Methods that post or change a message: rate-limited, refused to blocked users."""
    lower = name.lower()
    if lower.startswith("send"):
        return lower != "sendchataction"
    return lower.startswith(("copymessage", "forwardmessage", "editmessage"))


def _as_form_value(value: Any) -> str:
    # The real server flattens a JSON body to the same strings a form would carry.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _update_kind(update: Json) -> str:
    return next((key for key in update if key != "update_id"), "")


def _without_edit_date(message: Json) -> Json:
    return {key: value for key, value in message.items() if key != "edit_date"}


class FakeTelegram:
    """The fake server plus the simulated users and the record of what the bot did.

    Records, all appended in arrival order:

    * ``calls`` - every request: ``{"method", "params", "status", "time"}`` plus
      ``"description"`` for errors; ``method`` is the canonical name, ``params`` decoded
      (uploads as :class:`UploadedFile`), ``time`` from the fake's ``clock``.
    * ``sent`` - every successful send*/copy*/forward*/edit* call: ``{"method", "chat_id",
      "params", "message"}``; a sendMediaGroup adds one entry per message of the album.
    * ``violations`` - one line per request refused for schema, limit or formatting reasons.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        rate_limits: bool = False,
        global_rate: float = 30.0,
        per_chat_rate: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        # Rate limits, retry windows, outages and call times read this clock; a test that
        # passes a ManualClock (tests/fakes/clock.py) moves time itself instead of sleeping.
        self.clock = clock
        self.base_url = ""
        self.bot_user: Json = {
            "id": 990000001,
            "is_bot": True,
            "first_name": "Cutri",
            "username": "cutri_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.rate_limits = rate_limits
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        # Requests already in flight when a 429 is issued cannot have seen it; such sends are
        # still refused but not counted in retry_window_violations.
        self.retry_grace = 0.05

        self.calls: list[Json] = []
        self.sent: list[Json] = []
        self.downloads: list[str] = []
        self._contents: dict[str, bytes] = {}
        self.violations: list[str] = []
        self.answered_callbacks: list[Json] = []
        self.commands: dict[tuple[str, str], list[Json]] = {}
        self.webhook: Json | None = None
        self.retry_window_violations = 0
        self.rate_limited_count = 0

        self._schema = load_schema()
        self._last_update_id = 100_000_000
        self._queue: deque[Json] = deque()
        self._allowed_updates = frozenset(self._schema.update_types) - _NOT_DELIVERED_BY_DEFAULT
        self._poll_waiter: asyncio.Future[str] | None = None
        self._stopping = False
        self._chats: dict[int, Json] = {}
        self._users: dict[int, Json] = {}
        self._last_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], Json] = {}
        self._by_chat: dict[int, list[Json]] = defaultdict(list)
        self._keyboard_message: dict[int, int] = {}
        self._pending_callbacks: set[str] = set()
        self._serial = 0
        self._waiters: dict[int, list[tuple[int, asyncio.Future[None]]]] = defaultdict(list)
        self._succeeded: dict[str, int] = {}
        self._call_waiters: dict[str, list[tuple[int, asyncio.Future[None]]]] = defaultdict(list)
        self._failures: dict[str, deque[_Failure]] = {}
        self._outages: dict[str, _Outage] = {}
        self._gates: dict[str, asyncio.Event] = {}
        self._held_arrived: dict[str, asyncio.Event] = {}
        self._first_send: float | None = None
        self._last_send: float | None = None
        self._blocked: set[int] = set()
        self._chat_buckets: dict[int | str, _TokenBucket] = {}
        self._global_bucket: _TokenBucket | None = None
        self._retry_until: dict[tuple[str, Any], tuple[float, float]] = {}
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._handlers: dict[str, Callable[[_Call], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageText": self._edit_message,
            "editMessageCaption": self._edit_message,
            "editMessageReplyMarkup": self._edit_message,
            "deleteMessage": self._delete_message,
            "copyMessage": self._copy_message,
            "forwardMessage": self._copy_message,
            "sendMediaGroup": self._send_media_group,
            "getChat": self._get_chat,
            "getFile": self._get_file,
        }

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_download)
        # Control routes for a fake in another process (benchmarks); not part of the Bot API.
        app.router.add_get("/_fake/stats", self._handle_stats)
        app.router.add_post("/_fake/chats", self._handle_remember_chats)
        app.router.add_route("*", "/{tail:.*}", self._handle_unrouted)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._global_bucket = _TokenBucket(
            self.global_rate, max(1.0, self.global_rate), self.clock()
        )

    async def stop(self) -> None:
        self._stopping = True
        self._wake_poller("stop")
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- simulated users -----------------------------------------------------------------

    def text(
        self, user_id: int, text: str, *, language_code: str = "vi", first_name: str = "An"
    ) -> Json:
        """The user types ``text``; commands get ``bot_command`` entities like on Telegram."""
        self._remember_user(user_id, first_name=first_name, language_code=language_code)
        content: Json = {"text": text}
        entities = [
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
            for match in _COMMAND_RE.finditer(text)
        ]
        if entities:
            content["entities"] = entities
        return self._user_message(user_id, content)

    def press(self, user_id: int, data: str, *, message_id: int | None = None) -> Json:
        """The user taps the inline button with ``callback_data == data``.

        Only buttons that exist can be pressed: by default on the last message the bot sent
        this chat with an inline keyboard, in its current (possibly edited) state.
        """
        if message_id is None:
            message_id = self._keyboard_message.get(user_id)
            if message_id is None:
                raise ValueError(f"press(): the bot never sent chat {user_id} an inline keyboard")
        message = self._messages.get((user_id, message_id))
        if message is None:
            raise ValueError(f"press(): chat {user_id} has no message {message_id}")
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        available = [button.get("callback_data") for row in rows for button in row]
        if data not in available:
            raise ValueError(
                f"press(): message {message_id} in chat {user_id} has no button with "
                f"callback_data {data!r}; its buttons carry {available!r}"
            )
        query_id = str(4_000_000_000_000_000_000 + self._next_serial())
        self._pending_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": dict(self._remember_user(user_id)),
            "message": message,
            "chat_instance": str(-(user_id * 7919 + 17)),
            "data": data,
        }
        return self._emit({"callback_query": query})

    def share_contact(
        self,
        user_id: int,
        phone: str,
        *,
        contact_user_id: int | None = None,
        first_name: str = "An",
    ) -> Json:
        """The user shares a contact; by default their own (the request_contact button)."""
        contact = {
            "phone_number": phone,
            "first_name": first_name,
            "user_id": user_id if contact_user_id is None else contact_user_id,
        }
        return self._user_message(user_id, {"contact": contact})

    def send_location(self, user_id: int, latitude: float, longitude: float) -> Json:
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(user_id, {"location": location})

    def send_photo(self, user_id: int, caption: str | None = None,
                   image: bytes | None = None) -> Json:
        """The user sends a photo; `image` is what downloading its largest size then serves."""
        content: Json = {"photo": self._photo_sizes(None)}
        if caption is not None:
            content["caption"] = caption
        if image is not None:
            self._contents[content["photo"][-1]["file_id"]] = image
        return self._user_message(user_id, content)

    def send_document(self, user_id: int, file_name: str = "don.pdf",
                      content: bytes | None = None) -> Json:
        """The user sends a file; `content` is what downloading it (getFile) then serves."""
        mime = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        size = len(content) if content is not None else 48_213
        document = self._file(None, file_name=file_name, mime_type=mime, file_size=size)
        if content is not None:
            self._contents[document["file_id"]] = content
        return self._user_message(user_id, {"document": document})

    def send_voice(self, user_id: int) -> Json:
        voice = self._file(None, duration=3, mime_type="audio/ogg", file_size=7_342)
        return self._user_message(user_id, {"voice": voice})

    def send_sticker(self, user_id: int) -> Json:
        sticker = self._file(
            None,
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
            emoji="👍",
            set_name="HotCherry",
            file_size=24_118,
        )
        return self._user_message(user_id, {"sticker": sticker})

    def raw(self, update: Json) -> Json:
        """Any update dict; gets an ``update_id`` if it has none and is queued like the rest."""
        if "update_id" in update:
            self._last_update_id = max(self._last_update_id, int(update["update_id"]))
            self._register(update)
            if self.webhook is None:
                self._enqueue(update)
            return update
        return self._emit(update)

    async def deliver(
        self,
        update: Json,
        *,
        secret: str | EllipsisType | None = ...,
        url: str | None = None,
    ) -> tuple[int, str]:
        """POST ``update`` to the webhook as Telegram does; return (status, body).

        The secret header carries the ``secret_token`` given to setWebhook unless ``secret``
        overrides it (``None`` sends no header). A 200 answer whose body is a method call
        (aiogram's webhook reply) is executed like Telegram executes it.
        """
        target = url or (self.webhook or {}).get("url")
        if not target:
            raise AssertionError("deliver(): the bot has not set a webhook and no url was given")
        if "update_id" not in update:
            self._last_update_id += 1
            update["update_id"] = self._last_update_id
        self._register(update)
        token = (self.webhook or {}).get("secret_token") if secret is ... else secret
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers[SECRET_HEADER] = token
        if self._client is None:
            self._client = aiohttp.ClientSession()
        body_out = json.dumps(update, ensure_ascii=False).encode()
        async with self._client.post(target, data=body_out, headers=headers) as response:
            body = await response.read()
            status = response.status
            content_type = response.headers.get("Content-Type", "")
        if status == 200:
            await self._run_webhook_reply(content_type, body)
        return status, body.decode("utf-8", "replace")

    # -- what the bot did ------------------------------------------------------------------

    def messages_for(self, chat_id: int) -> list[Json]:
        """Messages the bot sent to ``chat_id``, in order, as they were when sent."""
        return list(self._by_chat.get(chat_id, ()))

    def texts_for(self, chat_id: int) -> list[str]:
        """Plain text (or caption; "" for neither) of each message in ``messages_for``."""
        return [str(m.get("text", m.get("caption", ""))) for m in self._by_chat.get(chat_id, ())]

    def current_message(self, chat_id: int, message_id: int) -> Json | None:
        """A message as it is now, after edits; None once deleted."""
        return self._messages.get((chat_id, message_id))

    def failed_calls(self) -> list[Json]:
        return [call for call in self.calls if call["status"] != 200]

    def wait_for(self, chat_id: int, count: int, timeout: float = 15.0) -> Awaitable[list[Json]]:
        """Wait until the bot has sent ``chat_id`` at least ``count`` messages.

        Raises AssertionError listing what did arrive. A plain method returning the coroutine
        so the public signature keeps its ``timeout`` argument.
        """
        return self._wait_for(chat_id, count, seconds=timeout)

    async def _wait_for(self, chat_id: int, count: int, *, seconds: float) -> list[Json]:
        if len(self._by_chat.get(chat_id, ())) < count:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            entry = (count, waiter)
            self._waiters[chat_id].append(entry)
            try:
                async with asyncio.timeout(seconds):
                    await waiter
            except TimeoutError:
                raise AssertionError(
                    f"chat {chat_id}: expected {count} message(s) within {seconds}s, got "
                    f"{self.texts_for(chat_id)!r}; failed calls: {self.failed_calls()[-5:]!r}"
                ) from None
            finally:
                if entry in self._waiters[chat_id]:
                    self._waiters[chat_id].remove(entry)
        return self.messages_for(chat_id)

    def wait_for_call(
        self, method: str, count: int = 1, timeout: float = 15.0
    ) -> Awaitable[list[Json]]:
        """Wait until ``method`` has succeeded ``count`` times; returns those calls."""
        spec = self._schema.find_method(method)
        if spec is None:
            raise ValueError(f"wait_for_call(): {method!r} is not a Bot API method")
        return self._wait_for_call(spec.name, count, seconds=timeout)

    async def _wait_for_call(self, method: str, count: int, *, seconds: float) -> list[Json]:
        if self._succeeded.get(method, 0) < count:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            entry = (count, waiter)
            self._call_waiters[method].append(entry)
            try:
                async with asyncio.timeout(seconds):
                    await waiter
            except TimeoutError:
                raise AssertionError(
                    f"expected {count} successful {method} call(s) within {seconds}s, got "
                    f"{self._succeeded.get(method, 0)}; failed calls: {self.failed_calls()[-5:]!r}"
                ) from None
            finally:
                if entry in self._call_waiters[method]:
                    self._call_waiters[method].remove(entry)
        return [c for c in self.calls if c["method"] == method and c["status"] == 200]

    # -- failure injection ---------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` valid calls of ``method`` with an error."""
        spec = self._schema.find_method(method)
        if spec is None:
            raise ValueError(f"fail_next(): {method!r} is not a Bot API method")
        failure = _Failure(status, times, retry_after, description)
        self._failures.setdefault(spec.name, deque()).append(failure)

    def fail_for(
        self,
        method: str,
        status: int,
        seconds: float,
        *,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """An outage: every valid call of ``method`` answers ``status`` for ``seconds``.

        Unlike ``fail_next`` it does not depend on how often the bot calls, which is what a
        test of retry behaviour needs. A 429 opens the usual retry window (``retry_after``,
        by default the time left), so sends inside it count as violations.
        """
        spec = self._schema.find_method(method)
        if spec is None:
            raise ValueError(f"fail_for(): {method!r} is not a Bot API method")
        until = self.clock() + seconds
        self._outages[spec.name] = _Outage(status, until, retry_after, description)

    def hold(self, method: str) -> asyncio.Event:
        """Calls of ``method`` wait (answered late, as on a slow network) until the event is set.

        A test sets the returned event to let them through; nothing here depends on timing.
        """
        spec = self._schema.find_method(method)
        if spec is None:
            raise ValueError(f"hold(): {method!r} is not a Bot API method")
        gate = self._gates[spec.name] = asyncio.Event()
        return gate

    async def wait_held(self, method: str) -> None:
        """Until a call of ``method`` waits at its gate from ``hold``: the bot made that call.

        Callers bound the wait with ``asyncio.timeout``.
        """
        await self._held_arrived.setdefault(method, asyncio.Event()).wait()

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends to them now answer 403."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    # -- many recipients ---------------------------------------------------------------

    def remember_chats(self, chat_ids: Iterable[int]) -> None:
        """These users wrote to the bot at some point, so it may write to them.

        No update is queued: a broadcast test with 10,000 recipients must not make the bot
        run 10,000 onboarding conversations first.
        """
        for chat_id in chat_ids:
            user = self._remember_user(chat_id)
            self._chats.setdefault(
                chat_id, {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            )

    def stats(self, *, per_chat: bool = False) -> Json:
        """A summary of what the bot sent, JSON-ready; times are the fake's ``clock`` here.

        ``per_chat`` adds ``{"<chat id>": messages received}`` for every chat that got any.
        ``pauses`` sums the gaps of 0.1 s or more between successive sends: where a sender
        that should keep a steady pace stalled.
        """
        times = sorted(
            call["time"] for call in self.calls
            if call["status"] == 200 and _is_send(call["method"])
        )
        gaps = [later - earlier for earlier, later in pairwise(times) if later - earlier >= 0.1]
        summary: Json = {
            "sent": len(self.sent),
            "chats_reached": len(self._by_chat),
            "first_send_at": self._first_send,
            "last_send_at": self._last_send,
            "rate_limited": self.rate_limited_count,
            "retry_window_violations": self.retry_window_violations,
            "violations": len(self.violations),
            "violation_samples": self.violations[:5],
            "pauses": {
                "count": len(gaps), "seconds": sum(gaps), "longest": max(gaps, default=0.0)
            },
            "failed_calls": {
                str(status): count
                for status, count in Counter(c["status"] for c in self.calls).items()
                if status != 200
            },
        }
        if per_chat:
            summary["per_chat"] = {str(chat): len(got) for chat, got in self._by_chat.items()}
        return summary

    async def _handle_stats(self, request: web.Request) -> web.Response:
        per_chat = request.query.get("per_chat", "") not in ("", "0", "false")
        return web.json_response(self.stats(per_chat=per_chat))

    async def _handle_remember_chats(self, request: web.Request) -> web.Response:
        chat_ids = await request.json()
        if not isinstance(chat_ids, list) or not all(isinstance(c, int) for c in chat_ids):
            return web.json_response({"ok": False, "description": "a list of ints"}, status=400)
        self.remember_chats(chat_ids)
        return web.json_response({"ok": True, "chats": len(self._chats)})

    # -- HTTP ----------------------------------------------------------------------------

    async def _handle_unrouted(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _handle(self, request: web.Request) -> web.Response:
        received = self.clock()
        name = request.match_info["method"]
        if request.match_info["token"] != self.token:
            status, payload = self._finish(name, {}, received, ApiError(401, "Unauthorized"))
            return web.json_response(payload, status=status)
        try:
            raw, files = await self._read_params(request)
        except BadRequest as exc:
            self.violations.append(f"{name}: {exc.description}")
            status, payload = self._finish(name, {}, received, ApiError(400, exc.description))
            return web.json_response(payload, status=status)
        status, payload = await self._process(name, raw, files, received)
        return web.json_response(payload, status=status, dumps=_dumps)

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[dict[str, str], dict[str, UploadedFile]]:
        raw: dict[str, str] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if not request.can_read_body:
            return raw, files
        if request.content_type == "application/json":
            body = await request.text()
            if body.strip():
                try:
                    data = json.loads(body)
                except ValueError:
                    raise BadRequest("Bad Request: can't parse JSON encoded request body") from None
                if not isinstance(data, dict):
                    raise BadRequest("Bad Request: JSON request body must be an object")
                raw.update({k: _as_form_value(v) for k, v in data.items() if v is not None})
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    data_bytes = value.file.read()
                    files[key] = UploadedFile(key, value.filename, value.content_type, data_bytes)
                else:
                    raw[key] = value if isinstance(value, str) else value.decode("utf-8")
        return raw, files

    async def _process(
        self,
        name: str,
        raw: Mapping[str, str],
        files: Mapping[str, UploadedFile],
        received: float,
    ) -> tuple[int, Json]:
        spec = self._schema.find_method(name)
        if spec is None:
            self.violations.append(f"{name}: no such Bot API method")
            return self._finish(name, dict(raw), received, ApiError(404, "Not Found"))
        try:
            params = self._schema.decode_params(spec, raw, files)
            content = check_method_rules(spec.name, params)
        except BadRequest as exc:
            self.violations.append(f"{spec.name}: {exc.description}")
            return self._finish(spec.name, dict(raw), received, ApiError(400, exc.description))
        call = _Call(spec.name, spec, params, content, files)
        gate = self._gates.get(spec.name)
        if gate is not None and not gate.is_set():
            self._held_arrived.setdefault(spec.name, asyncio.Event()).set()
            await gate.wait()
        try:
            self._admit(call, received)
            handler = self._handlers.get(spec.name)
            if handler is None:
                handler = self._send if _is_send(spec.name) else self._generic
            result = await handler(call)
        except ApiError as exc:
            return self._finish(spec.name, params, received, exc)
        return self._finish(spec.name, params, received, result=result, note=call.description)

    def _finish(
        self,
        name: str,
        params: Json,
        received: float,
        error: ApiError | None = None,
        *,
        result: Any = None,
        note: str | None = None,
    ) -> tuple[int, Json]:
        status = error.status if error else 200
        record: Json = {"method": name, "params": params, "status": status, "time": received}
        if error is None:
            payload: Json = {"ok": True, "result": result}
            if note:
                payload["description"] = note
        else:
            record["description"] = error.description
            payload = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                payload["parameters"] = error.parameters
        self.calls.append(record)
        if error is None and _is_send(name):
            # Calls finish out of arrival order; the span is from the earliest to the latest.
            self._first_send = min(received, self._first_send or received)
            self._last_send = max(received, self._last_send or received)
        if error is None:
            done = self._succeeded[name] = self._succeeded.get(name, 0) + 1
            for count, waiter in self._call_waiters.get(name, ()):
                if done >= count and not waiter.done():
                    waiter.set_result(None)
        return status, payload

    # -- admission: retry windows, injected failures, chats, rate limits -----------------

    def _admit(self, call: _Call, now: float) -> None:
        sends = _is_send(call.name)
        chat_id = call.params.get("chat_id") if "chat_id" in call.spec.fields else None
        keys: list[tuple[str, Any]] = [("method", call.name)]
        if sends:
            keys = [("global", None)] + ([("chat", chat_id)] if chat_id is not None else [])
        for key in keys:
            until, opened = self._retry_until.get(key, (0.0, 0.0))
            if now < until:
                if now - opened > self.retry_grace:
                    self.retry_window_violations += 1
                raise self._too_many(until - now)
        outage = self._outages.get(call.name)
        if outage is not None and now >= outage.until:
            del self._outages[call.name]
        elif outage is not None:
            if outage.status == 429:
                retry = outage.retry_after or max(1, math.ceil(outage.until - now))
                self._retry_until[keys[-1]] = (now + retry, now)
                raise self._too_many(retry, outage.description)
            description = outage.description or _DEFAULT_ERRORS.get(outage.status, "Error")
            parameters = {"retry_after": outage.retry_after} if outage.retry_after else None
            raise ApiError(outage.status, description, parameters)
        failures = self._failures.get(call.name)
        if failures:
            failure = failures[0]
            failure.times -= 1
            if failure.times <= 0:
                failures.popleft()
            if failure.status == 429:
                retry = failure.retry_after or 3
                self._retry_until[keys[-1]] = (now + retry, now)
                raise self._too_many(retry, failure.description)
            description = failure.description or _DEFAULT_ERRORS.get(failure.status, "Error")
            parameters = {"retry_after": failure.retry_after} if failure.retry_after else None
            raise ApiError(failure.status, description, parameters)
        if chat_id is not None:
            if chat_id not in self._chats:
                raise ApiError(400, CHAT_NOT_FOUND)
            if chat_id in self._blocked and (sends or call.name == "sendChatAction"):
                raise ApiError(403, BLOCKED)
        if sends and self.rate_limits:
            self._take_tokens(chat_id, now)

    def _take_tokens(self, chat_id: int | str | None, now: float) -> None:
        assert self._global_bucket is not None
        chat_bucket = None
        if chat_id is not None:
            chat_bucket = self._chat_buckets.get(chat_id)
            if chat_bucket is None:
                burst = max(_CHAT_BURST, self.per_chat_rate)
                chat_bucket = _TokenBucket(self.per_chat_rate, burst, now)
                self._chat_buckets[chat_id] = chat_bucket
            wait = chat_bucket.wait_time(now)
            if wait > 0:
                retry = max(1, math.ceil(wait))
                self._retry_until[("chat", chat_id)] = (now + retry, now)
                raise self._too_many(retry)
        wait = self._global_bucket.wait_time(now)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            self._retry_until[("global", None)] = (now + retry, now)
            raise self._too_many(retry)
        self._global_bucket.tokens -= 1
        if chat_bucket is not None:
            chat_bucket.tokens -= 1

    def _too_many(self, seconds: float, description: str | None = None) -> ApiError:
        retry = max(1, math.ceil(seconds))
        self.rate_limited_count += 1
        text = description or f"Too Many Requests: retry after {retry}"
        return ApiError(429, text, {"retry_after": retry})

    # -- updates -------------------------------------------------------------------------

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def _emit(self, body: Json) -> Json:
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, **body}
        self._register(update)
        if self.webhook is None:
            self._enqueue(update)
        return update

    def _enqueue(self, update: Json) -> None:
        self._queue.append(update)
        self._wake_poller("update")

    def _wake_poller(self, reason: str) -> None:
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result(reason)

    def _register(self, update: Json) -> None:
        """Learn the chats, users, messages and callback ids an update reveals."""
        for value in update.values():
            if not isinstance(value, dict):
                continue
            if value.get("id") and "chat_instance" in value:
                self._pending_callbacks.add(str(value["id"]))
            user = value.get("from")
            if isinstance(user, dict) and "id" in user:
                self._users.setdefault(user["id"], dict(user))
            message = value if "message_id" in value else value.get("message")
            if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
                continue
            chat = message["chat"]
            self._chats.setdefault(chat["id"], dict(chat))
            if "message_id" in message:
                last = self._last_message_id.get(chat["id"], 0)
                self._last_message_id[chat["id"]] = max(last, int(message["message_id"]))
                self._messages.setdefault((chat["id"], message["message_id"]), message)

    def _remember_user(
        self, user_id: int, *, first_name: str | None = None, language_code: str | None = None
    ) -> Json:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": "An", "language_code": "vi"}
        )
        if first_name is not None:
            user["first_name"] = first_name
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def _user_message(self, user_id: int, content: Json) -> Json:
        user = self._remember_user(user_id)
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        self._chats[user_id] = chat
        message = {
            "message_id": self._new_message_id(user_id),
            "from": dict(user),
            "chat": dict(chat),
            "date": int(time.time()),
            **content,
        }
        self._messages[(user_id, message["message_id"])] = message
        return self._emit({"message": message})

    def _new_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _take(self, limit: int) -> list[Json]:
        allowed = self._allowed_updates
        if any(_update_kind(update) not in allowed for update in self._queue):
            # The real server drops updates of kinds the bot did not ask for.
            self._queue = deque(u for u in self._queue if _update_kind(u) in allowed)
        return list(islice(self._queue, limit))

    async def _get_updates(self, call: _Call) -> list[Json]:
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        self._wake_poller("conflict")
        params = call.params
        offset = params.get("offset")
        if offset is not None and offset < 0:
            while len(self._queue) > -offset:
                self._queue.popleft()
        elif offset is not None:
            while self._queue and self._queue[0]["update_id"] < offset:
                self._queue.popleft()
        limit = params.get("limit", 100)
        if not 1 <= limit <= 100:
            limit = 100
        if params.get("allowed_updates") is not None:
            wanted = frozenset(params["allowed_updates"])
            self._allowed_updates = wanted or (
                frozenset(self._schema.update_types) - _NOT_DELIVERED_BY_DEFAULT
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0, params.get("timeout", 0))
        while True:
            batch = self._take(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._stopping:
                return batch
            waiter: asyncio.Future[str] = loop.create_future()
            self._poll_waiter = waiter
            try:
                reason = await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                reason = "timeout"
            finally:
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
            if reason == "conflict":
                raise ApiError(409, POLLING_CONFLICT)
            if self.webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)

    async def _run_webhook_reply(self, content_type: str, body: bytes) -> None:
        params: dict[str, str] = {}
        files: dict[str, UploadedFile] = {}
        if content_type.startswith("application/json"):
            data = json.loads(body or b"{}")
            if isinstance(data, dict):
                params = {k: _as_form_value(v) for k, v in data.items() if v is not None}
        elif content_type.startswith("multipart/form-data"):
            envelope = f"Content-Type: {content_type}\r\n\r\n".encode() + body
            parsed = email.message_from_bytes(envelope, policy=email.policy.HTTP)
            for part in parsed.iter_parts():
                part_name = str(part.get_param("name", header="content-disposition"))
                decoded = part.get_payload(decode=True)
                payload = decoded if isinstance(decoded, bytes) else b""
                filename = part.get_filename()
                if filename:
                    content = part.get_content_type()
                    files[part_name] = UploadedFile(part_name, filename, content, payload)
                else:
                    params[part_name] = payload.decode("utf-8")
        method = params.pop("method", None)
        if method:
            await self._process(method, params, files, self.clock())

    # -- method handlers -----------------------------------------------------------------

    async def _get_me(self, call: _Call) -> Json:
        return self.bot_user

    def file_bytes(self, file_id: str) -> bytes:
        """What a user's file holds, as served by the download route: stable per file_id."""
        return self._contents.get(file_id, f"%PDF-1.4 fake content of {file_id}".encode())

    async def _get_file(self, call: _Call) -> Json:
        file_id = str(call.params["file_id"])
        if not file_id.startswith("fake-file-"):
            raise ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"unique-{file_id}",
                "file_size": len(self.file_bytes(file_id)),
                "file_path": f"documents/{file_id}.pdf"}

    async def _handle_download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=404, text="Not Found")
        file_id = request.match_info["path"].rsplit("/", 1)[-1].removesuffix(".pdf")
        if not file_id.startswith("fake-file-"):
            return web.Response(status=404, text="Not Found")
        self.downloads.append(file_id)
        return web.Response(body=self.file_bytes(file_id),
                            content_type="application/octet-stream")

    async def _generic(self, call: _Call) -> Any:
        if call.spec.returns == ("Boolean",):
            return True
        self.violations.append(f"{call.name}: not implemented by the fake Telegram server")
        raise ApiError(400, f"Bad Request: {call.name} is not implemented by the fake")

    async def _set_webhook(self, call: _Call) -> bool:
        params = call.params
        url = params["url"]
        if not url:
            return await self._delete_webhook(call)
        parts = urlsplit(url)
        local = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if parts.scheme == "https" and (parts.port or 443) not in (80, 88, 443, 8443):
            raise ApiError(
                400,
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )
        already = self.webhook is not None and self.webhook["url"] == url
        self.webhook = {
            "url": url,
            "secret_token": params.get("secret_token"),
            "max_connections": params.get("max_connections", 40),
            "allowed_updates": params.get("allowed_updates"),
            "ip_address": params.get("ip_address"),
            "has_custom_certificate": "certificate" in params,
        }
        if params.get("allowed_updates") is not None:
            self._allowed_updates = frozenset(params["allowed_updates"]) or self._allowed_updates
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self._wake_poller("webhook")
        call.description = "Webhook is already set" if already else "Webhook was set"
        return True

    async def _delete_webhook(self, call: _Call) -> bool:
        call.description = "Webhook was deleted" if self.webhook else "Webhook is already deleted"
        self.webhook = None
        if call.params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _get_webhook_info(self, call: _Call) -> Json:
        info: Json = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook is not None:
            info["url"] = self.webhook["url"]
            info["has_custom_certificate"] = self.webhook["has_custom_certificate"]
            info["max_connections"] = self.webhook["max_connections"]
            for key in ("ip_address", "allowed_updates"):
                if self.webhook.get(key) is not None:
                    info[key] = self.webhook[key]
        return info

    @staticmethod
    def _commands_key(params: Json) -> tuple[str, str]:
        scope = params.get("scope") or {}
        return scope.get("type", "default"), params.get("language_code", "")

    async def _set_my_commands(self, call: _Call) -> bool:
        self.commands[self._commands_key(call.params)] = list(call.params["commands"])
        return True

    async def _delete_my_commands(self, call: _Call) -> bool:
        self.commands.pop(self._commands_key(call.params), None)
        return True

    async def _get_my_commands(self, call: _Call) -> list[Json]:
        return self.commands.get(self._commands_key(call.params), [])

    async def _answer_callback_query(self, call: _Call) -> bool:
        query_id = call.params["callback_query_id"]
        if query_id not in self._pending_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._pending_callbacks.discard(query_id)
        self.answered_callbacks.append(dict(call.params))
        return True

    async def _get_chat(self, call: _Call) -> Json:
        gift_fields = self._schema.types["AcceptedGiftTypes"].required
        return {
            **self._chats[call.params["chat_id"]],
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(gift_fields, False),
        }

    # -- messages the bot sends ------------------------------------------------------------

    def _file(self, value: UploadedFile | str | None, **extra: Any) -> Json:
        serial = self._next_serial()
        file_id = f"fake-file-{serial}"
        if isinstance(value, str) and value.startswith("fake-file-"):
            file_id = value  # resending a known file_id keeps it, as on Telegram
        described: Json = {"file_id": file_id, "file_unique_id": f"fake-unique-{serial}"}
        if isinstance(value, UploadedFile):
            described["file_size"] = len(value.data)
        described.update({k: v for k, v in extra.items() if v is not None})
        return described

    def _photo_sizes(self, value: UploadedFile | str | None) -> list[Json]:
        return [self._file(value, width=side, height=side) for side in (90, 320, 800)]

    def _media_content(self, kind: str, value: UploadedFile | str, params: Json) -> Json:
        duration = params.get("duration", 1)
        if kind == "photo":
            return {"photo": self._photo_sizes(value)}
        if kind == "document":
            name = value.filename if isinstance(value, UploadedFile) else "document"
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return {"document": self._file(value, file_name=name, mime_type=mime)}
        if kind in ("video", "animation"):
            size = {"width": params.get("width", 640), "height": params.get("height", 360)}
            return {kind: self._file(value, duration=duration, **size)}
        if kind == "video_note":
            return {kind: self._file(value, duration=duration, length=params.get("length", 240))}
        if kind == "sticker":
            sticker = self._file(
                value, type="regular", width=512, height=512, is_animated=False, is_video=False
            )
            return {kind: sticker}
        mime = "audio/ogg" if kind == "voice" else "audio/mpeg"
        return {kind: self._file(value, duration=duration, mime_type=mime)}

    def _content_for(self, call: _Call) -> Json:
        params = call.params
        content: Json = {}
        if call.content.text is not None:
            content["text"], entities = call.content.text
            if entities:
                content["entities"] = entities
        if call.name in _MEDIA_FIELDS:
            kind = _MEDIA_FIELDS[call.name]
            content.update(self._media_content(kind, params[kind], params))
        elif call.name == "sendLocation":
            content["location"] = {"latitude": params["latitude"], "longitude": params["longitude"]}
        elif call.name == "sendVenue":
            location = {"latitude": params["latitude"], "longitude": params["longitude"]}
            venue = {"location": location, "title": params["title"], "address": params["address"]}
            content["venue"] = venue
        elif call.name == "sendContact":
            keys = ("phone_number", "first_name", "last_name")
            content["contact"] = {k: params[k] for k in keys if k in params}
        elif call.name == "sendDice":
            content["dice"] = {"emoji": params.get("emoji", "🎲"), "value": 1}
        if call.content.caption is not None:
            content["caption"], entities = call.content.caption
            if entities:
                content["caption_entities"] = entities
        return content

    def _bot_message(self, chat_id: int, content: Json, params: Json) -> Json:
        message: Json = {
            "message_id": self._new_message_id(chat_id),
            "from": {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")},
            "chat": dict(self._chats[chat_id]),
            "date": int(time.time()),
            **content,
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        reply = params.get("reply_parameters")
        if reply is None and "reply_to_message_id" in params:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if reply is not None:
            replied = self._messages.get((reply.get("chat_id", chat_id), reply["message_id"]))
            if replied is not None:
                message["reply_to_message"] = {
                    k: v for k, v in replied.items() if k != "reply_to_message"
                }
            elif not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
        if params.get("protect_content"):
            message["has_protected_content"] = True
        return message

    def _record_sent(self, call: _Call, chat_id: int, message: Json, *, new: bool = True) -> None:
        entry = {"method": call.name, "chat_id": chat_id, "params": call.params, "message": message}
        self.sent.append(entry)
        self._messages[(chat_id, message["message_id"])] = message
        if not new:
            return
        if "inline_keyboard" in message.get("reply_markup", {}):
            self._keyboard_message[chat_id] = message["message_id"]
        received = self._by_chat[chat_id]
        received.append(message)
        for count, waiter in self._waiters.get(chat_id, ()):
            if len(received) >= count and not waiter.done():
                waiter.set_result(None)

    async def _send(self, call: _Call) -> Any:
        if call.spec.returns != ("Message",):
            return await self._generic(call)
        chat_id = call.params["chat_id"]
        message = self._bot_message(chat_id, self._content_for(call), call.params)
        self._record_sent(call, chat_id, message)
        return message

    async def _send_media_group(self, call: _Call) -> list[Json]:
        chat_id = call.params["chat_id"]
        group_id = str(13_000_000_000_000_000 + self._next_serial())
        sent: list[Json] = []
        for item, caption in zip(call.params["media"], call.content.media_captions, strict=True):
            reference = item["media"]
            value = call.files.get(reference.removeprefix("attach://"), reference)
            content = self._media_content(item["type"], value, item)
            if caption is not None:
                content["caption"], entities = caption
                if entities:
                    content["caption_entities"] = entities
            content["media_group_id"] = group_id
            sent.append(self._bot_message(chat_id, content, call.params))
        for message in sent:
            self._record_sent(call, chat_id, message)
        return sent

    async def _copy_message(self, call: _Call) -> Json:
        params = call.params
        source = self._messages.get((params["from_chat_id"], params["message_id"]))
        verb = "copy" if call.name == "copyMessage" else "forward"
        if source is None:
            raise ApiError(400, f"Bad Request: message to {verb} not found")
        chat_id = params["chat_id"]
        content = {k: source[k] for k in _CONTENT_KEYS if k in source}
        if call.content.caption is not None:
            content["caption"], entities = call.content.caption
            content.pop("caption_entities", None)
            if entities:
                content["caption_entities"] = entities
        if call.name == "forwardMessage":
            origin_user = source.get("from", self.bot_user)
            content["forward_origin"] = {
                "type": "user",
                "date": source["date"],
                "sender_user": origin_user,
            }
        message = self._bot_message(chat_id, content, params)
        self._record_sent(call, chat_id, message)
        return message if call.name == "forwardMessage" else {"message_id": message["message_id"]}

    async def _edit_message(self, call: _Call) -> Json | bool:
        params = call.params
        if "inline_message_id" in params:
            return True
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        if chat_id is None or message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        current = self._messages.get((chat_id, message_id))
        if current is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if current.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        updated = dict(current)
        if call.name == "editMessageText":
            if "text" not in current:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            updated["text"], entities = call.content.text or ("", [])
            updated.pop("entities", None)
            if entities:
                updated["entities"] = entities
        elif call.name == "editMessageCaption":
            if "text" in current:
                raise ApiError(400, "Bad Request: there is no caption in the message to edit")
            updated.pop("caption", None)
            updated.pop("caption_entities", None)
            if call.content.caption is not None:
                updated["caption"], entities = call.content.caption
                if entities:
                    updated["caption_entities"] = entities
        # Telegram drops the inline keyboard of an edited message unless it is sent again.
        updated.pop("reply_markup", None)
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            updated["reply_markup"] = markup
        if _without_edit_date(updated) == _without_edit_date(current):
            raise ApiError(400, NOT_MODIFIED)
        updated["edit_date"] = int(time.time())
        self._record_sent(call, chat_id, updated, new=False)
        return updated

    async def _delete_message(self, call: _Call) -> bool:
        key = (call.params["chat_id"], call.params["message_id"])
        if self._messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True


def _dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, default=repr)
