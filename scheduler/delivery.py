"""What a channel's send can report back to the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Sent:
    pass


@dataclass(frozen=True)
class RetryLater:
    """Transient: the platform asked us to wait (429) or failed on its side (5xx, timeout)."""

    error: str
    after_seconds: float | None = None


@dataclass(frozen=True)
class Unreachable:
    """The person blocked the bot or deleted the chat: stop writing until they write again."""

    error: str


@dataclass(frozen=True)
class Rejected:
    """The platform refused this message for good (a bug on our side): no retry helps."""

    error: str


Delivery = Sent | RetryLater | Unreachable | Rejected


class Sender(Protocol):
    """One channel's outbound side: send one outbox payload to one chat."""

    async def send(self, chat_id: str, payload: dict[str, Any]) -> Delivery: ...
