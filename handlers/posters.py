"""Posters to print for the commune office: every hamlet's page in one PDF, from the menu.

The posters are in Vietnamese whatever the reader's language (they are pinned up in the
hamlets); the chat around them follows the reader's language. The same pages come out of
`cutri posters` for an operator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.documents.jobs import (
    DocumentRequest,
    ask_for_document,
    back_to_menu,
    builder,
    preparing,
)
from handlers.i18n import Translator
from handlers.links import telegram_start_link, zalo_chat_link
from handlers.menu import show_menu, show_result
from handlers.registry import action
from handlers.turn import Turn
from handlers.values import Reply
from handlers.working_commune import working_commune
from storage.documents import DocumentFile
from storage.models import Commune
from storage.permissions import OFFICE_ROLES
from storage.places import get_commune, list_hamlets

if TYPE_CHECKING:
    from handlers.documents.posters import HamletPoster, Office

log = logging.getLogger(__name__)


def office_of(commune: Commune) -> Office:
    # The document libraries load when a document is made, not with the bot.
    from handlers.documents.posters import Office

    return Office(commune=commune.name, phone=commune.office_phone, address=commune.address,
                  opening_hours=commune.opening_hours,
                  reception_schedule=commune.reception_schedule)


async def hamlet_posters(
    db: AsyncSession, commune: Commune, *, bot_username: str | None, zalo_link: str | None,
    hamlet_code: str | None = None,
) -> list[HamletPoster]:
    """The posters of the commune's hamlets in their usual order, or of one of them."""
    from handlers.documents.posters import HamletPoster

    return [
        HamletPoster(hamlet.name, hamlet.code, telegram_start_link(bot_username, hamlet.code),
                     zalo_link)
        for hamlet in await list_hamlets(db, commune.id)
        if hamlet_code is None or hamlet.code == hamlet_code.strip().lower()
    ]


def make_pdf(office: Office, posters: list[HamletPoster]) -> tuple[bytes, bool]:
    """The posters as a PDF, or as the DOCX when LibreOffice is missing or fails; blocking.

    Returns the content and whether it is a PDF.
    """
    from handlers.documents.pdf import PdfUnavailable, docx_to_pdf
    from handlers.documents.posters import build_posters_docx

    docx = build_posters_docx(office, posters)
    try:
        return docx_to_pdf(docx), True
    except PdfUnavailable as error:
        # The office can still print the Word file; the operator learns why from the log.
        log.warning("posters sent as DOCX: %s", error)
        return docx, False


@dataclass(frozen=True)
class PostersToBuild:
    commune_code: str
    office: Office
    posters: list[HamletPoster]


async def gather_posters(db: AsyncSession, request: DocumentRequest) -> PostersToBuild:
    commune = await get_commune(db, int(request.params["commune_id"]))
    if commune is None:
        raise LookupError("the commune is gone")
    posters = await hamlet_posters(db, commune, bot_username=request.params.get("bot_username"),
                                   zalo_link=request.params.get("zalo_link"))
    return PostersToBuild(commune.code, office_of(commune), posters)


def build_posters(gathered: PostersToBuild) -> list[DocumentFile]:
    content, is_pdf = make_pdf(gathered.office, gathered.posters)
    telegram = all(poster.telegram_link for poster in gathered.posters)
    zalo = all(poster.zalo_link for poster in gathered.posters)
    # Nothing personal in it: the commune's public contacts and links.
    return [DocumentFile(f"ap-phich-{gathered.commune_code}.{'pdf' if is_pdf else 'docx'}",
                         content, "posters_ready",
                         {"pdf": is_pdf, "telegram": telegram, "zalo": zalo})]


builder("posters", gather_posters, build_posters)


def posters_ready(t: Translator, params: dict[str, Any]) -> Reply:
    """The posters' file, with what is missing from it."""
    lines = [t._("One page for each hamlet, to print and put up at its cultural house.")]
    if not params.get("pdf"):
        lines.append(t._("The printable file could not be made; here is the Word file instead."))
    if not params.get("telegram"):
        lines.append(t._("The Telegram codes are missing: the bot's Telegram name is not known."))
    if not params.get("zalo"):
        lines.append(t._("The Zalo codes are missing: the bot's Zalo address is not set."))
    attached = params.get("file")
    return Reply(text="\n".join(lines), title=t._("Posters to print"),
                 file=(str(attached[0]), str(attached[1])) if attached else None,
                 choices=back_to_menu(t))


@action("menu:posters")
async def send_posters(turn: Turn) -> None:
    _ = turn._
    commune_id = await working_commune(turn, OFFICE_ROLES)
    commune = await get_commune(turn.db, commune_id) if commune_id is not None else None
    if commune is None:
        await show_menu(turn, _("Only the commune office can print the posters."))
        return
    if not await list_hamlets(turn.db, commune.id):
        await show_menu(turn, _("This commune has no hamlets yet, so there is nothing to print."))
        return
    # LibreOffice takes seconds: the worker builds the file after this update's transaction,
    # so the other people whose updates share it are not held up meanwhile.
    await ask_for_document(turn, "posters", {
        "commune_id": commune.id, "bot_username": turn.config.bot_username,
        "zalo_link": zalo_chat_link(turn.config)}, commune_id=commune.id, roles=OFFICE_ROLES)
    show_result(turn, preparing(turn.t), title=_("Posters to print"))
