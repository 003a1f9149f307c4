"""One handled update: what came in, who sent it, their state, and the replies being built."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import Translator
from handlers.values import Choice, Inbound, Reply
from storage.conversations import ConversationState
from storage.messaging.quiet_hours import QuietHours
from storage.models import ChannelIdentity, Person


@dataclass(frozen=True)
class HandlerConfig:
    """The few settings conversations need; filled from the process settings."""

    default_locale: str = "vi"
    link_code_minutes: int = 10
    link_codes_per_target: int = 3
    link_codes_per_claimant: int = 3
    bot_username: str | None = None
    # The page that opens the bot's Zalo chat (e.g. https://zalo.me/<bot id>), for links.
    zalo_bot_url: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    dialogue_offer_hours: int = 24
    dialogue_release_hours: int = 48
    # Where people reach this server (the office's web panel, links to files).
    public_url: str = "http://127.0.0.1:8080"
    panel_link_minutes: int = 10


class Turn:
    """Context of one update. Handlers read from it and `say` through it; nothing else sends."""

    def __init__(
        self,
        *,
        db: AsyncSession,
        inbound: Inbound,
        identity: ChannelIdentity,
        person: Person | None,
        conversation: ConversationState,
        translator: Translator,
        config: HandlerConfig,
        now: datetime,
        consented: bool,
    ) -> None:
        self.db = db
        self.inbound = inbound
        self.identity = identity
        self.person = person
        self.conversation = conversation
        self.t = translator
        self.config = config
        self.now = now
        self.replies: list[Reply] = []
        # Whether the person had consented when the update came in (read with the sender).
        self.consented_at_start = consented

    def _(self, message: str, **params: Any) -> str:
        return self.t._(message, **params)

    @property
    def today(self) -> date:
        """Today in the commune's time zone: the day deadlines and periods are counted in."""
        return self.now.astimezone(ZoneInfo(self.config.timezone)).date()

    @property
    def locale(self) -> str:
        return self.t.locale

    @property
    def data(self) -> dict[str, Any]:
        return self.conversation.data

    @property
    def step(self) -> tuple[str | None, str | None]:
        return self.conversation.flow, self.conversation.step

    def say(
        self,
        text: str,
        *,
        title: str | None = None,
        choices: list[Choice] | tuple[Choice, ...] = (),
        ask_contact: str | None = None,
        remove_keyboard: bool = False,
        file: tuple[str, str] | None = None,
        secret: bool = False,
        about: Iterable[int | None] = (),
    ) -> None:
        """Queue a reply; `about` names the people whose data it shows (for `/forget`)."""
        hint = None
        if choices or ask_contact:
            hint = self._("Type the number of your choice.")
        self.replies.append(
            Reply(
                text=text,
                title=title,
                choices=tuple(choices),
                ask_contact=ask_contact,
                remove_keyboard=remove_keyboard,
                hint=hint,
                file=file,
                secret=secret,
                about=tuple(person_id for person_id in about if person_id is not None),
            )
        )

    def go(self, flow: str, step: str, **data: Any) -> None:
        """Move to a step; `data` is merged into the flow's data (a new dict, so it is saved)."""
        if flow != self.conversation.flow:
            self.conversation.data = {}
        self.conversation.flow = flow
        self.conversation.step = step
        self.conversation.data = {**self.conversation.data, **data}

    def end(self) -> None:
        self.conversation.flow = None
        self.conversation.step = None
        self.conversation.data = {}

    def offered(self) -> list[list[str]]:
        """The choices of the last reply that had any: what a typed number refers to."""
        for reply in reversed(self.replies):
            if reply.choices:
                return [[c.action, c.label] for c in reply.choices]
        return []
