"""Telegram through aiogram: receive (polling or webhook), normalise to `Inbound`, and send.

aiogram is used as the transport only (API client, update models); conversation state lives
in cutri's own tables, so aiogram's dispatcher and FSM are not used.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeDefault,
    BufferedInputFile,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from aiohttp import web

from bot.files import load_file, with_file_link
from bot.render import render_telegram
from bot.waiting import sleep_or_stop, unless_stopped
from bot.webhook_auth import UnreadableBody, carries_secret, read_json_body
from handlers.conversation import ConversationRunner
from handlers.i18n import LOCALES, translator
from handlers.notices import render_payload
from handlers.registry import MENU_COMMANDS
from handlers.values import Inbound, Kind
from scheduler.delivery import Delivery, Rejected, RetryLater, Sent, Unreachable

log = logging.getLogger(__name__)
CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhook/telegram"
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def message_to_inbound(message: Message, update_id: str) -> Inbound | None:
    sender = message.from_user
    if sender is None or sender.is_bot or message.chat.type != "private":
        return None
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "user_id": str(sender.id),
        "update_id": update_id,
        "language_code": sender.language_code,
    }
    if message.text is not None:
        text = message.text
        if text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            return Inbound(kind=Kind.COMMAND, command=name, text=rest.strip(), **base)
        return Inbound(kind=Kind.TEXT, text=text, **base)
    if message.contact is not None:
        return Inbound(
            kind=Kind.CONTACT,
            phone=message.contact.phone_number,
            phone_verified=message.contact.user_id == sender.id,
            **base,
        )
    if message.location is not None:
        return Inbound(
            kind=Kind.LOCATION,
            latitude=message.location.latitude,
            longitude=message.location.longitude,
            **base,
        )
    caption = message.caption or ""
    if message.photo:
        return Inbound(kind=Kind.PHOTO, file_ref=message.photo[-1].file_id, text=caption, **base)
    if message.document is not None:
        return Inbound(kind=Kind.FILE, file_ref=message.document.file_id, text=caption,
                       file_name=message.document.file_name, **base)
    voice = message.voice or message.audio or message.video_note
    if voice is not None:
        return Inbound(kind=Kind.VOICE, file_ref=voice.file_id, text=caption, **base)
    if message.sticker is not None:
        return Inbound(kind=Kind.STICKER, **base)
    return Inbound(kind=Kind.UNSUPPORTED, **base)


def update_to_inbound(update: Update) -> Inbound | None:
    update_id = str(update.update_id)
    if update.message is not None:
        return message_to_inbound(update.message, update_id)
    query = update.callback_query
    if query is not None and not query.from_user.is_bot:
        kind = Kind.CHOICE if query.data else Kind.UNSUPPORTED
        return Inbound(
            channel=CHANNEL,
            user_id=str(query.from_user.id),
            update_id=update_id,
            kind=kind,
            choice=query.data,
            language_code=query.from_user.language_code,
        )
    return None


class TelegramChannel:
    def __init__(
        self,
        token: str,
        runner: ConversationRunner,
        *,
        api_url: str,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        public_url: str = "http://127.0.0.1:8080",
    ) -> None:
        self.public_url = public_url
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
        self.bot = Bot(token=token, session=session)
        self.runner = runner
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.username: str | None = None

    async def start(self) -> None:
        me = await self.bot.get_me()
        self.username = me.username
        await self.set_commands()
        if self.webhook_url:
            await self.bot.set_webhook(
                self.webhook_url + WEBHOOK_PATH,
                secret_token=self.webhook_secret,
                allowed_updates=["message", "callback_query"],
            )
        else:
            await self.bot.delete_webhook()

    async def set_commands(self) -> None:
        for locale in LOCALES:
            t = translator(locale)
            commands = [BotCommand(command=name, description=t._(text))
                        for name, text in MENU_COMMANDS]
            await self.bot.set_my_commands(commands, language_code=locale)
        default = translator(LOCALES[0])
        await self.bot.set_my_commands(
            [BotCommand(command=name, description=default._(text))
             for name, text in MENU_COMMANDS],
            scope=BotCommandScopeDefault(),
        )

    async def close(self) -> None:
        await self.bot.session.close()

    async def poll(self, stop: asyncio.Event) -> None:
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            try:
                updates = await unless_stopped(stop, self.bot.get_updates(
                    offset=offset, timeout=25, allowed_updates=["message", "callback_query"]
                ))
                failures = 0
            except Exception as error:  # network, API or an update aiogram cannot parse
                failures += 1
                log.warning("getUpdates failed", extra={"error": type(error).__name__})
                await sleep_or_stop(stop, min(30.0, 2.0**failures))
                continue
            if updates is None:
                return
            await asyncio.gather(*(self.receive(update) for update in updates))
            if updates:
                offset = updates[-1].update_id + 1

    async def receive(self, update: Update) -> None:
        # The update joins its sender's queue first: answering the press waits on the network,
        # and a text sent right after the press must not be handled before it.
        inbound = update_to_inbound(update)
        handled = self.runner.submit(inbound) if inbound is not None else None
        if update.callback_query is not None:
            await self._answer_callback(update.callback_query.id)
        if handled is not None:
            await handled

    async def _answer_callback(self, query_id: str) -> None:
        """Stops the button's spinner; an acknowledgement, not a message to the person."""
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramAPIError:
            log.info("callback answer failed")

    async def webhook(self, request: web.Request) -> web.Response:
        if not carries_secret(request, SECRET_HEADER, self.webhook_secret):
            return web.json_response({"ok": False}, status=401)
        try:
            body = await read_json_body(request)
        except UnreadableBody:
            return web.json_response({"ok": False}, status=400)
        try:
            update = Update.model_validate(body, context={"bot": self.bot})
        except ValueError:
            # Telegram would redeliver a refused update forever: acknowledge and drop it.
            log.warning("unreadable update dropped", extra={"channel": CHANNEL})
            return web.json_response({"ok": True})
        await self.receive(update)
        return web.json_response({"ok": True})

    async def send(self, chat_id: str, payload: dict[str, Any]) -> Delivery:
        reply = render_payload(payload, payload.get("locale"))
        try:
            if reply.file is not None and not await self._send_file(int(chat_id), *reply.file):
                reply = with_file_link(reply, self.public_url)
            for message in render_telegram(reply):
                await self.bot.send_message(
                    chat_id=int(chat_id),
                    text=message.html,
                    parse_mode="HTML",
                    reply_markup=to_markup(message.markup),
                )
        except TelegramRetryAfter as error:
            return RetryLater(error="429", after_seconds=float(error.retry_after))
        except TelegramForbiddenError as error:
            return Unreachable(error=error.message)
        except TelegramBadRequest as error:
            if "chat not found" in error.message.lower():
                return Unreachable(error=error.message)
            return Rejected(error=error.message)
        except (TelegramServerError, TelegramNetworkError) as error:
            return RetryLater(error=type(error).__name__)
        except TelegramAPIError as error:
            return Rejected(error=error.message)
        return Sent()


    async def _send_file(self, chat_id: int, token: str, name: str) -> bool:
        """Send the file itself; False when Telegram cannot take it (then the text links it)."""
        loaded = await load_file(self.runner.db, token)
        if loaded is None:
            # Expired before it could leave: the text still goes, and says what it was.
            log.warning("file expired before sending", extra={"channel": CHANNEL})
            return True
        document: BufferedInputFile | str
        source = loaded.source or ""
        if loaded.content is not None:
            document = BufferedInputFile(loaded.content, filename=loaded.name)
        elif source.startswith("telegram:"):
            document = source.removeprefix("telegram:")  # re-sent by its id
        elif loaded.mime.startswith("image/"):
            document = source.partition(":")[2]  # a photo's URL Telegram fetches itself
        else:
            # By URL Telegram takes only photos, PDF and ZIP: a Zalo voice note goes as our
            # link, which fetches it when opened.
            return False
        if loaded.mime.startswith("image/"):
            await self.bot.send_photo(chat_id=chat_id, photo=document)
        elif loaded.mime.startswith("audio/") and source.startswith("telegram:"):
            await self.bot.send_voice(chat_id=chat_id, voice=document)
        else:
            await self.bot.send_document(chat_id=chat_id, document=document)
        return True

    async def download(self, file_id: str) -> bytes:
        """A user's file from Telegram (up to the Bot API's 20 MB), for channels without files."""
        telegram_file = await self.bot.get_file(file_id)
        if telegram_file.file_path is None:
            raise ValueError("Telegram gave no file path")
        buffer = await self.bot.download_file(telegram_file.file_path)
        assert buffer is not None
        return buffer.read()


def to_markup(markup: dict[str, Any] | None) -> Markup | None:
    if markup is None:
        return None
    if "inline_keyboard" in markup:
        return InlineKeyboardMarkup.model_validate(markup)
    if "keyboard" in markup:
        return ReplyKeyboardMarkup.model_validate(markup)
    return ReplyKeyboardRemove.model_validate(markup)
