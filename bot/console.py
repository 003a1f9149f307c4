"""`cutri chat`: the local chat in a terminal, through the same handlers and outbox."""

from __future__ import annotations

import asyncio
import sys

from bot.app import build_process
from bot.local_chat import LocalChat
from bot.settings import Settings
from storage.demo import has_any_commune, seed_demo
from storage.migrate import upgrade_database_async

USER = "terminal-user"


async def run_console(settings: Settings) -> None:
    await upgrade_database_async(settings.database_url)
    process = build_process(settings.model_copy(update={"local_chat": True}))
    async with process.db.transaction() as session:
        if not await has_any_commune(session):
            await seed_demo(session)
    chat = process.local
    assert isinstance(chat, LocalChat)
    dispatcher = asyncio.create_task(process.dispatcher.run(process.stop))
    print("cutri — type a message, a number to choose, /help for help, Ctrl-D to quit.\n")
    seen = 0
    await chat.say(USER, "/start")
    try:
        while True:
            for message in await chat.wait_messages(USER, seen, wait_seconds=2.0):
                seen = max(seen, message["seq"])
                print(message["plain"] + "\n")
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            if line.strip():
                await chat.say(USER, line.strip())
        for message in await chat.wait_messages(USER, seen, wait_seconds=2.0):
            print(message["plain"] + "\n")
    finally:
        process.stop.set()
        await dispatcher
        await process.db.dispose()
