"""Logging set-up: one line per event, and never a message text, a name or a phone number.

Loggers of HTTP libraries are kept at WARNING because they print request URLs, and both
Telegram and Zalo put the bot token in the URL path.
"""

import logging
import sys

QUIET = ("alembic", "httpx", "httpcore", "aiogram", "aiohttp.access", "apscheduler")
EXTRAS = ("channel", "kind", "error", "error_code", "row", "outcome")


class OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: {record.getMessage()}"
        extras = [f"{key}={getattr(record, key)}" for key in EXTRAS if hasattr(record, key)]
        if extras:
            line += " " + " ".join(extras)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
