#!/usr/bin/env bash
# Installs LibreOffice Writer and poppler-utils for the DOCX -> PDF tests when they are missing.
# Best effort: without them those tests skip, so a failed install only prints a line.
# Written to be run or sourced: it never exits, and leaves the caller's shell options alone.
set -euo pipefail

documents_tools() {
  if command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
    echo "note: soffice/pdftotext missing and no root apt-get; the PDF tests will be skipped" >&2
    return 0
  fi
  # fonts-liberation2 is Times New Roman's metric twin with Vietnamese letters;
  # the older fonts-liberation that LibreOffice pulls in has none.
  local writer=libreoffice-writer-nogui
  if { apt-get update -qq \
       && { apt-cache show "$writer" >/dev/null 2>&1 || writer=libreoffice-writer; } \
       && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=120 \
            --no-install-recommends "$writer" poppler-utils fonts-liberation2; \
     } >/dev/null 2>&1; then
    echo "installed $writer, poppler-utils and fonts-liberation2 for the document tests"
  else
    echo "warning: could not install LibreOffice/poppler-utils; the PDF tests will be skipped" >&2
  fi
  return 0
}

documents_tools
