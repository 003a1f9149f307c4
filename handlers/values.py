"""The values that cross the channel boundary: what came in (`Inbound`), what goes out (`Reply`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    CHOICE = "choice"
    CONTACT = "contact"
    LOCATION = "location"
    PHOTO = "photo"
    FILE = "file"
    VOICE = "voice"
    STICKER = "sticker"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Inbound:
    """One update from one person, normalised by a channel adapter."""

    channel: str
    user_id: str
    update_id: str
    kind: Kind
    text: str = ""
    command: str | None = None
    choice: str | None = None
    phone: str | None = None
    # True only when the platform vouches that the shared contact is the sender's own.
    phone_verified: bool = False
    latitude: float | None = None
    longitude: float | None = None
    file_ref: str | None = None
    file_name: str | None = None
    language_code: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """The fields as a flat dict, to record and rebuild the update (`Inbound(**payload)`);
        `dataclasses.asdict` did the same at ten times the cost, on every arriving update."""
        return {name: getattr(self, name) for name in _INBOUND_FIELDS}


_INBOUND_FIELDS = tuple(field.name for field in fields(Inbound))


@dataclass(frozen=True)
class Choice:
    """An option the user can pick: a button on Telegram, a number on Zalo."""

    action: str
    label: str


@dataclass(frozen=True)
class Reply:
    """An abstract message; each adapter draws it within its platform's limits."""

    text: str
    title: str | None = None
    choices: tuple[Choice, ...] = ()
    # Label of a "share my phone number" button; adapters without one ask in words.
    ask_contact: str | None = None
    remove_keyboard: bool = False
    hint: str | None = field(default=None, compare=False)
    # A stored file sent with the text: (token, file name); see storage.files.
    file: tuple[str, str] | None = None
    # Carries a one-time secret (an invite link): the outbox keeps no copy once it is sent.
    secret: bool = False
    # The people whose data the text shows (not sent): `/forget` finds this copy by them.
    about: tuple[int, ...] = field(default=(), compare=False)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": self.text}
        if self.title:
            payload["title"] = self.title
        if self.choices:
            payload["choices"] = [[c.action, c.label] for c in self.choices]
        if self.ask_contact:
            payload["ask_contact"] = self.ask_contact
        if self.remove_keyboard:
            payload["remove_keyboard"] = True
        if self.hint:
            payload["hint"] = self.hint
        if self.file:
            payload["file"] = list(self.file)
        if self.secret:
            payload["secret"] = True
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Reply:
        return cls(
            text=str(payload.get("text", "")),
            title=payload.get("title"),
            choices=tuple(Choice(str(a), str(label)) for a, label in payload.get("choices", [])),
            ask_contact=payload.get("ask_contact"),
            remove_keyboard=bool(payload.get("remove_keyboard", False)),
            hint=payload.get("hint"),
            file=(str(payload["file"][0]), str(payload["file"][1])) if payload.get("file")
            else None,
        )
