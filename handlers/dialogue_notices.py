"""Notices about poverty-policy dialogues: a freed seat offered, a hamlet's seats filling up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from handlers.dates import format_datetime
from handlers.i18n import Translator
from handlers.values import Choice, Reply

ZONE = "Asia/Ho_Chi_Minh"


def _offer(t: Translator, params: dict[str, Any]) -> Reply:
    until = format_datetime(datetime.fromisoformat(str(params["until"])), ZONE)
    return Reply(
        title=t._("A seat for you"),
        text=t._("A seat has become free at “{dialogue}”. It is yours if you confirm before "
                 "{until}; after that it goes to the next household.",
                 dialogue=params.get("dialogue", ""), until=until),
        choices=(Choice(f"dlg:accept:{params.get('registration')}", t._("✅ I will come")),
                 Choice(f"dlg:decline:{params.get('registration')}", t._("I cannot come"))),
    )


def _fill(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(text=t._("{hamlet}: {taken} of {seats} seats taken for “{dialogue}” ({level}%).",
                          **{k: params.get(k, "") for k in ("hamlet", "taken", "seats",
                                                             "dialogue", "level")}))


DIALOGUE_NOTICES: dict[str, Callable[[Translator, dict[str, Any]], Reply]] = {
    "dialogue_offer": _offer,
    "dialogue_fill": _fill,
}
