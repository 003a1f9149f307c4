"""Posters for the hamlets' cultural houses: what the bot does and how to reach it, in large type.

One A4 page per hamlet, in Vietnamese whatever the reader's language (it is pinned up in the
hamlet): the commune and hamlet, four short lines on what the bot is for, a QR code for
Telegram and one for Zalo with their links written out, the office's contacts, and who runs
it. Telegram's code opens the bot with the hamlet as its start argument; Zalo has no such
argument, so its poster asks the villager to type the hamlet's code after scanning.

The links come from the caller: a link that is not configured (no bot username, no Zalo
address) leaves its code out with a note, rather than printing a code that leads nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from math import ceil
from typing import Final

import segno
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Length

from handlers.documents.layout import (
    Container,
    borderless_table,
    new_document,
    paragraph,
    place_name,
    rule,
    run,
    to_bytes,
    unit_in_sentence,
)
from handlers.documents.pdf import docx_to_pdf

# Wider than Decree 30's margins: a poster is not bound, and the codes need the room.
MARGIN: Final = Cm(1.5)
WIDTH: Final = Length(Cm(21) - 2 * MARGIN)
# The side of a code's dark square, quiet zone not counted, at least: a phone reads a 6 cm code
# from about a metre away (the usual rule: distance up to ten times the side).
QR_SIDE: Final = Cm(6.2)
# The printed width of a code with its quiet zone, the same in both columns so that the links
# under them line up; wider only for a code too small to reach QR_SIDE in it.
QR_WIDTH: Final = Cm(8.2)
# The white margin a reader needs around a code, in modules (the QR standard's four).
QR_QUIET: Final = 4
# Printed pixels per module in the picture: enough that no viewer blurs the edges.
QR_PIXELS: Final = 16
CENTER: Final = WD_ALIGN_PARAGRAPH.CENTER

HEADING: Final = 18.0
HAMLET: Final = 36.0
SMALLEST_HAMLET: Final = 24.0
SERVICE: Final = 22.0
CHANNEL: Final = 26.0
LINK: Final = 12.0
INSTRUCTION: Final = 17.0
CONTACT: Final = 17.0
SMALL: Final = 13.0

# A DOCX cannot shrink text to fit, so the page is fitted here from estimates, to keep each
# poster on its own page whatever the office entered. Measured on LibreOffice's rendering in
# Liberation Serif (Times New Roman's metric twin), with a margin for error:
# - the room left under everything else for the office's contacts, in points;
CONTACT_ROOM: Final = 165.0
# - the average advance of a character in ems: running text, and bold capitals;
TEXT_EM: Final = 0.5
CAPITALS_EM: Final = 0.7
# - the height of a line in ems.
LINE_EM: Final = 1.16
# Sizes of the contact lines (phone, other lines, reception days), largest first: the first
# set that fits is used.
CONTACT_SIZES: Final = ((CONTACT, CONTACT + 5, SMALL), (15.0, 19.0, 12.0), (13.0, 16.0, 11.0),
                        (12.0, 14.0, 10.0))


@dataclass(frozen=True)
class Office:
    """The commune and how to reach its office, as the commune's settings give them."""

    commune: str  # "Xã Tân Thuận Tây"
    phone: str | None = None
    address: str | None = None
    opening_hours: str | None = None
    reception_schedule: str | None = None


@dataclass(frozen=True)
class HamletPoster:
    """One hamlet's page: its name, the code villagers type on Zalo, and the two links."""

    name: str  # "Ấp Tân Dân"
    code: str  # "ttt-tan-dan"
    telegram_link: str | None
    zalo_link: str | None


def services(unit: str) -> list[str]:
    """What the bot does, in the words a villager uses; `unit` is "xã", "phường"..."""
    return [
        f"Gửi kiến nghị đến Hội đồng nhân dân {unit}",
        "Xem lịch tiếp xúc cử tri",
        "Đăng ký đối thoại chính sách",
        f"Nhận thông báo của {unit}",
    ]


def unit_word(commune: str) -> str:
    """"xã" for "Xã Tân Thuận Tây", "phường" for "Phường 3"; "xã" when the name has none."""
    in_sentence = unit_in_sentence(commune.strip())
    word = in_sentence[: len(in_sentence) - len(place_name(commune))].strip()
    return word if word and word != in_sentence else "xã"


def build_hamlet_poster_docx(
    office: Office, hamlet_name: str, hamlet_code: str, *,
    telegram_link: str | None, zalo_link: str | None,
) -> bytes:
    """One hamlet's poster as a one-page DOCX."""
    return build_posters_docx(office, [HamletPoster(hamlet_name, hamlet_code,
                                                    telegram_link, zalo_link)])


def build_posters_docx(office: Office, posters: Sequence[HamletPoster]) -> bytes:
    """The posters of `posters`, one page each, in one DOCX to print at once."""
    document = new_document(CONTACT, page_numbers=False)
    section = document.sections[0]
    section.top_margin = section.bottom_margin = MARGIN
    section.left_margin = section.right_margin = MARGIN
    for number, poster in enumerate(posters):
        _poster_page(document, office, poster, new_page=number > 0)
    return to_bytes(document)


def build_posters_pdf(office: Office, posters: Sequence[HamletPoster]) -> bytes:
    """The posters as a PDF, ready to print. Blocking (LibreOffice): call it off the loop."""
    return docx_to_pdf(build_posters_docx(office, posters))


def _poster_page(
    document: DocxDocument, office: Office, poster: HamletPoster, *, new_page: bool
) -> None:
    unit = unit_word(office.commune)
    council = f"Hội đồng nhân dân {unit_in_sentence(office.commune.strip())}"
    top = paragraph(document, council.upper(), size=HEADING, bold=True, align=CENTER)
    top.paragraph_format.page_break_before = new_page
    name = poster.name.strip().upper()
    name_size = hamlet_size(name)
    paragraph(document, name, size=name_size, bold=True, align=CENTER, before=4)
    rule(document, Cm(8), WIDTH)
    paragraph(document, "Trên điện thoại, bà con có thể:", size=SERVICE, bold=True, before=12,
              after=4)
    for service in services(unit):
        line = paragraph(document, f"•\t{service}", size=SERVICE, after=2)
        line.paragraph_format.left_indent = Cm(1.6)
        line.paragraph_format.first_line_indent = Cm(-0.8)
        line.paragraph_format.tab_stops.add_tab_stop(Cm(1.6))
    codes = borderless_table(document, [Length(WIDTH // 2)] * 2)
    codes.alignment = WD_TABLE_ALIGNMENT.CENTER
    telegram, zalo = codes.rows[0].cells
    _code_column(telegram, "Telegram", poster.telegram_link, unit,
                 "Quét mã, rồi bấm nút bắt đầu.", None)
    _code_column(zalo, "Zalo", poster.zalo_link, unit, "Quét mã, rồi gõ:", poster.code)
    # A name too long for one line even when smaller takes room from the contacts.
    spare = (1 - _lines(name, name_size, CAPITALS_EM)) * name_size * LINE_EM
    _contacts(document, office, unit, CONTACT_ROOM + spare)
    paragraph(
        document,
        f"Trợ lý tự động, không mất phí, do {council} quản lý. "
        f"Cán bộ {unit} đọc và trả lời những gì bà con gửi.",
        size=SMALL, italic=True, align=CENTER, before=10,
    )


def _code_column(
    cell: Container, channel: str, link: str | None, unit: str, instruction: str,
    typed: str | None,
) -> None:
    paragraph(cell, channel, size=CHANNEL, bold=True, align=CENTER, before=14)
    if link is None:
        # A code nobody can use would send villagers nowhere: say so, and where to ask.
        paragraph(cell, f"Chưa có mã {channel}.\nXin hỏi Văn phòng {unit}.", size=INSTRUCTION,
                  italic=True, align=CENTER, before=24)
        return
    picture = paragraph(cell, align=CENTER)
    png, width = qr_png(link)
    picture.add_run().add_picture(BytesIO(png), width=width)
    paragraph(cell, link, size=LINK, align=CENTER)
    line = paragraph(cell, instruction, size=INSTRUCTION, bold=True, align=CENTER, before=6)
    if typed is not None:
        run(line, " " + typed, size=INSTRUCTION + 5, bold=True)


def qr_png(link: str) -> tuple[bytes, Length]:
    """The QR code of `link` as a PNG, and its printed width: QR_WIDTH, or more when needed for
    the code to be QR_SIDE across."""
    # Level M by default, raised by segno when the same size allows: a poster on a wall
    # gets dusty and faded.
    code = segno.make(link, error="m", micro=False)
    modules = int(code.symbol_size(scale=1, border=0)[0])
    buffer = BytesIO()
    code.save(buffer, kind="png", scale=QR_PIXELS, border=QR_QUIET)
    needed = QR_SIDE * (modules + 2 * QR_QUIET) // modules
    return buffer.getvalue(), Length(max(QR_WIDTH, needed))


def hamlet_size(name: str) -> float:
    """The largest size, up to HAMLET, at which the hamlet's name fits on one line."""
    fitting = float(WIDTH.pt) / (max(len(name), 1) * CAPITALS_EM)
    return float(max(SMALLEST_HAMLET, min(HAMLET, int(fitting))))


def _lines(text: str, size: float, em: float = TEXT_EM) -> int:
    return max(1, ceil(len(text) * size * em / float(WIDTH.pt)))


def _contacts(document: DocxDocument, office: Office, unit: str, room: float) -> None:
    # (label, value, which size of a CONTACT_SIZES set: 0 running text, 1 phone, 2 small)
    entries = [
        (label, value.strip(), kind)
        for label, value, kind in (
            ("Điện thoại: ", office.phone, 1),
            ("Địa chỉ: ", office.address, 0),
            ("Giờ làm việc: ", office.opening_hours, 0),
            ("Tiếp công dân: ", office.reception_schedule, 2),
        )
        if value and value.strip()
    ]
    if not entries:
        return
    for sizes in CONTACT_SIZES:
        height = 16 + sizes[0] * LINE_EM + sum(
            _lines(label + value, sizes[kind]) * sizes[kind] * LINE_EM + 1
            for label, value, kind in entries
        )
        if height <= room:
            break
    paragraph(document, f"Cần giúp đỡ, xin liên hệ Văn phòng {unit}:", size=sizes[0],
              bold=True, before=14, after=2)
    for label, value, kind in entries:
        line = paragraph(document, label, size=sizes[kind], after=1)
        # The phone is what people copy down: in bold.
        run(line, value, size=sizes[kind], bold=kind == 1)
