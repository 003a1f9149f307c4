"""Links that open a chat with the bot: Telegram's deep links and Zalo's chat page.

Telegram passes a short argument to the bot through `/start` (a hamlet's QR code, an invite);
it accepts only `A-Za-z0-9_-`, up to 64 characters. Zalo's page opens the chat but carries no
argument, so on Zalo people type what a Telegram link would have carried (an invite code).
Both take anything with a `zalo_bot_url` / a username: the conversation config, the process
settings, a poster.
"""

from __future__ import annotations

import re
from typing import Protocol

START_ARGUMENT = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Telegram usernames: 5 to 32 letters, digits and underscores (bots end in "bot").
USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")


class HasZaloBotUrl(Protocol):
    @property
    def zalo_bot_url(self) -> str | None: ...


def telegram_start_link(username: str | None, argument: str) -> str | None:
    """`https://t.me/<bot>?start=<argument>`; None without a username or with an argument
    Telegram would not pass on."""
    if not username:
        return None
    username = username.removeprefix("@")
    if not USERNAME.fullmatch(username) or not START_ARGUMENT.fullmatch(argument):
        return None
    return f"https://t.me/{username}?start={argument}"


def zalo_chat_link(config: HasZaloBotUrl) -> str | None:
    """The page that opens the bot's Zalo chat (ZALO_BOT_URL), if the commune set one."""
    return config.zalo_bot_url or None
