"""A webhook's gate: the shared secret first, then a body that is JSON a platform could send."""

import hmac
import json
from typing import Any

from aiohttp import web


class UnreadableBody(ValueError):
    """Not JSON, nested beyond reason, or not text."""


def carries_secret(request: web.Request, header: str, expected: str | None) -> bool:
    """True when the header holds the expected secret (compared in constant time)."""
    if not expected:
        return False
    given = request.headers.get(header, "")
    return hmac.compare_digest(given.encode(), expected.encode())


async def read_json_body(request: web.Request) -> Any:
    """The request's JSON; `UnreadableBody` for anything a platform would not send."""
    raw = await request.read()  # the app's client_max_size has refused an oversized body
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # nesting past the interpreter's limit raises the latter
        raise UnreadableBody("not JSON") from None
