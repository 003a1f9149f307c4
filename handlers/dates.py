"""Dates as Vietnamese readers expect them: dd/mm/yyyy, times in local time (24-hour)."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

# Notices are written out when they leave the outbox, away from any conversation's settings;
# Vietnam has a single time zone.
NOTICE_ZONE = "Asia/Ho_Chi_Minh"


def format_datetime(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M %d/%m/%Y")


_DATETIME = re.compile(
    r"^\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\s+(\d{1,2})[:hg](\d{2})?\s*$", re.IGNORECASE
)


def parse_local_datetime(text: str, timezone: str, now: datetime) -> datetime | None:
    """`25/11/2026 07:30`, `25/11 7:30` or `25/11 7h30` in local time; None if not a date.

    Without a year, the next such date from `now` is meant.
    """
    match = _DATETIME.match(text)
    if match is None:
        return None
    day, month, year, hour, minute = match.groups()
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    try:
        moment = datetime(int(year or local_now.year), int(month), int(day), int(hour),
                          int(minute or 0), tzinfo=zone)
    except ValueError:
        return None
    if year is None and moment < local_now:
        moment = moment.replace(year=moment.year + 1)
    return moment


def format_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def parse_when_and_place(text: str, timezone: str, now: datetime) -> tuple[datetime, str] | None:
    """A coming day and time on the first line and a place on the second; None otherwise."""
    lines = text.strip().split("\n", 1)
    moment = parse_local_datetime(lines[0], timezone, now)
    place = " ".join(lines[1].split()) if len(lines) > 1 else ""
    if moment is None or moment <= now or not place or len(place) > 300:
        return None
    return moment, place
