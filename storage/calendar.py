"""Calendar files (.ics) people add to their phone: a meeting, a dialogue."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

from storage.models.base import utcnow


def event_ics(*, uid: str, starts_at: datetime, ends_at: datetime, summary: str,
              location: str, description: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//cutri//VI")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", summary)
    event.add("location", location)
    if description:
        event.add("description", description)
    calendar.add_component(event)
    ics: bytes = calendar.to_ical()
    return ics
