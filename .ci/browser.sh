#!/usr/bin/env bash
# Installs Debian's Chromium for the panel's browser tests (Playwright drives it; no browser
# download) when it is missing. Best effort, like documents.sh: without it those tests skip.
set -euo pipefail

browser() {
  if [ -x /usr/bin/chromium ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
    echo "note: chromium missing and no root apt-get; the browser tests will be skipped" >&2
    return 0
  fi
  # fonts-noto-core: Vietnamese letters in the screenshots.
  if { apt-get update -qq \
       && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=120 \
            --no-install-recommends chromium fonts-noto-core; \
     } >/dev/null 2>&1; then
    echo "installed chromium for the browser tests"
  else
    echo "warning: could not install chromium; the browser tests will be skipped" >&2
  fi
  return 0
}

browser
