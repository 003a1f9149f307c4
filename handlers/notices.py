"""Messages queued by storage operations as a notice key, written out in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.i18n import Translator, translator
from handlers.values import Reply


def _link_code(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(
        text=t._(
            "Someone is joining a {channel} account to yours. If it is you, type this code "
            "there: {code}\nIt is valid for a few minutes. If it is not you, ignore this "
            "message: nothing will be joined.",
            channel=str(params.get("channel", "")).capitalize(),
            code=str(params.get("code", "")),
        ),
        title=t._("Code to join your accounts"),
    )


def _broadcast(t: Translator, params: dict[str, Any]) -> Reply:
    commune = str(params.get("commune", ""))
    if params.get("urgent"):
        title = t._("🚨 URGENT notice from {commune}", commune=commune)
    else:
        title = t._("📢 Notice from {commune}", commune=commune)
    return Reply(text=str(params.get("text", "")), title=title)


def _broadcast_report(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(
        title=t._("Announcement #{id} finished", id=params.get("id", "")),
        text=t._(
            "Delivered: {delivered} of {total}\nFailed: {failed}\nBlocked the bot: "
            "{unreachable}\nStopped before sending: {cancelled}",
            **{key: params.get(key, 0)
               for key in ("delivered", "total", "failed", "unreachable", "cancelled")},
        ),
    )


NOTICES: dict[str, Callable[[Translator, dict[str, Any]], Reply]] = {
    "link_code": _link_code,
    "broadcast": _broadcast,
    "broadcast_report": _broadcast_report,
}


def render_payload(payload: dict[str, Any], locale: str | None) -> Reply:
    """The reply an outbox payload stands for: a finished reply, or a notice to write out."""
    notice = payload.get("notice")
    if notice is None:
        return Reply.from_payload(payload)
    render = NOTICES.get(str(notice))
    if render is None:
        raise ValueError(f"unknown notice {notice!r}")
    return render(translator(locale), dict(payload.get("params", {})))
