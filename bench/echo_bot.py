"""The baseline of `bench.inbound`: a bare aiogram 3 echo bot, long polling.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT python -m bench.echo_bot

aiogram's own Dispatcher answers each text with the same text; a button press is acknowledged
(answerCallbackQuery, as cutri does) and its data sent back, so every update gets one reply.
No database, no state: the least a Python Telegram bot on aiogram costs per update.
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message


def build_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    @dispatcher.callback_query()
    async def pressed(query: CallbackQuery, bot: Bot) -> None:
        await query.answer()
        await bot.send_message(query.from_user.id, query.data or "?")

    return dispatcher


async def run() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(token=os.environ["TELEGRAM_BOT_TOKEN"], session=session)
    await bot.delete_webhook()
    await build_dispatcher().start_polling(bot, handle_signals=True, close_bot_session=True)


if __name__ == "__main__":
    asyncio.run(run())
