"""`cutri posters`: a commune's hamlet posters in one file to print, one page per hamlet.

The same pages the office gets from the chat menu. The bot's Telegram username and Zalo link
are given on the command line: the Telegram username is otherwise only known to a running
bot (it asks Telegram), and a code is printed only for a link that is known.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.settings import Settings

if TYPE_CHECKING:
    from handlers.documents.posters import HamletPoster, Office

_USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")


def add_parser(commands: Any) -> None:
    """The `posters` subcommand's arguments, on the `cutri` parser's subcommands."""
    posters = commands.add_parser(
        "posters", help="a commune's hamlet posters with QR codes, one page per hamlet"
    )
    posters.add_argument("--commune", required=True, help="commune code, e.g. tan-thuan-tay")
    posters.add_argument("--hamlet", help="only this hamlet (its code, e.g. ttt-tan-dan)")
    posters.add_argument("-o", "--output", required=True, type=Path,
                         help="file to write: a .pdf to print, or a .docx to edit first")
    posters.add_argument("--telegram-bot", metavar="USERNAME",
                         help="the bot's Telegram username, for the Telegram codes")
    posters.add_argument("--zalo-url", metavar="URL",
                         help="the bot's Zalo link, e.g. https://zalo.me/<id>, for the Zalo codes")


def write_posters(settings: Settings, args: argparse.Namespace) -> int:
    """Writes the posters file; 2 with one line on stderr for an operator's mistake."""
    # Imported here: every `cutri` command builds this parser, few make documents.
    from handlers.documents.pdf import PdfUnavailable, docx_to_pdf
    from handlers.documents.posters import build_posters_docx

    output: Path = args.output
    if output.suffix.lower() not in (".pdf", ".docx"):
        return _fail("the output file must end in .pdf or .docx")
    # The flags win over the settings, so an operator can print for another bot.
    username = settings.telegram_bot_username
    if args.telegram_bot:
        match = _USERNAME.match(args.telegram_bot.strip())
        if match is None:
            return _fail(f"{args.telegram_bot!r} is not a Telegram username")
        username = match.group(1)
    zalo = (args.zalo_url or settings.zalo_bot_url or "").strip() or None
    if zalo is not None and not zalo.startswith("https://"):
        return _fail("--zalo-url must be an https:// link")
    found = asyncio.run(_read(settings, args.commune, args.hamlet, username, zalo))
    if isinstance(found, str):
        return _fail(found)
    office, posters = found
    docx = build_posters_docx(office, posters)
    if output.suffix.lower() == ".docx":
        content = docx
    else:
        try:
            content = docx_to_pdf(docx)
        except PdfUnavailable as error:
            return _fail(f"{error}; install LibreOffice, or write a .docx instead")
    output.write_bytes(content)
    print(f"{len(posters)} poster(s) of {office.commune} written to {output}")
    if username is None:
        print("note: without --telegram-bot (or TELEGRAM_BOT_USERNAME) the posters have no "
              "Telegram code")
    if zalo is None:
        print("note: without --zalo-url (or ZALO_BOT_URL) the posters have no Zalo code")
    return 0


async def _read(settings: Settings, commune_code: str, hamlet_code: str | None,
                username: str | None, zalo: str | None) -> tuple[Office, list[HamletPoster]] | str:
    """The office and the posters to print, or what is wrong with the codes given."""
    from handlers.posters import hamlet_posters, office_of
    from storage.db import Database
    from storage.places import find_commune_by_code

    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            commune = await find_commune_by_code(session, commune_code)
            if commune is None:
                return f"no commune with code {commune_code!r}"
            posters = await hamlet_posters(session, commune, bot_username=username,
                                           zalo_link=zalo, hamlet_code=hamlet_code)
            office = office_of(commune)
    finally:
        await db.dispose()
    if not posters:
        return (f"no hamlet with code {hamlet_code!r} in {office.commune}" if hamlet_code
                else f"{office.commune} has no hamlets")
    return office, posters


def _fail(message: str) -> int:
    print(f"cutri: {message}", file=sys.stderr)
    return 2
