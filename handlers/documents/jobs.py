"""Documents built in the background: each kind's builder, and the chat's side of asking.

A conversation asks for a document with `ask_for_document` and answers at once that the file
will follow; the document worker (`bot.documents`) later runs the kind's builder in two
steps: `gather` reads what the document needs, in a short transaction of its own, and
`build` makes the files from that, blocking, in a worker thread and outside any transaction
(that is the slow part: python-docx, openpyxl, LibreOffice). Each file then reaches the asker
as a notice (`handlers.notices`) carrying it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import Translator
from handlers.turn import Turn
from handlers.values import Choice, Reply
from storage.documents import DocumentFile, request_document
from storage.models import DocumentJob, Person

Gathered = TypeVar("Gathered")


@dataclass(frozen=True)
class DocumentRequest:
    """What a builder is told about the job: its parameters and who asked."""

    job_id: int
    kind: str
    params: dict[str, Any]
    person: Person
    locale: str


@dataclass(frozen=True)
class Builder(Generic[Gathered]):
    gather: Callable[[AsyncSession, DocumentRequest], Awaitable[Gathered]]
    # Blocking and slow; must not touch the database (it runs outside any transaction).
    build: Callable[[Gathered], Sequence[DocumentFile]]


BUILDERS: dict[str, Builder[Any]] = {}


def builder(kind: str, gather: Callable[[AsyncSession, DocumentRequest], Awaitable[Gathered]],
            build: Callable[[Gathered], Sequence[DocumentFile]]) -> None:
    """Register how documents of `kind` are made (once, next to the flow that asks for them)."""
    if kind in BUILDERS:
        raise ValueError(f"document kind {kind!r} registered twice")
    BUILDERS[kind] = Builder(gather, build)


async def ask_for_document(
    turn: Turn, kind: str, params: dict[str, Any], *,
    commune_id: int | None = None, roles: tuple[str, ...] = (),
) -> DocumentJob:
    """Record the request; the file is sent to this chat, in this language, when it is built."""
    assert turn.person is not None, "documents are made for someone"
    return await request_document(turn.db, turn.identity, turn.person, kind, params,
                                  locale=turn.locale, commune_id=commune_id, roles=roles)


def preparing(t: Translator) -> str:
    """What the asker reads at once."""
    return t._("Preparing the file; it will follow shortly.")


def back_to_menu(t: Translator) -> tuple[Choice, ...]:
    return (Choice("menu:main", t._("↩ Main menu")),)


def _failed(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(text=t._("Sorry, the file could not be made. Please ask for it again later."),
                 choices=back_to_menu(t))


DOCUMENT_NOTICES: dict[str, Callable[[Translator, dict[str, Any]], Reply]] = {
    "document_failed": _failed,
}
