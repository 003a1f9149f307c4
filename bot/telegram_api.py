"""The Telegram Bot API as plain HTTP: a JSON body out, the `result` back, failures raised.

cutri sends replies that are already rendered to the Bot API's JSON shapes (`bot.render`) and
reads updates as the JSON they arrive as, so a typed client adds nothing on this path but its
cost. aiogram's, measured: importing it builds some 630 pydantic models (126 MB of an idle
process, 3 CPU-seconds at every start), and each send went through a model and a multipart
form. The fake server in `tests/fakes/telegram.py` checks every request made here against the
official schema, as the real server would refuse it.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

# Telegram's own answer time for ordinary methods is well under this; a long poll adds its
# own timeout on top.
CALL_SECONDS = 60.0


class TelegramError(Exception):
    """The API answered `ok: false` (or not in JSON at all)."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


class TelegramUnreachable(Exception):
    """No answer: the network, a timeout, a connection dropped midway."""


class TelegramApi:
    """One bot token's calls over one connection pool."""

    def __init__(self, token: str, base_url: str) -> None:
        base = base_url.rstrip("/")
        self._method_url = f"{base}/bot{token}/"
        self._file_url = f"{base}/file/bot{token}/"
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                json_serialize=_dumps, timeout=aiohttp.ClientTimeout(total=CALL_SECONDS))
        return self._session

    async def call(self, method: str, params: dict[str, Any] | None = None, *,
                   seconds: float = CALL_SECONDS) -> Any:
        """POST the parameters as JSON; the method's `result`."""
        body = {key: value for key, value in (params or {}).items() if value is not None}
        return await self._post(method, seconds, json=body)

    async def upload(self, method: str, params: dict[str, Any], field: str, content: bytes,
                     filename: str) -> Any:
        """POST as multipart/form-data with one file in `field` (photos, documents)."""
        # Unquoted, as Telegram reads names: "báo cáo.docx" must not arrive as "b%C3%A1o…".
        form = aiohttp.FormData(quote_fields=False)
        for key, value in params.items():
            if value is not None:
                form.add_field(key, value if isinstance(value, str) else _dumps(value))
        form.add_field(field, content, filename=filename)
        return await self._post(method, CALL_SECONDS, data=form)

    async def download(self, file_path: str) -> bytes:
        try:
            async with self._client().get(self._file_url + file_path) as response:
                if response.status != 200:
                    raise TelegramError(response.status, "file download failed")
                return await response.read()
        except (TimeoutError, aiohttp.ClientError) as error:
            raise TelegramUnreachable(type(error).__name__) from error

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _post(self, method: str, seconds: float, **body: Any) -> Any:
        try:
            async with self._client().post(
                self._method_url + method, timeout=aiohttp.ClientTimeout(total=seconds), **body,
            ) as response:
                raw = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as error:
            raise TelegramUnreachable(type(error).__name__) from error
        return _result(status, raw)


def _result(status: int, raw: bytes) -> Any:
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        # A proxy's error page, or a cut answer: only the HTTP status says anything.
        raise TelegramError(status, f"HTTP {status}")
    if answer.get("ok") is True and "result" in answer:
        return answer["result"]
    parameters = answer.get("parameters")
    retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
    raise TelegramError(
        int(answer.get("error_code") or status), str(answer.get("description") or ""),
        float(retry_after) if isinstance(retry_after, int | float) else None)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
