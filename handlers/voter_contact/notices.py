"""Reminders and changes about voter-contact meetings, written out in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.dates import NOTICE_ZONE, format_date, format_span
from handlers.i18n import N_, Translator
from handlers.values import Choice, Reply

TIMING = {"before": N_("before the session"), "after": N_("after the session")}


def _when(params: dict[str, Any]) -> str:
    """The meeting's start and end ("08:00–10:00 15/12/2026"); older payloads have no end."""
    ends_at = params.get("ends_at")
    return format_span(datetime.fromisoformat(str(params["starts_at"])),
                       datetime.fromisoformat(str(ends_at)) if ends_at else None, NOTICE_ZONE)


def _day(params: dict[str, Any], key: str) -> str:
    value = params.get(key)
    return format_date(date.fromisoformat(str(value))) if value else ""


def meeting_lines(t: Translator, params: dict[str, Any]) -> str:
    lines = [t._("Time: {value}", value=_when(params)),
             t._("Place: {value}", value=params.get("place", ""))]
    if params.get("agenda"):
        lines.append(t._("Agenda: {value}", value=params["agenda"]))
    return "\n".join(lines)


# Days before the meeting each reminder is planned for: the wording of a reminder from a
# payload queued before `sent_on` was recorded.
_PLANNED_DAYS = {"meeting_d3": 3, "meeting_d1": 1, "meeting_today": 0,
                 "meeting_ahead_citizens": 3, "meeting_today_citizens": 0}


def days_ahead(params: dict[str, Any]) -> int:
    """Days from the day the reminder went out to the meeting's day (local time)."""
    sent_on = params.get("sent_on")
    if not sent_on:
        return _PLANNED_DAYS.get(str(params.get("kind")), 0)
    meeting_day = datetime.fromisoformat(str(params["starts_at"])).astimezone(
        ZoneInfo(NOTICE_ZONE)).date()
    return max((meeting_day - date.fromisoformat(str(sent_on))).days, 0)


def _line(t: Translator, params: dict[str, Any]) -> tuple[str, list[Choice]]:
    """One reminder as a line of text and its buttons (shared by the digest)."""
    kind = str(params.get("kind"))
    mid = params.get("meeting_id")
    unit = params.get("unit", "")
    if kind in ("meeting_d3", "meeting_d1", "meeting_today"):
        days = days_ahead(params)
        if days == 0:
            head = t._("Today: voter-contact meeting of {unit}.", unit=unit)
        elif days == 1:
            head = t._("Tomorrow: voter-contact meeting of {unit}.", unit=unit)
        else:
            head = t._("In {days} days: voter-contact meeting of {unit}.", days=days, unit=unit)
        choices = [Choice(f"mt:yes:{mid}", t._("✅ I will attend")),
                   Choice(f"mt:no:{mid}", t._("❌ I cannot attend"))]
        text = head + "\n" + meeting_lines(t, params)
        if params.get("questions"):
            text += "\n" + t._("Voters' questions waiting for an answer: {count}",
                                count=params["questions"])
            choices.append(Choice(f"dq:list:{mid}", t._("❓ Read the questions")))
        return text, choices
    if kind in ("meeting_ahead_citizens", "meeting_today_citizens"):
        days = days_ahead(params)
        if days == 0:
            head = t._("Today: your delegates meet the voters of {unit}.", unit=unit)
        elif days == 1:
            head = t._("Tomorrow your delegates meet the voters of {unit}. Come and speak: "
                       "your opinions go to the People's Council.", unit=unit)
        else:
            head = t._("In {days} days your delegates meet the voters of {unit}. Come and "
                       "speak: your opinions go to the People's Council.", days=days, unit=unit)
        return head + "\n" + meeting_lines(t, params), [
            Choice(f"mq:{mid}", t._("❓ Send a question for the meeting"))]
    if kind in ("opinions_soon", "opinions_due", "opinions_overdue"):
        text = {
            "opinions_soon": N_("The opinions voters gave at your meeting of {day} are due at "
                                "the office on {due}."),
            "opinions_due": N_("Today ({due}) is the last day to send the opinions voters gave "
                               "at your meeting of {day}."),
            "opinions_overdue": N_("⏰ The opinions from your meeting of {day} were due on {due} "
                                   "and have not arrived."),
        }[kind]
        day = _when(params).split(" ")[-1]
        return t._(text, day=day, due=_day(params, "due_on")), [
            Choice(f"mr:{mid}", t._("📝 Report the meeting"))]
    timing = t._(TIMING.get(str(params.get("timing")), ""))
    if kind == "round_open":
        return t._("The voter-contact round {timing} ({session}) runs from {start} to {end}.",
                   timing=timing, session=params.get("session", ""),
                   start=_day(params, "window_start"), end=_day(params, "window_end")), [
            Choice("menu:mymeetings", t._("🗓 My meetings"))]
    if kind == "documents_due":
        return t._("The documents for the voter-contact round {timing} ({session}) must reach "
                   "the delegates by {day}.", timing=timing, session=params.get("session", ""),
                   day=_day(params, "documents_by")), []
    return t._("The Front's consolidated report on the round {timing} ({session}) is due on "
               "{day}.", timing=timing, session=params.get("session", ""),
               day=_day(params, "front_report_by")), []


def _reminder(t: Translator, params: dict[str, Any]) -> Reply:
    text, choices = _line(t, params)
    attached = params.get("file")
    return Reply(text=text, title=t._("Voter contact"), choices=tuple(choices),
                 file=(str(attached[0]), str(attached[1])) if attached else None)


def _digest(t: Translator, params: dict[str, Any]) -> Reply:
    texts, choices = [], []
    for item in params.get("items", []):
        text, buttons = _line(t, dict(item))
        texts.append("• " + text)
        choices += buttons
    return Reply(text="\n\n".join(texts), title=t._("Today's voter-contact reminders"),
                 choices=tuple(choices[:8]))


def _why(t: Translator, params: dict[str, Any]) -> str:
    return "\n" + t._("Reason: {value}", value=params["reason"]) if params.get("reason") else ""


def _moved(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(title=t._("Meeting changed"),
                 text=t._("The voter-contact meeting of {unit} has a new time or place:",
                          unit=params.get("unit", "")) + "\n" + meeting_lines(t, params)
                 + _why(t, params))


def _cancelled(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(title=t._("Meeting cancelled"),
                 text=t._("The voter-contact meeting of {unit} on {when} is cancelled.",
                          unit=params.get("unit", ""), when=_when(params)) + _why(t, params))


def _cannot_attend(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(text=t._("Delegate {name} cannot attend the meeting on {when} at {place}.",
                          name=params.get("delegate", ""), when=_when(params),
                          place=params.get("place", "")))


def _question(t: Translator, params: dict[str, Any]) -> Reply:
    petition_id = params.get("id")
    return Reply(
        title=t._("A voter's question for your meeting"),
        text=t._("For the meeting at {when}, {place} (No. {code}):", when=_when(params),
                 place=params.get("place", ""), code=params.get("code", ""))
        + "\n\n" + str(params.get("text", "")) + "\n\n"
        + t._("Answer it here, and the voter receives your answer; or take it to the meeting."),
        choices=(Choice(f"dq:answer:{petition_id}", t._("💬 Answer it here")),
                 Choice(f"dq:take:{petition_id}", t._("🗣 I will answer at the meeting"))),
    )


def _question_taken(t: Translator, params: dict[str, Any]) -> Reply:
    return Reply(
        title=t._("Your question {code}", code=params.get("code", "")),
        text=t._("The delegate will answer your question {code} at the voter-contact meeting "
                 "at {when}, {place}. You are welcome to come and hear it.",
                 code=params.get("code", ""), when=_when(params), place=params.get("place", "")),
    )


def _attendance_nudge(t: Translator, params: dict[str, Any]) -> Reply:
    mid = params.get("meeting_id")
    return Reply(
        title=t._("Voter contact"),
        text=t._("The office asks: will you attend the voter-contact meeting of {unit}? "
                 "Please press one of the buttons.", unit=params.get("unit", ""))
        + "\n" + meeting_lines(t, params),
        choices=(Choice(f"mt:yes:{mid}", t._("✅ I will attend")),
                 Choice(f"mt:no:{mid}", t._("❌ I cannot attend"))))


MEETING_NOTICES: dict[str, Callable[[Translator, dict[str, Any]], Reply]] = {
    "attendance_nudge": _attendance_nudge,
    "meeting_question": _question,
    "question_taken_to_meeting": _question_taken,
    "meeting_reminder": _reminder,
    "round_reminder": _reminder,
    "reminder_digest": _digest,
    "meeting_moved": _moved,
    "meeting_cancelled": _cancelled,
    "delegate_cannot_attend": _cannot_attend,
}
