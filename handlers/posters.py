"""Posters to print for the commune office: every hamlet's page in one PDF, from the menu.

The posters are in Vietnamese whatever the reader's language (they are pinned up in the
hamlets); the chat around them follows the reader's language. The same pages come out of
`cutri posters` for an operator.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.documents.pdf import PdfUnavailable, docx_to_pdf
from handlers.documents.posters import HamletPoster, Office, build_posters_docx
from handlers.links import telegram_start_link, zalo_chat_link
from handlers.menu import show_menu, show_result
from handlers.registry import action
from handlers.turn import Turn
from handlers.working_commune import working_commune
from storage.files import store_file
from storage.models import Commune
from storage.permissions import OFFICE_ROLES
from storage.places import get_commune, list_hamlets

log = logging.getLogger(__name__)


def office_of(commune: Commune) -> Office:
    return Office(commune=commune.name, phone=commune.office_phone, address=commune.address,
                  opening_hours=commune.opening_hours,
                  reception_schedule=commune.reception_schedule)


async def hamlet_posters(
    db: AsyncSession, commune: Commune, *, bot_username: str | None, zalo_link: str | None,
    hamlet_code: str | None = None,
) -> list[HamletPoster]:
    """The posters of the commune's hamlets in their usual order, or of one of them."""
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
    docx = build_posters_docx(office, posters)
    try:
        return docx_to_pdf(docx), True
    except PdfUnavailable as error:
        # The office can still print the Word file; the operator learns why from the log.
        log.warning("posters sent as DOCX: %s", error)
        return docx, False


@action("menu:posters")
async def send_posters(turn: Turn) -> None:
    _ = turn._
    commune_id = await working_commune(turn, OFFICE_ROLES)
    commune = await get_commune(turn.db, commune_id) if commune_id is not None else None
    if commune is None:
        await show_menu(turn, _("Only the commune office can print the posters."))
        return
    zalo_link = zalo_chat_link(turn.config)
    posters = await hamlet_posters(turn.db, commune, bot_username=turn.config.bot_username,
                                   zalo_link=zalo_link)
    if not posters:
        await show_menu(turn, _("This commune has no hamlets yet, so there is nothing to print."))
        return
    # LibreOffice takes seconds: off the event loop, so other people's messages keep flowing.
    content, is_pdf = await asyncio.to_thread(make_pdf, office_of(commune), posters)
    # Nothing personal in it: the commune's public contacts and links.
    stored = store_file(turn.db, f"ap-phich-{commune.code}.{'pdf' if is_pdf else 'docx'}",
                        content, owner_id=turn.person.id if turn.person else None)
    lines = [_("One page for each hamlet, to print and put up at its cultural house.")]
    if not is_pdf:
        lines.append(_("The printable file could not be made; here is the Word file instead."))
    if turn.config.bot_username is None:
        lines.append(_("The Telegram codes are missing: the bot's Telegram name is not known."))
    if zalo_link is None:
        lines.append(_("The Zalo codes are missing: the bot's Zalo address is not set."))
    show_result(turn, "\n".join(lines), title=_("Posters to print"),
                file=(stored.token, stored.name))
