"""Quiet hours: routine announcements wait for the morning; urgent ones never wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    start: time = time(21, 0)
    end: time = time(6, 30)
    timezone: str = "Asia/Ho_Chi_Minh"

    @classmethod
    def parse(cls, text: str, timezone: str) -> QuietHours:
        """`"21:00-06:30"`; an empty text means no quiet hours."""
        if not text.strip():
            return cls(time(0, 0), time(0, 0), timezone)
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-", 1))
        return cls(start, end, timezone)

    def is_quiet(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone)).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """`moment` itself, or the end of the quiet period it falls in."""
        if not self.is_quiet(moment):
            return moment
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end
