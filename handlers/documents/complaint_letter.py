"""A complaint (đơn khiếu nại) or denunciation (đơn tố cáo) letter for a citizen to print and sign.

The parts follow the forms of Decree 124/2020/NĐ-CP (complaints) and Decree 31/2019/NĐ-CP
(denunciations), laid out as Decree 30/2020/NĐ-CP asks; anything we do not know is left as
dotted space to fill in by hand.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from handlers.documents.layout import (
    HANDWRITING_SPACING,
    TEXT_WIDTH,
    clean_text,
    date_phrase,
    dotted_line,
    national_motto,
    new_document,
    paragraph,
    run,
    to_bytes,
    unit_in_sentence,
)

BODY_SIZE: Final = 13
INDENT: Final = Cm(1)
COMMITMENT: Final = (
    "Tôi cam đoan những nội dung tố cáo trên là đúng sự thật và chịu trách nhiệm trước "
    "pháp luật về nội dung tố cáo."
)


class _Kind:
    def __init__(self, title: str, subject: str, about: str, content: str, signer: str) -> None:
        self.title = title
        self.subject = subject  # whom the letter is about, on a dotted line
        self.about = about  # what the letter is about, on a dotted line
        self.content = content
        self.signer = signer


_KINDS: Final = {
    "complaint": _Kind(
        title="ĐƠN KHIẾU NẠI",
        subject="Tên cơ quan, tổ chức, cá nhân bị khiếu nại: ",
        about="Khiếu nại về việc: ",
        content="Nội dung khiếu nại:",
        signer="NGƯỜI KHIẾU NẠI",
    ),
    "denunciation": _Kind(
        title="ĐƠN TỐ CÁO",
        subject="Tôi xin tố cáo hành vi vi phạm pháp luật của: ",
        about="Địa chỉ, nơi công tác của người bị tố cáo: ",
        content="Nội dung tố cáo:",
        signer="NGƯỜI TỐ CÁO",
    ),
}


def build_complaint_letter_docx(
    kind: str,
    commune: str,
    province: str,
    name: str,
    address: str,
    phone: str,
    content: str,
    today: date,
) -> bytes:
    """The letter as DOCX; `kind` is "complaint" or "denunciation", `commune` "Xã Tân Thuận Tây"."""
    if kind not in _KINDS:
        raise ValueError(f"unknown letter kind {kind!r}: expected 'complaint' or 'denunciation'")
    letter = _KINDS[kind]
    document = new_document(BODY_SIZE)
    national_motto(document, TEXT_WIDTH)
    paragraph(document, f"........, {date_phrase(today)}", italic=True,
              align=WD_ALIGN_PARAGRAPH.RIGHT, before=6, after=18)
    paragraph(document, letter.title, size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
              after=12)
    authority = ", ".join(unit_in_sentence(part) for part in (commune, province) if part.strip())
    addressee = paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    run(addressee, "Kính gửi: ", bold=True)
    run(addressee, f"Chủ tịch Ủy ban nhân dân {authority}.")
    _sender(document, name, address, phone)
    dotted_line(document, letter.subject)
    dotted_line(document, letter.about)
    _heading(document, letter.content)
    _content(document, content)
    if kind == "complaint":
        _heading(document, "Yêu cầu của người khiếu nại:")
        dotted_line(document)
        dotted_line(document)
    dotted_line(document, "Tài liệu, chứng cứ kèm theo (nếu có): ")
    if kind == "denunciation":
        paragraph(document, COMMITMENT, first_line=INDENT, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                  before=6, after=6)
    _signature(document, letter.signer, name)
    return to_bytes(document)


def _sender(document: DocxDocument, name: str, address: str, phone: str) -> None:
    _filled_or_dotted(document, "Họ và tên: ", name)
    # We never collect identity numbers, so they are always left to be written in by hand.
    dotted_line(document, "Số CMND/CCCD: " + "." * 30 + ", ngày cấp: " + "." * 16
                + ", nơi cấp: ", dots="......")
    _filled_or_dotted(document, "Địa chỉ: ", address)
    _filled_or_dotted(document, "Số điện thoại: ", phone)


def _filled_or_dotted(document: DocxDocument, label: str, value: str) -> None:
    value = " ".join(clean_text(value).split())
    if value:
        filled = paragraph(document, label + value, after=3)
        filled.paragraph_format.line_spacing = HANDWRITING_SPACING
    else:
        dotted_line(document, label)


def _heading(document: DocxDocument, text: str) -> None:
    paragraph(document, text, bold=True, before=6, after=3)


def _content(document: DocxDocument, content: str) -> None:
    lines = [line.strip() for line in clean_text(content).split("\n") if line.strip()]
    # One paragraph per line: Word stretches a justified line that ends in a manual break.
    for line in lines:
        paragraph(document, line, first_line=INDENT, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=3)
    if not lines:
        for _ in range(4):
            dotted_line(document)


def _signature(document: DocxDocument, signer: str, name: str) -> None:
    # The signature block sits centred over the right half of the page, as on official forms.
    right_half = Cm(8)
    center = WD_ALIGN_PARAGRAPH.CENTER
    for index, (text, bold, italic) in enumerate(
        ((signer, True, False), ("(Ký và ghi rõ họ tên)", False, True))
    ):
        line = paragraph(document, text, bold=bold, italic=italic, align=center,
                         before=12 * (index == 0))
        line.paragraph_format.left_indent = right_half
        line.paragraph_format.keep_with_next = True
    for _ in range(4):
        blank = paragraph(document)
        blank.paragraph_format.keep_with_next = True
    signed = paragraph(document, " ".join(clean_text(name).split()), bold=True, align=center)
    signed.paragraph_format.left_indent = right_half
