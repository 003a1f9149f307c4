"""A conversation driver for handler tests: send what a person sends, read what the bot queued."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select

from bot.documents import process_document_jobs
from handlers.conversation import ConversationRunner
from handlers.notices import render_payload
from handlers.turn import HandlerConfig
from handlers.values import Inbound, Kind, Reply
from storage.db import Database
from storage.models import ChannelIdentity, OutboxMessage, Person

_updates = itertools.count(1)


class Chat:
    def __init__(
        self, db: Database, *, channel: str = "telegram", user_id: str = "1001",
        runner: ConversationRunner | None = None,
    ) -> None:
        self.db = db
        self.channel = channel
        self.user_id = user_id
        self.runner = runner or ConversationRunner(db, HandlerConfig())
        self._seen = 0

    async def deliver(self, **fields: Any) -> list[Reply]:
        fields.setdefault("update_id", f"u{next(_updates)}")
        inbound = Inbound(channel=self.channel, user_id=self.user_id, **fields)
        self.last_outcome = await self.runner.handle(inbound)
        return await self.new_replies()

    async def send(self, text: str) -> list[Reply]:
        if text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            return await self.deliver(kind=Kind.COMMAND, command=head, text=rest)
        return await self.deliver(kind=Kind.TEXT, text=text)

    async def press(self, action: str) -> list[Reply]:
        return await self.deliver(kind=Kind.CHOICE, choice=action)

    async def share_contact(self, phone: str, *, own: bool = True) -> list[Reply]:
        return await self.deliver(kind=Kind.CONTACT, phone=phone, phone_verified=own)

    async def new_replies(self) -> list[Reply]:
        rows = await self.outbox_rows(after=self._seen)
        if rows:
            self._seen = rows[-1].id
        return [render_payload(row.payload, row.payload.get("locale")) for row in rows]

    async def documents(self) -> list[Reply]:
        """Let the document worker build what was asked for, and read what it sent."""
        await process_document_jobs(self.db)
        return await self.new_replies()

    async def person(self) -> Person | None:
        async with self.db.transaction() as session:
            query = select(Person).join(
                ChannelIdentity, ChannelIdentity.person_id == Person.id
            ).where(
                ChannelIdentity.channel == self.channel,
                ChannelIdentity.external_id == self.user_id,
            )
            return (await session.execute(query)).scalar_one_or_none()

    async def outbox_rows(self, after: int = 0) -> list[OutboxMessage]:
        async with self.db.transaction() as session:
            query = (
                select(OutboxMessage)
                .join(ChannelIdentity, ChannelIdentity.id == OutboxMessage.identity_id)
                .where(
                    ChannelIdentity.channel == self.channel,
                    ChannelIdentity.external_id == self.user_id,
                    OutboxMessage.id > after,
                )
                .order_by(OutboxMessage.id)
            )
            return list((await session.execute(query)).scalars())

    async def reach_name_step(self, hamlet_position: int = 1) -> list[Reply]:
        """Start, consent and pick a hamlet of the demo commune by its number."""
        await self.send("/start")
        await self.press("consent:yes")
        return await self.send(str(hamlet_position))

    async def menu_actions(self) -> list[str]:
        """Every item of the menu, through its "More" pages."""
        page = [c.action for r in await self.send("/menu") for c in r.choices]
        found = list(page)
        while more := [action for action in page if action.startswith("menu:more:")]:
            page = [c.action for r in await self.press(more[0]) for c in r.choices]
            found += page
        return found

    async def onboard(self, hamlet_position: int = 1) -> list[Reply]:
        """Onboard fully, skipping the name and the phone."""
        replies = await self.reach_name_step(hamlet_position)
        await self.press("name:skip")
        await self.press("phone:skip")
        return replies


def texts(replies: list[Reply]) -> str:
    return "\n".join((r.title or "") + "\n" + r.text for r in replies)


def actions(replies: list[Reply]) -> list[str]:
    return [choice.action for reply in replies for choice in reply.choices]
