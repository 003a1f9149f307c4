"""`cutri posters`: the operator prints a commune's hamlet posters from the command line."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from docx import Document

from handlers.documents.pdf import libreoffice
from storage.encryption import current_keyring
from tests.e2e.process import run_cutri
from tests.handlers.documents.test_posters import page_texts, scanned_codes

ROOT = Path(__file__).resolve().parents[2]
HAMLETS = ["ẤP TÂN DÂN", "ẤP TÂN HÙNG", "ẤP TÂN CHỦ", "ẤP TÂN HẬU"]


def cutri(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`cutri ARGS` on tmp_path/c.db, finding LibreOffice where this test run finds it."""
    env = {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", ""),
           "HOME": str(tmp_path),
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
           "ENCRYPTION_KEYS": current_keyring().dumps()}
    return run_cutri(list(args), env=env, cwd=tmp_path, timeout=180)


def test_one_hamlets_poster_as_pdf_carries_both_codes(tmp_path: Path) -> None:
    if libreoffice() is None:
        pytest.skip("LibreOffice (soffice) is not on PATH; run .ci/documents.sh to install it")
    assert cutri(tmp_path, "seed-demo").returncode == 0
    made = cutri(tmp_path, "posters", "--commune", "tan-thuan-tay", "--hamlet", "ttt-tan-hau",
                 "-o", "tan-hau.pdf", "--telegram-bot", "@cutri_ttt_bot",
                 "--zalo-url", "https://zalo.me/2345678901234567890")
    assert made.returncode == 0, made.stderr
    assert "1 poster(s) of Xã Tân Thuận Tây written to tan-hau.pdf" in made.stdout
    pdf = (tmp_path / "tan-hau.pdf").read_bytes()
    (text,) = page_texts(pdf, tmp_path)
    assert "ẤP TÂN HẬU" in text and "Quét mã, rồi gõ: ttt-tan-hau" in text
    assert [code.text for code in scanned_codes(pdf, tmp_path)] == [
        "https://t.me/cutri_ttt_bot?start=ttt-tan-hau", "https://zalo.me/2345678901234567890"]


def test_the_whole_commune_as_docx_without_links_says_what_is_missing(tmp_path: Path) -> None:
    cutri(tmp_path, "seed-demo")
    made = cutri(tmp_path, "posters", "--commune", "tan-thuan-tay", "-o", "all.docx")
    assert made.returncode == 0, made.stderr
    assert "4 poster(s)" in made.stdout
    assert "without --telegram-bot" in made.stdout and "without --zalo-url" in made.stdout
    document = Document(io.BytesIO((tmp_path / "all.docx").read_bytes()))
    assert [p.text for p in document.paragraphs if p.text in HAMLETS] == HAMLETS
    assert len(document.inline_shapes) == 0


def test_operator_mistakes_get_one_clear_line(tmp_path: Path) -> None:
    cutri(tmp_path, "seed-demo")
    for args, expected in (
        (["--commune", "nowhere", "-o", "x.pdf"], "no commune with code 'nowhere'"),
        (["--commune", "tan-thuan-tay", "--hamlet", "ttt-nowhere", "-o", "x.pdf"],
         "no hamlet with code 'ttt-nowhere' in Xã Tân Thuận Tây"),
        (["--commune", "tan-thuan-tay", "-o", "x.png"], "must end in .pdf or .docx"),
        (["--commune", "tan-thuan-tay", "-o", "x.pdf", "--telegram-bot", "t.me/bot"],
         "is not a Telegram username"),
        (["--commune", "tan-thuan-tay", "-o", "x.pdf", "--zalo-url", "zalo.me/1"],
         "must be an https:// link"),
    ):
        failed = cutri(tmp_path, "posters", *args)
        assert failed.returncode == 2 and expected in failed.stderr, failed.stderr
        assert "Traceback" not in failed.stderr
    assert not (tmp_path / "x.pdf").exists()
