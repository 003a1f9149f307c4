"""Notices about poverty-policy dialogues: a freed seat offered, a hamlet's seats filling up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from handlers.dates import NOTICE_ZONE, format_datetime
from handlers.i18n import Translator
from handlers.values import Choice, Reply


def _offer(t: Translator, params: dict[str, Any]) -> Reply:
    until = format_datetime(datetime.fromisoformat(str(params["until"])), NOTICE_ZONE)
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


def _reminder(t: Translator, params: dict[str, Any]) -> Reply:
    when = format_datetime(datetime.fromisoformat(str(params["starts_at"])), NOTICE_ZONE)
    head = (t._("In two hours: “{title}”.", title=params.get("title", ""))
            if params.get("kind") == "dialogue_2h"
            else t._("Tomorrow: “{title}”.", title=params.get("title", "")))
    return Reply(title=t._("Dialogue reminder"), text="\n".join([
        head, t._("Time: {value}", value=when), t._("Place: {value}",
                                                    value=params.get("place", "")),
        t._("Bring your check-in code.")]))


def _cancelled(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(title=t._("Dialogue cancelled"), text=t._(
        "“{title}” is cancelled. Reason: {reason}", title=params.get("title", ""),
        reason=params.get("reason", "")))


def _answer(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(title=t._("Answer from the dialogue"), text="\n".join([
        t._("Your questions for “{title}”:", title=params.get("title", "")),
        str(params.get("questions", "")), "",
        t._("Answer: {text}", text=params.get("answer", ""))]))


DIALOGUE_NOTICES: dict[str, Callable[[Translator, dict[str, Any]], Reply]] = {
    "dialogue_offer": _offer,
    "dialogue_fill": _fill,
    "dialogue_reminder": _reminder,
    "dialogue_cancelled": _cancelled,
    "dialogue_answer": _answer,
}
