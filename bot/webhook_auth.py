"""Checking a webhook's shared secret before anything in the request is read."""

import hmac

from aiohttp import web


def carries_secret(request: web.Request, header: str, expected: str | None) -> bool:
    """True when the header holds the expected secret (compared in constant time)."""
    if not expected:
        return False
    given = request.headers.get(header, "")
    return hmac.compare_digest(given.encode(), expected.encode())
