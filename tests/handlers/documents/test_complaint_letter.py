"""Complaint and denunciation letters, read back with python-docx and rendered by LibreOffice."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument

from handlers.documents.complaint_letter import COMMITMENT, build_complaint_letter_docx
from tests.handlers.documents.test_petition_report import (
    assert_decree_30_page,
    assert_times_new_roman,
    pdf_text,
    to_pdf,
)

TODAY = date(2026, 11, 22)
CONTENT = (
    "Ngày 10/10/2026, UBND xã ban hành quyết định thu hồi 200 m² đất của gia đình tôi ở "
    "Ấp Tân Dân mà không thông báo trước.\n\nTôi không đồng ý với quyết định này."
)


def letter(
    kind: str = "complaint",
    *,
    name: str = "Nguyễn Văn An",
    address: str = "Ấp Tân Dân, xã Tân Thuận Tây, tỉnh Đồng Tháp",
    phone: str = "0901 234 567",
    content: str = CONTENT,
    today: date = TODAY,
) -> bytes:
    return build_complaint_letter_docx(kind, "Xã Tân Thuận Tây", "Tỉnh Đồng Tháp", name,
                                       address, phone, content, today)


def lines(data: bytes) -> list[str]:
    return [p.text for p in read(data).paragraphs if p.text.strip()]


def read(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def starting(all_lines: list[str], prefix: str) -> str:
    return next(line for line in all_lines if line.startswith(prefix))


def test_letter_page_is_a4_in_times_new_roman() -> None:
    for kind in ("complaint", "denunciation"):
        document = read(letter(kind))
        assert_decree_30_page(document)
        assert_times_new_roman(document)


def test_complaint_opens_with_the_motto_date_title_and_addressee() -> None:
    document = read(letter(today=date(2026, 2, 5)))
    text = [p.text for p in document.paragraphs if p.text.strip()]
    assert text[:5] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "........, ngày 05 tháng 02 năm 2026",
        "ĐƠN KHIẾU NẠI",
        "Kính gửi: Chủ tịch Ủy ban nhân dân xã Tân Thuận Tây, tỉnh Đồng Tháp.",
    ]
    motto, title = document.paragraphs[0], document.paragraphs[1]
    assert motto.runs[0].bold and title.runs[0].bold


def test_denunciation_is_addressed_to_the_commune_chairman_too() -> None:
    text = lines(letter("denunciation"))
    assert "ĐƠN TỐ CÁO" in text
    assert "Kính gửi: Chủ tịch Ủy ban nhân dân xã Tân Thuận Tây, tỉnh Đồng Tháp." in text


def test_sender_lines_carry_what_we_know() -> None:
    text = lines(letter())
    assert "Họ và tên: Nguyễn Văn An" in text
    assert "Địa chỉ: Ấp Tân Dân, xã Tân Thuận Tây, tỉnh Đồng Tháp" in text
    assert "Số điện thoại: 0901 234 567" in text


def test_missing_sender_details_become_dotted_lines_to_fill_by_hand() -> None:
    text = lines(letter(name="", address="  ", phone=""))
    for label in ("Họ và tên: ", "Địa chỉ: ", "Số điện thoại: "):
        assert starting(text, label).startswith(label + "......................................")


def test_identity_number_is_always_left_dotted() -> None:
    assert starting(lines(letter()), "Số CMND/CCCD: ").startswith("Số CMND/CCCD: ......")


def test_complaint_has_its_content_and_requests_sections() -> None:
    text = lines(letter())
    start = text.index("Nội dung khiếu nại:")
    assert text[start + 1 : start + 3] == [
        "Ngày 10/10/2026, UBND xã ban hành quyết định thu hồi 200 m² đất của gia đình tôi ở "
        "Ấp Tân Dân mà không thông báo trước.",
        "Tôi không đồng ý với quyết định này.",
    ]
    requests = text.index("Yêu cầu của người khiếu nại:")
    assert requests == start + 3
    assert text[requests + 1].startswith("......")
    assert COMMITMENT not in text


def test_denunciation_has_its_content_and_the_legal_commitment() -> None:
    text = lines(letter("denunciation"))
    start = text.index("Nội dung tố cáo:")
    assert text[start + 1] == CONTENT.split("\n")[0]
    assert "Yêu cầu của người khiếu nại:" not in text
    assert COMMITMENT == (
        "Tôi cam đoan những nội dung tố cáo trên là đúng sự thật và chịu trách nhiệm trước "
        "pháp luật về nội dung tố cáo."
    )
    assert text.index(COMMITMENT) > start


def test_empty_content_leaves_dotted_lines_to_write_on() -> None:
    text = lines(letter(content=" \n "))
    start = text.index("Nội dung khiếu nại:")
    assert all(line.startswith("......") for line in text[start + 1 : start + 5])


def test_signature_block_closes_the_letter_on_the_right() -> None:
    for kind, signer in (("complaint", "NGƯỜI KHIẾU NẠI"), ("denunciation", "NGƯỜI TỐ CÁO")):
        document = read(letter(kind))
        text = [p for p in document.paragraphs if p.text.strip()]
        assert [p.text for p in text[-3:]] == [signer, "(Ký và ghi rõ họ tên)", "Nguyễn Văn An"]
        assert all(p.paragraph_format.left_indent.cm >= 7 for p in text[-3:])
        assert text[-2].runs[0].italic


def test_citizen_text_is_kept_exactly() -> None:
    tricky = 'Ông <Tư> & bà "Năm" lấn chiếm lối đi chung 😡'
    text = lines(letter(content=tricky, name="Lê Thị <Hoa>"))
    assert tricky in text
    assert "Họ và tên: Lê Thị <Hoa>" in text


def test_unknown_letter_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="petition"):
        letter("petition")


def test_long_letter_prints_on_at_most_two_pages(tmp_path: Path) -> None:
    long_content = "\n".join(
        [CONTENT] * 3 + ["Gia đình tôi đã nhiều lần liên hệ nhưng chưa được giải quyết. " * 20]
    )[:4000]
    pdf = to_pdf(letter("denunciation", content=long_content), tmp_path)
    assert "ĐƠN TỐ CÁO" in pdf_text(pdf)
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        pytest.skip("pdfinfo (poppler-utils) is not on PATH; run .ci/documents.sh")
    info = subprocess.run([pdfinfo, str(pdf)], check=True, capture_output=True, timeout=60)
    pages = next(line for line in info.stdout.decode().splitlines() if line.startswith("Pages:"))
    assert int(pages.split()[1]) <= 2
