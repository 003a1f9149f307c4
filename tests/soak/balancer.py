"""A small round-robin load balancer on loopback, in front of the replicas of the soak test.

It does what nginx's `proxy_next_upstream error timeout http_503` does for webhook POSTs: each
request goes to the next replica in turn; a replica that refuses the connection, drops it, or
answers 503 (draining) is passed over and the request goes to the next one. When none can take
it, the platform gets a 502 and delivers the update again later, as Telegram does.
"""

from __future__ import annotations

import itertools
from collections import Counter
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web

# Hop-by-hop and length headers are the proxy's own.
_NOT_FORWARDED = frozenset({"host", "content-length", "connection", "transfer-encoding"})


class RoundRobin:
    def __init__(self, backends: list[str], *, timeout: float = 30.0) -> None:
        self.backends = backends
        self.timeout = timeout
        self.url = ""
        self.passed_over: Counter[str] = Counter()
        self.forwarded: Counter[str] = Counter()
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._client = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(limit=0))
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._client is not None
        body = await request.read()
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() not in _NOT_FORWARDED}
        first = next(self._turn)
        for offset in range(len(self.backends)):
            backend = self.backends[(first + offset) % len(self.backends)]
            try:
                async with self._client.request(request.method, backend + request.path_qs,
                                                data=body, headers=headers) as answer:
                    payload = await answer.read()
                    if answer.status == 503:
                        self.passed_over[backend] += 1
                        continue
                    self.forwarded[backend] += 1
                    return web.Response(status=answer.status, body=payload,
                                        content_type=answer.content_type)
            except (aiohttp.ClientError, TimeoutError):
                self.passed_over[backend] += 1
        return web.json_response({"ok": False, "error": "no replica answered"}, status=502)
