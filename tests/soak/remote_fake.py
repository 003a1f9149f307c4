"""The soak's fake Telegram in a process of its own, and the soak's view of it.

    python -m tests.soak.remote_fake --rate 30 --per-chat-rate 1

The fake judges the pace by when it handles each call. In the soak's own process, 2,000
residents and the load balancer share its event loop: a busy second there delays the calls
it handles, which then land together and earn 429s the bot did not cause. Apart, it keeps
its own pace (the machine's monotonic clock is the same in both processes), and it asks for
a higher CPU priority (as root): on a machine with more work than cores, a fake left waiting
a second for a core handles that second's calls at once, a burst the replicas never sent.

The child prints one JSON line (`base_url`, `token`) once it listens and serves until its
standard input ends (so it never outlives the soak). Besides the Bot API it serves `/_soak/`:
`say` builds a resident's update (a text, or a press on a button the bot sent), `messages`
waits for a chat's next messages, `reached` counts the chats of a range that got anything,
`results` hands over what the figures need. `LocalTelegram` gives the same view of a fake in
the soak's own process (the short CI test).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from tests.fakes.telegram import FakeTelegram

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Results:
    """What the figures need of the fake, once the run is over."""

    sent_chats: list[int]  # the chat of each message sent, in order
    calls: list[dict[str, Any]]  # time, status, method, chat_id of each call
    rate_limited_count: int
    retry_window_violations: int
    violations: list[str]


class TelegramView(Protocol):
    token: str
    base_url: str

    def messages_for(self, chat: int) -> list[dict[str, Any]]: ...
    async def wait_for(self, chat: int, count: int, seconds: float) -> None: ...
    async def text(self, chat: int, value: str) -> dict[str, Any]: ...
    async def press(self, chat: int, data: str, message_id: int) -> dict[str, Any]: ...
    async def deliver(self, update: dict[str, Any], url: str, secret: str) -> int: ...
    async def remember_chats(self, chats: list[int]) -> None: ...
    async def reached(self, first: int, count: int) -> int: ...
    async def sent_count(self) -> int: ...
    async def progress(self) -> tuple[int, int]:
        """Messages sent and 429s answered so far."""
        ...
    async def results(self) -> Results: ...


def _results(fake: FakeTelegram) -> Results:
    return Results(
        sent_chats=[int(entry["chat_id"]) for entry in fake.sent],
        calls=[{"time": call["time"], "status": call["status"], "method": call["method"],
                "chat_id": call["params"].get("chat_id")} for call in fake.calls],
        rate_limited_count=fake.rate_limited_count,
        retry_window_violations=fake.retry_window_violations,
        violations=[str(line) for line in fake.violations])


class LocalTelegram:
    """The view of a fake in this process."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.token = fake.token
        self.base_url = fake.base_url
        self._http: aiohttp.ClientSession | None = None

    def messages_for(self, chat: int) -> list[dict[str, Any]]:
        return self.fake.messages_for(chat)

    async def wait_for(self, chat: int, count: int, seconds: float) -> None:
        await self.fake.wait_for(chat, count, timeout=seconds)

    async def text(self, chat: int, value: str) -> dict[str, Any]:
        return self.fake.text(chat, value)

    async def press(self, chat: int, data: str, message_id: int) -> dict[str, Any]:
        return self.fake.press(chat, data, message_id=message_id)

    async def deliver(self, update: dict[str, Any], url: str, secret: str) -> int:
        status, _body = await self.fake.deliver(update, url=url, secret=secret)
        return status

    async def remember_chats(self, chats: list[int]) -> None:
        self.fake.remember_chats(chats)

    async def reached(self, first: int, count: int) -> int:
        return sum(1 for chat in range(first, first + count) if self.fake.messages_for(chat))

    async def sent_count(self) -> int:
        return len(self.fake.sent)

    async def progress(self) -> tuple[int, int]:
        return len(self.fake.sent), self.fake.rate_limited_count

    async def results(self) -> Results:
        return _results(self.fake)


class RemoteTelegram:
    """The view of `python -m tests.soak.remote_fake`, started and stopped with it."""

    def __init__(self, rate: float, per_chat_rate: float) -> None:
        self.rate = rate
        self.per_chat_rate = per_chat_rate
        self.token = ""
        self.base_url = ""
        self.control_url = ""
        self._process: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None
        self._messages: dict[int, list[dict[str, Any]]] = {}

    async def __aenter__(self) -> RemoteTelegram:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.soak.remote_fake", "--rate", str(self.rate),
            "--per-chat-rate", str(self.per_chat_rate), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)
        assert self._process.stdout is not None
        info = json.loads(await self._process.stdout.readline())
        self.base_url, self.token = info["base_url"], info["token"]
        self.control_url = info["control_url"]
        self._http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=120), connector=aiohttp.TCPConnector(limit=0))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._http is not None:
            await self._http.close()
        if self._process is not None and self._process.returncode is None:
            assert self._process.stdin is not None
            self._process.stdin.close()  # the child ends when its input does
            try:
                await asyncio.wait_for(self._process.wait(), 10)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()

    async def _get(self, path: str, **params: Any) -> Any:
        assert self._http is not None
        async with self._http.get(self.control_url + path, params=params) as answer:
            answer.raise_for_status()
            return await answer.json()

    async def _post(self, path: str, body: Any) -> Any:
        assert self._http is not None
        async with self._http.post(self.control_url + path, json=body) as answer:
            answer.raise_for_status()
            return await answer.json()

    def messages_for(self, chat: int) -> list[dict[str, Any]]:
        return list(self._messages.get(chat, ()))

    async def wait_for(self, chat: int, count: int, seconds: float) -> None:
        known = self._messages.setdefault(chat, [])
        if len(known) < count:
            known += await self._get("/_soak/messages", chat=chat, after=len(known),
                                     count=count, wait=max(0.0, seconds))
        if len(known) < count:
            raise AssertionError(f"chat {chat}: {len(known)} of {count} messages")

    async def text(self, chat: int, value: str) -> dict[str, Any]:
        update: dict[str, Any] = await self._post("/_soak/say", {"chat": chat, "text": value})
        return update

    async def press(self, chat: int, data: str, message_id: int) -> dict[str, Any]:
        update: dict[str, Any] = await self._post(
            "/_soak/say", {"chat": chat, "data": data, "message_id": message_id})
        return update

    async def deliver(self, update: dict[str, Any], url: str, secret: str) -> int:
        assert self._http is not None
        async with self._http.post(url, json=update, headers={SECRET_HEADER: secret}) as answer:
            await answer.read()
            return answer.status

    async def remember_chats(self, chats: list[int]) -> None:
        await self._post("/_fake/chats", chats)

    async def reached(self, first: int, count: int) -> int:
        return int(await self._get("/_soak/reached", first=first, count=count))

    async def sent_count(self) -> int:
        return (await self.progress())[0]

    async def progress(self) -> tuple[int, int]:
        sent, rate_limited = await self._get("/_soak/progress")
        return int(sent), int(rate_limited)

    async def results(self) -> Results:
        return Results(**await self._get("/_soak/results"))


def soak_routes(fake: FakeTelegram) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.post("/_soak/say")
    async def say(request: web.Request) -> web.Response:
        body = await request.json()
        chat = int(body["chat"])
        if "text" in body:
            return web.json_response(fake.text(chat, str(body["text"])))
        try:
            update = fake.press(chat, str(body["data"]), message_id=int(body["message_id"]))
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=409)
        return web.json_response(update)

    @routes.get("/_soak/messages")
    async def messages(request: web.Request) -> web.Response:
        chat, after = int(request.query["chat"]), int(request.query["after"])
        count, wait = int(request.query["count"]), float(request.query["wait"])
        with contextlib.suppress(AssertionError, TimeoutError):
            await fake.wait_for(chat, count, timeout=wait)
        return web.json_response(fake.messages_for(chat)[after:])

    @routes.get("/_soak/reached")
    async def reached(request: web.Request) -> web.Response:
        first, count = int(request.query["first"]), int(request.query["count"])
        return web.json_response(sum(1 for chat in range(first, first + count)
                                     if fake.messages_for(chat)))

    @routes.get("/_soak/progress")
    async def progress(_request: web.Request) -> web.Response:
        return web.json_response([len(fake.sent), fake.rate_limited_count])

    @routes.get("/_soak/results")
    async def results(_request: web.Request) -> web.Response:
        return web.json_response(_results(fake).__dict__)

    return routes


async def serve(rate: float, per_chat_rate: float) -> None:
    # Ahead of the replicas for the CPU, where allowed (root): a fake that waits for a core
    # handles a second's calls at once when it gets one, and answers 429 to a burst that
    # left the replicas at their pace.
    with contextlib.suppress(OSError):
        os.nice(-10)
    fake = FakeTelegram(rate_limits=True, global_rate=rate, per_chat_rate=per_chat_rate)
    async with fake:
        # The soak's routes on a port of their own: the fake's app is built and frozen.
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(soak_routes(fake))
        app.router.add_post("/_fake/chats", remember)
        app["fake"] = fake
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        control = f"http://127.0.0.1:{runner.addresses[0][1]}"
        print(json.dumps({"base_url": fake.base_url, "token": fake.token,
                          "control_url": control}), flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        await reader.read()  # until the soak closes our input, or dies
        await runner.cleanup()


async def remember(request: web.Request) -> web.Response:
    fake: FakeTelegram = request.app["fake"]
    fake.remember_chats(int(chat) for chat in await request.json())
    return web.json_response({"ok": True})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--per-chat-rate", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(serve(args.rate, args.per_chat_rate))


if __name__ == "__main__":
    main()
