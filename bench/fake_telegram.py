"""The fake Telegram Bot API server as a process of its own, for the broadcast benchmark.

    python -m bench.fake_telegram --rate 1000 [--per-chat-rate 1]

It prints one JSON line (``{"base_url": ..., "token": ...}``) once it listens, then serves
until SIGTERM, SIGINT or the end of its standard input (so it never outlives a parent that
died). The parent registers the recipients with ``POST /_fake/chats`` and reads the counters
with ``GET /_fake/stats``. Running it apart keeps its CPU out of the bot's figures and off the
bot's core: the fake checks every call against the Bot API schema, which is not cheap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

from tests.fakes.telegram import FakeTelegram


async def serve(rate: float, per_chat_rate: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    fake = FakeTelegram(rate_limits=True, global_rate=rate, per_chat_rate=per_chat_rate)
    async with fake:
        print(json.dumps({"base_url": fake.base_url, "token": fake.token}), flush=True)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=30.0, help="overall sends per second")
    parser.add_argument("--per-chat-rate", type=float, default=1.0, help="sends per second")
    args = parser.parse_args()
    asyncio.run(serve(args.rate, args.per_chat_rate))


if __name__ == "__main__":
    main()
