"""DOCX to PDF through LibreOffice, for papers the office prints as they are (posters).

A PDF prints the same on any computer; a DOCX opened in another word processor, or without
Times New Roman, can move lines onto a second page. LibreOffice is the one renderer that
reads the DOCX the project writes and is packaged everywhere (`.ci/documents.sh`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Final

# A poster file of a few dozen pages takes seconds; a LibreOffice that hangs must not hold a
# worker thread for ever.
TIMEOUT_SECONDS: Final = 120.0


class PdfUnavailable(Exception):
    """LibreOffice is not installed, or could not make the PDF."""


def libreoffice() -> str | None:
    """The LibreOffice program on PATH, under either of its usual names."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The PDF LibreOffice renders from `docx`. Blocking: call it off the event loop.

    Raises PdfUnavailable when LibreOffice is missing, fails or runs out of time.
    """
    program = libreoffice()
    if program is None:
        raise PdfUnavailable("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="cutri-pdf-") as folder:
        directory = Path(folder)
        source = directory / "document.docx"
        source.write_bytes(docx)
        # A profile of its own: two conversions at once would otherwise share (and lock) the
        # user's LibreOffice profile, and the second would silently convert nothing.
        profile = (directory / "profile").as_uri()
        command = [program, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", str(directory), str(source)]
        try:
            # A session of its own: `soffice` is a launcher that starts the real program as
            # its child, and a timeout must stop both.
            with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, start_new_session=True) as process:
                try:
                    _, errors = process.communicate(timeout=timeout)
                except subprocess.TimeoutExpired as error:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.communicate()
                    raise PdfUnavailable(f"LibreOffice took over {timeout:g} s") from error
        except OSError as error:
            raise PdfUnavailable(f"LibreOffice could not start: {error}") from error
        if process.returncode != 0:
            raise PdfUnavailable(f"LibreOffice failed ({process.returncode}): "
                                 + errors.decode(errors="replace")[-500:])
        pdf = directory / "document.pdf"
        if not pdf.is_file():
            raise PdfUnavailable("LibreOffice wrote no PDF")
        return pdf.read_bytes()
