"""A fake Zalo Bot Platform API server on loopback, for tests.

It follows `/work/shared/zalo-bot-api.md`: `/bot<token>/<method>` over GET or POST with the
parameters as query string, form, JSON or multipart; the Telegram-like envelope
(`{"ok": true, "result": ...}` / `{"ok": false, "error_code": N, "description": ...}`);
`getUpdates` handing out ONE update per call with no offset; webhooks that need a
`secret_token`; and a bot that may only write to people who wrote to it first.

The fake is strict where the real service is strict and stricter where a mistake by the bot
would go unnoticed (unknown parameters, wrong method case): every request the bot should not have
made lands in `violations`, which tests assert to be empty.

HTTP statuses. Zalo documents only the envelope and warns that a 2xx alone is not success, so the
fake answers most `ok: false` envelopes with HTTP 200 and puts the code in `error_code`: a bot that
trusts the HTTP status instead of `ok` breaks here, as it would against Zalo. The exceptions are
failures of the path itself, which a gateway answers before reaching any method: a wrong token is
HTTP 401 (error_code 401) and an unknown method is HTTP 404 (error_code 400, the code the doc gives
for an unknown method; the 404 mirrors what the older host is reported to answer). Errors injected
with `fail_next` with a code of 500 or more come with that HTTP status, to look like an outage.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from types import EllipsisType, TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

__all__ = ["SECRET_HEADER", "FakeZalo", "UploadedFile", "new_user_id"]

SECRET_HEADER = "X-Bot-Api-Secret-Token"

MAX_TEXT = 2000
SECRET_MIN, SECRET_MAX = 8, 256
RETRY_WINDOW = 1.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendSticker", "sendVoice"})
CHAT_METHODS = SEND_METHODS | {"sendChatAction"}

# The parameters each method takes; anything else is a bot mistake worth reporting.
PARAMS: dict[str, frozenset[str]] = {
    "getMe": frozenset(),
    "getUpdates": frozenset({"timeout"}),
    "setWebhook": frozenset({"url", "secret_token"}),
    "deleteWebhook": frozenset(),
    "getWebhookInfo": frozenset(),
    "sendMessage": frozenset({"chat_id", "text", "parse_mode"}),
    "sendPhoto": frozenset({"chat_id", "photo", "caption"}),
    "sendSticker": frozenset({"chat_id", "sticker"}),
    "sendChatAction": frozenset({"chat_id", "action"}),
    "sendVoice": frozenset({"chat_id", "voice_url"}),
}

DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized: token invalid",
    # Zalo itself describes 403 this way, so the bot must not rely on the description.
    403: "Internal server error",
    404: "Not Found",
    408: "Request timeout",
    429: "Too Many Requests: quota exceeded",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def new_user_id() -> str:
    """An opaque 20-hex-character id, shaped like the ids Zalo gives users and messages."""
    return secrets.token_hex(10)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _http_status_for(error_code: int) -> int:
    # See the module docstring: only path-level failures and injected outages leave HTTP 200.
    if error_code == 401 or error_code >= 500:
        return error_code
    return 200


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A multipart file part; no Zalo method takes one, so validation refuses it."""

    name: str
    filename: str | None
    size: int

    def __repr__(self) -> str:
        return f"<file {self.filename!r}, {self.size} bytes>"


class _ApiError(Exception):
    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        violation: bool = True,
        http_status: int | None = None,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.violation = violation
        self.http_status = _http_status_for(error_code) if http_status is None else http_status


def _brief(params: dict[str, Any]) -> str:
    """Params for a violation message, with long texts cut so the report stays readable."""
    shown = {
        k: (v[:60] + f"…(+{len(v) - 60})" if isinstance(v, str) and len(v) > 60 else v)
        for k, v in params.items()
    }
    return repr(shown)


def _require_str(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None:
        raise _ApiError(400, f"Bad Request: parameter {name} is required")
    if isinstance(value, UploadedFile):
        raise _ApiError(
            400, f"Bad Request: {name} must be text or a URL; uploads are not supported"
        )
    if not isinstance(value, str):
        raise _ApiError(400, f"Bad Request: parameter {name} must be a string, got {value!r}")
    return value


def _optional_str(params: dict[str, Any], name: str) -> str | None:
    if params.get(name) is None:
        return None
    return _require_str(params, name)


def _require_fetchable_url(value: str, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _ApiError(400, f"Bad Request: {name} must be an http(s) URL Zalo can fetch")
    return value


def _check_text_length(value: str, name: str, *, allow_empty: bool) -> None:
    # Python len counts code points, which is what the 2000-character limit is about;
    # Vietnamese text is far longer in UTF-8 bytes.
    if len(value) > MAX_TEXT or (not allow_empty and not value):
        low = 0 if allow_empty else 1
        raise _ApiError(
            400, f"Bad Request: {name} must be {low}-{MAX_TEXT} characters, got {len(value)}"
        )


class FakeZalo:
    """A loopback Zalo Bot API server with simulated users and a record of what the bot did."""

    new_user_id = staticmethod(new_user_id)

    def __init__(
        self, token: str = "1234567890:zalo-test-secret", *, rate_limit: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_limit is not None and rate_limit <= 0:
            raise ValueError("rate_limit must be positive messages per second, or None")
        self.token = token
        # The rate limit, its retry window and call times read this clock; a test that passes
        # a ManualClock (tests/fakes/clock.py) moves time itself instead of sleeping.
        self.clock = clock
        # Derived from the token so that a given token always maps to the same bot id.
        self.bot_id = hashlib.sha256(token.encode()).hexdigest()[:20]
        self.base_url = ""
        self.account_name = "bot.cutri"

        self.calls: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.chat_actions: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self.webhook: dict[str, Any] | None = None
        self.webhook_updated_at = 0
        self.retry_window_violations = 0
        self.rate_limited_count = 0

        self._queue: deque[dict[str, Any]] = deque()
        self._arrived = asyncio.Event()
        # Set while a long poll waits inside the fake: tests wait for it instead of guessing.
        self.poll_waiting = asyncio.Event()
        self._closing = False
        self._wrote_first: set[str] = set()
        self._blocked: set[str] = set()
        self._by_chat: dict[str, list[dict[str, Any]]] = {}
        self._chat_events: dict[str, asyncio.Event] = {}
        self._failures: dict[str, deque[tuple[int, str | None, int | None]]] = {}

        self.rate_limit = rate_limit
        self._bucket_capacity = max(1.0, rate_limit or 1.0)
        self._tokens = self._bucket_capacity
        self._refilled_at = clock()
        self._last_429: float | None = None

        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._methods: dict[str, Callable[[str, dict[str, Any]], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send,
            "sendPhoto": self._send,
            "sendSticker": self._send,
            "sendVoice": self._send,
            "sendChatAction": self._send_chat_action,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a poller that hangs up must not swallow the next update.
        # A short shutdown_timeout because stop() wakes long polls itself.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._closing = True
        self._arrived.set()
        if self._session is not None:
            await self._session.close()
            self._session = None
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

    @property
    def api_url(self) -> str:
        """The prefix the bot puts method names after."""
        return f"{self.base_url}/bot{self.token}"

    # ------------------------------------------------------------------ simulated users

    def _message_update(
        self, event_name: str, user_id: str, display_name: str | None, content: dict[str, Any]
    ) -> dict[str, Any]:
        sender: dict[str, Any] = {"id": user_id, "is_bot": False}
        if display_name is not None:
            sender = {"id": user_id, "display_name": display_name, "is_bot": False}
        message: dict[str, Any] = {
            "from": sender,
            "chat": {"id": user_id, "chat_type": "PRIVATE"},
            **content,
            "message_id": new_user_id(),
            "date": _now_ms(),
        }
        return self.raw({"event_name": event_name, "message": message})

    def text(self, user_id: str, text: str, *, display_name: str = "Ba") -> dict[str, Any]:
        return self._message_update("message.text.received", user_id, display_name, {"text": text})

    def image(
        self,
        user_id: str,
        photo_url: str = "https://media.zalo.test/photo/3f9a1c.jpg",
        caption: str | None = None,
        *,
        display_name: str = "Ba",
    ) -> dict[str, Any]:
        content: dict[str, Any] = {"photo_url": photo_url}
        if caption is not None:
            content["caption"] = caption
        return self._message_update("message.image.received", user_id, display_name, content)

    def sticker(
        self, user_id: str, sticker: str = "bfe458bf64fa8da4d4eb", *, display_name: str = "Ba"
    ) -> dict[str, Any]:
        content = {"sticker": sticker, "url": f"https://media.zalo.test/sticker/{sticker}.webp"}
        return self._message_update("message.sticker.received", user_id, display_name, content)

    def voice(
        self,
        user_id: str,
        voice_url: str = "https://media.zalo.test/voice/5e2b7d.aac",
        *,
        display_name: str = "Ba",
    ) -> dict[str, Any]:
        content = {"voice_url": voice_url}
        return self._message_update("message.voice.received", user_id, display_name, content)

    def unsupported(self, user_id: str) -> dict[str, Any]:
        # Zalo withholds content (and, we assume, the name) for protected senders.
        return self._message_update("message.unsupported.received", user_id, None, {})

    def echo_of_bot(self, text: str, *, chat_id: str | None = None) -> dict[str, Any]:
        """Zalo echoing the bot's own message back.

        `is_bot` stays False: the doc names `from.id` as the signal, and a bot that leans on
        `is_bot` instead should fail here.
        """
        message = {
            "from": {"id": self.bot_id, "display_name": self.account_name, "is_bot": False},
            "chat": {"id": chat_id or self.bot_id, "chat_type": "PRIVATE"},
            "text": text,
            "message_id": new_user_id(),
            "date": _now_ms(),
        }
        return self.raw({"event_name": "message.text.received", "message": message})

    def raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any update as-is (for getUpdates, unless a webhook is set) and return it."""
        self._remember_sender(update)
        if self.webhook is None:
            self._queue.append(update)
            self._arrived.set()
        return update

    def _remember_sender(self, update: dict[str, Any]) -> None:
        message = update.get("message")
        if not isinstance(message, dict):
            return
        sender = message.get("from")
        chat = message.get("chat")
        if isinstance(sender, dict) and sender.get("id") == self.bot_id:
            return
        if isinstance(chat, dict) and isinstance(chat.get("id"), str):
            self._wrote_first.add(chat["id"])

    @property
    def pending_updates(self) -> int:
        return len(self._queue)

    # ------------------------------------------------------------------ webhook side

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    def _secret_headers(self, secret: str | EllipsisType | None) -> dict[str, str]:
        if isinstance(secret, EllipsisType):
            assert self.webhook is not None
            secret = str(self.webhook["secret_token"])
        return {} if secret is None else {SECRET_HEADER: secret}

    async def deliver(
        self,
        update: dict[str, Any],
        *,
        wrapped: bool = False,
        secret: str | EllipsisType | None = ...,
    ) -> tuple[int, str]:
        """POST an update to the webhook the bot set, as Zalo does; returns (status, body).

        `secret=...` sends the secret_token given to setWebhook, a string sends that instead,
        None sends no header. `wrapped=True` uses the `{"ok": true, "result": ...}` form the
        docs show instead of the flat form real traffic has.
        """
        if self.webhook is None:
            raise RuntimeError("deliver() needs a webhook: the bot has not called setWebhook")
        self._remember_sender(update)
        payload: dict[str, Any] = {"ok": True, "result": update} if wrapped else update
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **self._secret_headers(secret)}
        async with self._client().post(self.webhook["url"], data=body, headers=headers) as resp:
            text = await resp.text()
            self.deliveries.append(
                {"update": update, "wrapped": wrapped, "status": resp.status, "body": text}
            )
            return resp.status, text

    async def probe_webhook(self, *, secret: str | EllipsisType | None = ...) -> tuple[int, str]:
        """An empty-body POST like Zalo's probes; the bot should answer 200.

        Whether real probes carry the secret header is unknown, so both can be tried.
        """
        if self.webhook is None:
            raise RuntimeError("probe_webhook() needs a webhook: the bot has not called setWebhook")
        headers = self._secret_headers(secret)
        async with self._client().post(self.webhook["url"], data=b"", headers=headers) as resp:
            return resp.status, await resp.text()

    # ------------------------------------------------------------------ inspection

    def messages_for(self, chat_id: str) -> list[dict[str, Any]]:
        return list(self._by_chat.get(chat_id, ()))

    def texts_for(self, chat_id: str) -> list[str]:
        """Text or caption of each message sent to the chat, "" for stickers and voice."""
        return [
            m["params"].get("text") or m["params"].get("caption") or ""
            for m in self._by_chat.get(chat_id, ())
        ]

    def wait_for(
        self, chat_id: str, count: int, timeout: float = 15.0
    ) -> Coroutine[Any, Any, list[dict[str, Any]]]:
        """Wait until at least `count` messages were sent to the chat; returns all of them.

        On timeout, an AssertionError lists what did arrive.
        """
        # A plain def handing back the coroutine keeps the `timeout=` keyword tests expect,
        # while the waiting itself is bounded by asyncio.timeout.
        return self._wait_for(chat_id, count, timeout)

    async def _wait_for(self, chat_id: str, count: int, seconds: float) -> list[dict[str, Any]]:
        event = self._chat_events.setdefault(chat_id, asyncio.Event())
        try:
            async with asyncio.timeout(seconds):
                while len(self._by_chat.get(chat_id, ())) < count:
                    event.clear()
                    await event.wait()
        except TimeoutError:
            arrived = self.texts_for(chat_id)
            raise AssertionError(
                f"expected {count} message(s) to {chat_id} within {seconds}s, "
                f"got {len(arrived)}: {arrived!r}; violations: {self.violations!r}"
            ) from None
        return self.messages_for(chat_id)

    # ------------------------------------------------------------------ test controls

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        description: str | None = None,
        http_status: int | None = None,
    ) -> None:
        """Make the next `times` valid calls of `method` fail with error_code `status`.

        Injected failures are not violations. They fire after validation, so a malformed
        request is still reported and does not use one up.
        """
        if method not in PARAMS:
            raise ValueError(f"unknown Zalo method {method!r}")
        queue = self._failures.setdefault(method, deque())
        queue.extend([(status, description, http_status)] * times)

    def block(self, chat_id: str) -> None:
        """The user blocked the bot: later sends to them fail with 403."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: str) -> None:
        self._blocked.discard(chat_id)

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        started = self.clock()
        # Named before routing so that refused calls (wrong token, bad case) are recorded by name.
        method = request.path.rpartition("/")[2] or "?"
        params: dict[str, Any] = {}
        try:
            method = self._route(request)
            params = await self._read_params(request)
            unknown = sorted(set(params) - PARAMS[method])
            if unknown:
                # Zalo ignores them, so the call goes on, but the bot should not send them.
                self.violations.append(
                    f"{method}: unknown parameter(s) {unknown}: {_brief(params)}"
                )
            result = await self._methods[method](method, params)
        except _ApiError as err:
            if err.violation:
                self.violations.append(f"{method}: {err.description}: {_brief(params)}")
            self._record(method, params, err.error_code, err.http_status, started)
            return self._json(
                {"ok": False, "error_code": err.error_code, "description": err.description},
                err.http_status,
            )
        self._record(method, params, 200, 200, started)
        return self._json({"ok": True, "result": result}, 200)

    def _record(
        self, method: str, params: dict[str, Any], status: int, http_status: int, at: float
    ) -> None:
        self.calls.append(
            {
                "method": method,
                "params": params,
                "status": status,
                "http_status": http_status,
                "time": at,
            }
        )

    @staticmethod
    def _json(payload: dict[str, Any], status: int) -> web.Response:
        return web.Response(
            text=json.dumps(payload, ensure_ascii=False),
            status=status,
            content_type="application/json",
            charset="utf-8",
        )

    def _route(self, request: web.Request) -> str:
        if request.method not in ("GET", "POST"):
            raise _ApiError(400, f"Bad Request: HTTP {request.method} is not supported")
        path = request.path
        if not path.startswith("/bot"):
            raise _ApiError(404, f"Not Found: {path}", http_status=404)
        token, slash, method = path[len("/bot") :].partition("/")
        if not slash:
            raise _ApiError(404, "Not Found: no method in the path", http_status=404)
        if token != self.token:
            raise _ApiError(401, "Unauthorized: token invalid")
        if method not in self._methods:
            # Method names are case-sensitive: sendmessage is as unknown as fooBar.
            raise _ApiError(400, f"Unknown method: {method!r}", http_status=404)
        return method

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise _ApiError(400, f"Bad Request: body is not UTF-8 JSON ({exc})") from None
                if not isinstance(body, dict):
                    raise _ApiError(400, "Bad Request: JSON body must be an object")
                params.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    size = len(value.file.read())
                    params[key] = UploadedFile(value.name, value.filename, size)
                else:
                    params[key] = value
        else:
            raw = await request.read()
            if raw.strip():
                raise _ApiError(400, f"Bad Request: unsupported content type {ctype!r}")
        # JSON nulls are what many clients send for "not given".
        return {k: v for k, v in params.items() if v is not None}

    # ------------------------------------------------------------------ methods

    def _maybe_fail(self, method: str) -> None:
        queue = self._failures.get(method)
        if queue:
            status, description, http_status = queue.popleft()
            text = description or DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
            raise _ApiError(status, text, violation=False, http_status=http_status)

    def _check_chat(self, params: dict[str, Any]) -> str:
        chat_id = _require_str(params, "chat_id")
        if chat_id not in self._wrote_first:
            # The only way to learn a chat id is an inbound update, so this is a bot bug.
            raise _ApiError(
                400, f"Bad Request: user {chat_id} has not written to the bot, cannot message them"
            )
        return chat_id

    def _take_quota(self) -> None:
        """Token bucket over all sends; Zalo's 429 carries no retry_after."""
        if self.rate_limit is None:
            return
        now = self.clock()
        if self._last_429 is not None and now - self._last_429 < RETRY_WINDOW:
            self.retry_window_violations += 1
        self._tokens = min(
            self._bucket_capacity, self._tokens + (now - self._refilled_at) * self.rate_limit
        )
        self._refilled_at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return
        self.rate_limited_count += 1
        self._last_429 = now
        raise _ApiError(429, DEFAULT_DESCRIPTIONS[429], violation=False)

    def _check_blocked(self, chat_id: str) -> None:
        if chat_id in self._blocked:
            raise _ApiError(403, DEFAULT_DESCRIPTIONS[403], violation=False)

    async def _get_me(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._maybe_fail(method)
        return {
            "id": self.bot_id,
            "account_name": self.account_name,
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _get_updates(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("timeout", 30)
        try:
            if isinstance(raw, bool):
                raise ValueError(raw)
            timeout = float(raw)
        except (TypeError, ValueError):
            raise _ApiError(400, f"Bad Request: timeout must be a number, got {raw!r}") from None
        if timeout < 0:
            raise _ApiError(400, f"Bad Request: timeout must not be negative, got {raw!r}")
        if self.webhook is not None:
            raise _ApiError(400, "Bad Request: getUpdates is not allowed while a webhook is set")
        self._maybe_fail(method)
        update = await self._next_update(asyncio.get_running_loop().time() + timeout)
        if update is None:
            # The normal outcome of a long poll with nothing to hand out, not a bot mistake.
            raise _ApiError(408, DEFAULT_DESCRIPTIONS[408], violation=False)
        return update

    async def _next_update(self, deadline: float) -> dict[str, Any] | None:
        loop = asyncio.get_running_loop()
        # The update stays queued until popped here, so a poll that times out or is cancelled
        # while waiting cannot lose one.
        while not self._queue:
            remaining = deadline - loop.time()
            if self._closing or remaining <= 0:
                return None
            self._arrived.clear()
            self.poll_waiting.set()
            try:
                async with asyncio.timeout(remaining):
                    await self._arrived.wait()
            except TimeoutError:
                continue
            finally:
                self.poll_waiting.clear()
        return self._queue.popleft()

    async def _set_webhook(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        url = _require_str(params, "url")
        secret = _require_str(params, "secret_token")
        parts = urlsplit(url)
        if not parts.hostname or parts.scheme not in ("http", "https"):
            raise _ApiError(400, f"Bad Request: url must be an HTTPS URL, got {url!r}")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            # Zalo demands HTTPS; plain http is let through only for loopback test servers.
            raise _ApiError(400, f"Bad Request: url must be HTTPS, got {url!r}")
        if not SECRET_MIN <= len(secret) <= SECRET_MAX:
            raise _ApiError(
                400,
                f"Bad Request: secret_token must be {SECRET_MIN}-{SECRET_MAX} characters, "
                f"got {len(secret)}",
            )
        self._maybe_fail(method)
        self.webhook_updated_at = _now_ms()
        self.webhook = {"url": url, "secret_token": secret, "updated_at": self.webhook_updated_at}
        return {"url": url, "updated_at": self.webhook_updated_at}

    async def _delete_webhook(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._maybe_fail(method)
        self.webhook = None
        self.webhook_updated_at = _now_ms()
        return {"url": "", "updated_at": self.webhook_updated_at}

    async def _get_webhook_info(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._maybe_fail(method)
        url = self.webhook["url"] if self.webhook is not None else ""
        return {"url": url, "updated_at": self.webhook_updated_at}

    async def _send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._check_chat(params)
        if method == "sendMessage":
            _check_text_length(_require_str(params, "text"), "text", allow_empty=False)
            parse_mode = _optional_str(params, "parse_mode")
            if parse_mode is not None and parse_mode not in ("markdown", "html"):
                raise _ApiError(
                    400, f"Bad Request: parse_mode must be markdown or html, got {parse_mode!r}"
                )
        elif method == "sendPhoto":
            _require_fetchable_url(_require_str(params, "photo"), "photo")
            caption = _optional_str(params, "caption")
            if caption is not None:
                _check_text_length(caption, "caption", allow_empty=True)
        elif method == "sendSticker":
            if not _require_str(params, "sticker"):
                raise _ApiError(400, "Bad Request: sticker must not be empty")
        else:
            voice_url = _require_fetchable_url(_require_str(params, "voice_url"), "voice_url")
            if not urlsplit(voice_url).path.lower().endswith(".aac"):
                raise _ApiError(
                    400, f"Bad Request: voice_url must end with .aac, got {voice_url!r}"
                )
        self._maybe_fail(method)
        self._take_quota()
        self._check_blocked(chat_id)
        result = {"message_id": new_user_id(), "date": _now_ms()}
        record = {"method": method, "chat_id": chat_id, "params": params, **result}
        self.sent.append(record)
        self._by_chat.setdefault(chat_id, []).append(record)
        event = self._chat_events.get(chat_id)
        if event is not None:
            event.set()
        return result

    async def _send_chat_action(self, method: str, params: dict[str, Any]) -> bool:
        chat_id = self._check_chat(params)
        action = _require_str(params, "action")
        if action != "typing":
            raise _ApiError(400, f"Bad Request: action must be typing, got {action!r}")
        self._maybe_fail(method)
        self._check_blocked(chat_id)
        self.chat_actions.append({"chat_id": chat_id, "action": action, "time": self.clock()})
        return True
