"""Hamlet posters: the DOCX read back, the PDF rendered by LibreOffice and its QR codes decoded
from the printed page as a phone would read them."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import zxingcpp
from docx import Document
from docx.document import Document as DocxDocument

from handlers.documents import pdf as pdf_module
from handlers.documents.pdf import PdfUnavailable, docx_to_pdf
from handlers.documents.posters import (
    HamletPoster,
    Office,
    build_hamlet_poster_docx,
    build_posters_docx,
    build_posters_pdf,
    unit_word,
)

OFFICE = Office(
    commune="Xã Tân Thuận Tây",
    phone="0277 3 812 345",
    address="Số 12 đường Nguyễn Văn Tre, ấp Tân Dân, xã Tân Thuận Tây, tỉnh Đồng Tháp",
    opening_hours="Thứ Hai đến Thứ Sáu, sáng 7:00–11:30, chiều 13:30–17:00",
    reception_schedule="Thứ Năm hằng tuần, 7:30–11:00, Phòng tiếp công dân, Trụ sở UBND xã.",
)
TELEGRAM = "https://t.me/cutri_tanthuantay_bot?start=ttt-tan-dan"
ZALO = "https://zalo.me/2345678901234567890"
TAN_DAN = HamletPoster("Ấp Tân Dân", "ttt-tan-dan", TELEGRAM, ZALO)
HAMLETS = [
    TAN_DAN,
    HamletPoster("Ấp Tân Hùng", "ttt-tan-hung",
                 "https://t.me/cutri_tanthuantay_bot?start=ttt-tan-hung", ZALO),
    HamletPoster("Ấp Tân Chủ", "ttt-tan-chu",
                 "https://t.me/cutri_tanthuantay_bot?start=ttt-tan-chu", ZALO),
]
# What pdftoppm renders a page at: about what a phone camera sees of an A4 sheet.
DPI = 100
CM_PER_INCH = 2.54


def read(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def all_text(document: DocxDocument) -> str:
    cells = [paragraph.text for table in document.tables for row in table.rows
             for cell in row.cells for paragraph in cell.paragraphs]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not on PATH; run .ci/documents.sh to install it")
    return found


def pdf_of(posters: list[HamletPoster], office: Office = OFFICE) -> bytes:
    if pdf_module.libreoffice() is None:
        pytest.skip("LibreOffice (soffice) is not on PATH; run .ci/documents.sh to install it")
    return build_posters_pdf(office, posters)


def page_texts(pdf: bytes, directory: Path) -> list[str]:
    """Each page's text, whitespace folded; pdftotext ends every page with a form feed."""
    source = directory / "posters.pdf"
    source.write_bytes(pdf)
    text = subprocess.run([tool("pdftotext"), "-enc", "UTF-8", str(source), "-"], check=True,
                          capture_output=True, timeout=60).stdout.decode()
    pages = unicodedata.normalize("NFC", text).split("\f")
    return [" ".join(page.split()) for page in pages if page.strip()]


def scanned_codes(pdf: bytes, directory: Path, page: int = 1) -> list[zxingcpp.Barcode]:
    """The QR codes a reader finds on `page` rendered in grey at DPI, left to right."""
    source = directory / "posters.pdf"
    source.write_bytes(pdf)
    subprocess.run([tool("pdftoppm"), "-gray", "-r", str(DPI), "-f", str(page), "-l", str(page),
                    "-singlefile", str(source), str(directory / "page")],
                   check=True, capture_output=True, timeout=60)
    # PGM: a text header "P5 width height 255", then one byte per pixel, row after row.
    data = (directory / "page.pgm").read_bytes()
    _magic, width, height, _depth = data.split(maxsplit=4)[:4]
    columns, rows = int(width), int(height)
    pixels = memoryview(data[-columns * rows:]).cast("B", (rows, columns))
    codes = zxingcpp.read_barcodes(pixels, formats=zxingcpp.BarcodeFormat.QRCode)
    return sorted(codes, key=lambda code: code.position.top_left.x)


def side_cm(code: zxingcpp.Barcode) -> float:
    corners = code.position
    pixels = min(corners.top_right.x - corners.top_left.x,
                 corners.bottom_left.y - corners.top_left.y)
    return pixels / DPI * CM_PER_INCH


# --- the printed page -------------------------------------------------------------------------


def test_both_codes_on_the_printed_page_open_the_links(tmp_path: Path) -> None:
    codes = scanned_codes(pdf_of([TAN_DAN]), tmp_path)
    assert [code.text for code in codes] == [TELEGRAM, ZALO]
    # Big enough to scan from a metre away, side by side at the same height.
    assert all(side_cm(code) >= 6 for code in codes)
    telegram, zalo = codes
    assert abs(telegram.position.top_left.y - zalo.position.top_left.y) < DPI * 0.2


def test_printed_page_names_the_hamlet_and_how_to_reach_the_office(tmp_path: Path) -> None:
    (text,) = page_texts(pdf_of([TAN_DAN]), tmp_path)
    for expected in ("HỘI ĐỒNG NHÂN DÂN XÃ TÂN THUẬN TÂY", "ẤP TÂN DÂN",
                     "Gửi kiến nghị đến Hội đồng nhân dân xã", "Xem lịch tiếp xúc cử tri",
                     "Đăng ký đối thoại chính sách", "Nhận thông báo của xã",
                     "Quét mã, rồi gõ: ttt-tan-dan", "0277 3 812 345",
                     "Thứ Hai đến Thứ Sáu, sáng 7:00–11:30, chiều 13:30–17:00",
                     "không mất phí", TELEGRAM, ZALO):
        assert expected in text


def test_all_hamlets_print_in_one_file_one_page_each(tmp_path: Path) -> None:
    pdf = pdf_of(HAMLETS)
    pages = page_texts(pdf, tmp_path)
    assert len(pages) == len(HAMLETS)
    for page, hamlet in zip(pages, HAMLETS, strict=True):
        assert hamlet.name.upper() in page
        assert f"Quét mã, rồi gõ: {hamlet.code}" in page
    assert [code.text for code in scanned_codes(pdf, tmp_path, page=3)] == [
        HAMLETS[2].telegram_link, ZALO]


def test_without_a_zalo_address_the_page_has_only_the_telegram_code(tmp_path: Path) -> None:
    pdf = pdf_of([HamletPoster("Ấp Tân Dân", "ttt-tan-dan", TELEGRAM, None)])
    assert [code.text for code in scanned_codes(pdf, tmp_path)] == [TELEGRAM]
    (text,) = page_texts(pdf, tmp_path)
    assert "Chưa có mã Zalo. Xin hỏi Văn phòng xã." in text
    assert "Quét mã, rồi gõ" not in text


def test_a_long_office_entry_still_fits_each_poster_on_its_page(tmp_path: Path) -> None:
    wordy = Office(
        commune="Xã Tân Thuận Tây", phone="0277 3 812 345 – 0918 123 456",
        address=(OFFICE.address or "") * 2,
        opening_hours="Sáng từ 7 giờ đến 11 giờ 30, chiều từ 13 giờ 30 đến 17 giờ, từ Thứ Hai "
                      "đến Thứ Sáu; sáng Thứ Bảy từ 7 giờ 30 đến 11 giờ",
        reception_schedule=(OFFICE.reception_schedule or "") * 3,
    )
    long_name = HamletPoster("Tổ dân phố Nguyễn Văn Tre khu phố 3", "ttt-to-3",
                             TELEGRAM, ZALO)
    assert len(page_texts(pdf_of([long_name, TAN_DAN], wordy), tmp_path)) == 2


# --- the DOCX --------------------------------------------------------------------------------


def test_one_hamlets_poster_is_the_same_page_as_in_the_commune_file() -> None:
    alone = build_hamlet_poster_docx(OFFICE, "Ấp Tân Dân", "ttt-tan-dan",
                                     telegram_link=TELEGRAM, zalo_link=ZALO)
    assert all_text(read(alone)) == all_text(read(build_posters_docx(OFFICE, [TAN_DAN])))


def test_each_hamlet_after_the_first_starts_a_new_page() -> None:
    document = read(build_posters_docx(OFFICE, HAMLETS))
    starts = [p for p in document.paragraphs if p.paragraph_format.page_break_before]
    assert [p.text for p in starts] == ["HỘI ĐỒNG NHÂN DÂN XÃ TÂN THUẬN TÂY"] * 2


def test_codes_are_printed_at_least_six_centimetres_wide() -> None:
    document = read(build_posters_docx(OFFICE, [TAN_DAN]))
    widths = [shape.width.cm for shape in document.inline_shapes]
    assert len(widths) == 2
    assert all(width >= 6 for width in widths)


def test_missing_office_details_are_left_out_rather_than_printed_empty() -> None:
    text = all_text(read(build_posters_docx(Office("Xã Tân Thuận Tây", phone="0277 3 812 345"),
                                            [TAN_DAN])))
    assert "Điện thoại: 0277 3 812 345" in text
    for label in ("Địa chỉ:", "Giờ làm việc:", "Tiếp công dân:"):
        assert label not in text
    bare = all_text(read(build_posters_docx(Office("Xã Tân Thuận Tây"), [TAN_DAN])))
    assert "liên hệ Văn phòng" not in bare


def test_no_links_at_all_gives_notes_and_no_pictures() -> None:
    document = read(build_posters_docx(OFFICE, [HamletPoster("Ấp Tân Dân", "ttt-tan-dan",
                                                             None, None)]))
    assert len(document.inline_shapes) == 0
    text = all_text(document)
    assert "Chưa có mã Telegram." in text and "Chưa có mã Zalo." in text


def test_a_ward_speaks_of_its_ward_council() -> None:
    assert [unit_word(name) for name in ("Xã Tân Thuận Tây", "Phường 3", "Đặc khu Phú Quốc",
                                         "Tân Thuận Tây")] == ["xã", "phường", "đặc khu", "xã"]
    text = all_text(read(build_posters_docx(Office("Phường Mỹ Phú"), [TAN_DAN])))
    assert "HỘI ĐỒNG NHÂN DÂN PHƯỜNG MỸ PHÚ" in text
    assert "Gửi kiến nghị đến Hội đồng nhân dân phường" in text
    assert "Nhận thông báo của phường" in text


def test_office_text_with_control_characters_still_makes_a_document() -> None:
    odd = Office("Xã Tân Thuận Tây", address="Ấp <Tân> & \"Dân\"\x0b\x1f", phone="0277\x00")
    text = all_text(read(build_posters_docx(odd, [TAN_DAN])))
    assert 'Địa chỉ: Ấp <Tân> & "Dân"' in text
    assert "Điện thoại: 0277" in text


# --- the converter ---------------------------------------------------------------------------


def test_without_libreoffice_conversion_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module.shutil, "which", lambda _name: None)
    with pytest.raises(PdfUnavailable, match="not installed"):
        docx_to_pdf(build_posters_docx(OFFICE, [TAN_DAN]))


def test_a_conversion_that_fails_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failing = tmp_path / "soffice"
    failing.write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
    failing.chmod(0o755)
    monkeypatch.setattr(pdf_module, "libreoffice", lambda: str(failing))
    with pytest.raises(PdfUnavailable, match="broken"):
        docx_to_pdf(b"not a document")


def test_a_conversion_that_hangs_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hanging = tmp_path / "soffice"
    hanging.write_text("#!/bin/sh\nsleep 30 &\nwait\n")
    hanging.chmod(0o755)
    monkeypatch.setattr(pdf_module, "libreoffice", lambda: str(hanging))
    with pytest.raises(PdfUnavailable, match="took over"):
        docx_to_pdf(b"not a document", timeout=0.5)
