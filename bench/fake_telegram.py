"""The fake Telegram Bot API server as a process of its own, for the broadcast benchmark.

    python -m bench.fake_telegram --rate 1000 [--per-chat-rate 1] [--control]

It prints one JSON line (``{"base_url": ..., "token": ...}``) once it listens, then serves
until SIGTERM, SIGINT or the end of its standard input (so it never outlives a parent that
died). The parent registers the recipients with ``POST /_fake/chats`` and reads the counters
with ``GET /_fake/stats``. Running it apart keeps its CPU out of the bot's figures and off the
bot's core: the fake checks every call against the Bot API schema, which is not cheap.

With ``--control`` (the inbound benchmark) a second loopback server, its URL in the JSON line as
``control_url``, plays the users: ``POST /burst`` queues a list of updates at once and answers
the ``time.monotonic()`` it did so; ``GET /replies`` lists, per chat, the times of the sends the
bot made to it. Both clocks are the machine's monotonic clock, shared by every process.

When the bot has set a webhook, a burst is pushed to it as Telegram pushes updates: each chat's
updates one at a time and in order (the next after the webhook answered the last), different
chats side by side on up to the webhook's `max_connections` connections (40 by default), a
refused update delivered again a second later.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections import deque
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.telegram import FakeTelegram

SENDS = ("sendMessage", "sendPhoto", "sendDocument")


class WebhookPump:
    """Pushes updates to the bot's webhook the way Telegram does (see the module's docstring)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self._pending: dict[int, deque[dict[str, Any]]] = {}
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def push(self, chat: int, update: dict[str, Any]) -> None:
        waiting = self._pending.get(chat)
        if waiting is None:
            waiting = self._pending[chat] = deque()
            task = asyncio.create_task(self._deliver_in_order(chat, waiting))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        waiting.append(update)

    async def _deliver_in_order(self, chat: int, waiting: deque[dict[str, Any]]) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(int((self.fake.webhook or {}).get(
                "max_connections") or 40))
        while waiting:
            async with self._slots:
                try:
                    status, _body = await self.fake.deliver(waiting[0])
                except (OSError, TimeoutError, aiohttp.ClientError):
                    status = 0
            if status == 200:
                waiting.popleft()
            else:
                await asyncio.sleep(1.0)
        del self._pending[chat]


def control_app(fake: FakeTelegram) -> web.Application:
    """Routes that play many users at once and report when each got its replies."""
    pump = WebhookPump(fake)

    async def burst(request: web.Request) -> web.Response:
        updates: list[dict[str, Any]] = await request.json()
        for update in updates:
            user_id = int(update["user"])
            if "text" in update:
                made = fake.text(user_id, str(update["text"]))
            else:
                # A press on a button of a message the burst cannot know yet: queued raw.
                made = fake.raw({"callback_query": {
                    "id": f"{user_id}-{len(fake.calls)}-{update['n']}",
                    "from": {"id": user_id, "is_bot": False, "first_name": "An",
                             "language_code": "vi"},
                    "chat_instance": str(-user_id),
                    "data": str(update["data"]),
                }})
            if fake.webhook is not None:
                pump.push(user_id, made)
        return web.json_response({"queued_at": time.monotonic(), "count": len(updates)})

    async def replies(_request: web.Request) -> web.Response:
        times: dict[str, list[float]] = {}
        for call in fake.calls:
            if call["status"] == 200 and call["method"] in SENDS:
                times.setdefault(str(call["params"].get("chat_id")), []).append(call["time"])
        return web.json_response(times)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/burst", burst)
    app.router.add_get("/replies", replies)
    return app


async def serve(rate: float, per_chat_rate: float, control: bool = False) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    fake = FakeTelegram(rate_limits=True, global_rate=rate, per_chat_rate=per_chat_rate)
    async with fake:
        info = {"base_url": fake.base_url, "token": fake.token}
        runner: web.AppRunner | None = None
        if control:
            runner = web.AppRunner(control_app(fake), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            info["control_url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
        print(json.dumps(info), flush=True)
        waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
        if not sys.stdin.isatty():
            # End of input means the parent is gone (even if it was killed).
            reader = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
            waiters.append(asyncio.ensure_future(reader.read()))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        if runner is not None:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=30.0, help="overall sends per second")
    parser.add_argument("--per-chat-rate", type=float, default=1.0, help="sends per second")
    parser.add_argument("--control", action="store_true", help="serve /burst and /replies")
    args = parser.parse_args()
    asyncio.run(serve(args.rate, args.per_chat_rate, args.control))


if __name__ == "__main__":
    main()
