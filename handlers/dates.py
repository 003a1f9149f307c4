"""Dates as Vietnamese readers expect them: dd/mm/yyyy, times in local time (24-hour), and the
days and times staff type the way they say them.

"8h sáng mai", "thứ 6 tuần sau 14h", "20/12 8:00", "14 giờ 30 ngày 15/7", with or without
accents, with an end as plans write it ("8h-10h sáng mai", "7h30 – 10h30", "từ 8h đến 10h"),
with a place after them on the same line ("… tại Nhà văn hóa ấp Tân Dân") or on the
next. dateparser was tried first: of ten such phrases it read one and misread another
("14 giờ 30 ngày 15/7" as 08/12 at midnight), so this small grammar reads them instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.folding import fold

# Notices are written out when they leave the outbox, away from any conversation's settings;
# Vietnam has a single time zone.
NOTICE_ZONE = "Asia/Ho_Chi_Minh"


def format_datetime(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M %d/%m/%Y")


def format_span(start: datetime, end: datetime | None, timezone: str) -> str:
    """"08:00–10:00 15/12/2026"; over two days both are written out; no end: the start."""
    zone = ZoneInfo(timezone)
    start, shown = start.astimezone(zone), format_datetime(start, timezone)
    if end is None:
        return shown
    end = end.astimezone(zone)
    if end.date() == start.date():
        return f"{start:%H:%M}–{end:%H:%M} {start:%d/%m/%Y}"
    return f"{shown} – {format_datetime(end, timezone)}"


def example_span(now: datetime, timezone: str, *, days: int = 10) -> str:
    """A coming day with a start and an end, as a prompt's example: "17/12/2026 14:00-16:00"."""
    return example_datetime(now, timezone, days=days) + "-16:00"


def format_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def example_datetime(now: datetime, timezone: str, *, days: int = 10, hour: int = 14) -> str:
    """A coming day and time to show in a prompt ("e.g. …"): never a date already past."""
    local = now.astimezone(ZoneInfo(timezone)) + timedelta(days=days)
    return local.replace(hour=hour, minute=0).strftime("%d/%m/%Y %H:%M")


@dataclass(frozen=True)
class When:
    """A day and time read from the start of a message, and what follows it (a place).

    `ends_at` is the end of the same day's span when one was given ("8h-10h").
    """

    moment: datetime
    rest: str
    ends_at: datetime | None = None


def read_when(text: str, timezone: str, now: datetime) -> When | None:
    """The day and time a message starts with, in local time; None if it names no time.

    Without a year, the next such date is meant; without a day, the next such time.
    """
    tokens = text.replace("\n", " \n ").split(" ")
    words = _split_spans([token for token in tokens if token])
    scanner = _Scanner([_fold_token(word) for word in words],
                       [word.endswith((",", ";")) for word in words])
    scanner.scan()
    if scanner.hour is None or scanner.position == 0:
        return None
    moment = scanner.resolve(now.astimezone(ZoneInfo(timezone)))
    if moment is None:
        return None
    ends_at = None
    if scanner.end_hour is not None:
        ends_at = scanner.resolve_end(moment)
        if ends_at is None:
            return None  # an end before the start: the whole time is in doubt
    rest_words = words[scanner.position:]
    while rest_words and _fold_token(rest_words[0]) in _SEPARATORS | {""}:
        rest_words = rest_words[1:]
    if rest_words and rest_words[0] and rest_words[0][0] in ",;:-–":
        rest_words[0] = rest_words[0].lstrip(",;:-– ")
    rest = " ".join(" ".join(rest_words).split())
    return When(moment, rest, ends_at)


def parse_local_datetime(text: str, timezone: str, now: datetime) -> datetime | None:
    """A day and time and nothing else (`25/11/2026 07:30`, `8h sáng mai`); None otherwise."""
    when = read_when(text, timezone, now)
    return when.moment if when is not None and not when.rest else None


def parse_when_and_place(text: str, timezone: str, now: datetime) -> tuple[datetime, str] | None:
    """A coming day and time followed by a place, on one line or two; None otherwise."""
    when = read_span_and_place(text, timezone, now)
    return None if when is None else (when.moment, when.rest)


def read_span_and_place(text: str, timezone: str, now: datetime) -> When | None:
    """A coming day and time (perhaps with its end) followed by a place; None otherwise."""
    when = read_when(text, timezone, now)
    if when is None or when.moment <= now or not when.rest or len(when.rest) > 300:
        return None
    return when


_SEPARATORS = {"tai", "o", "dia", "diem", "diem:", "-", "–", ",", ";", ":", "\n"}
_TIME = re.compile(r"^(\d{1,2})(?:[:hg](\d{1,2})?|gio(\d{1,2})?)(?:p|ph|phut)?$")
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_WEEKDAYS = {"hai": 0, "2": 0, "ba": 1, "3": 1, "tu": 2, "4": 2, "nam": 3, "5": 3, "sau": 4,
             "6": 4, "bay": 5, "7": 5}
_PARTS = {"sang", "trua", "chieu", "toi", "dem"}
_FILLERS = {"luc", "vao", "buoi", "ngay", ","}
# Between a start and an end: "8h - 10h", "8h đến 10h", "8h tới 10h" ("tới" folds as "tối").
_UNTIL = {"-", "–", "den", "toi"}
_SPAN = re.compile(r"^(\d{1,2})((?:[:hg]|gio)\d{0,2})?[-–]\d{1,2}(?:[:hg]|gio)\d{0,2}"
                   r"(?:p|ph|phut)?[,;.]?$")


def _split_spans(words: list[str]) -> list[str]:
    """"8h-10h" as three words, "8h", "-", "10h"; "8-10h" as "8h", "-", "10h"."""
    split: list[str] = []
    for word in words:
        found = _SPAN.match(fold(word))
        if found is None:
            split.append(word)
            continue
        dash = next(i for i, char in enumerate(word) if char in "-–")
        start = word[:dash] + ("" if found.group(2) else "h")
        split += [start, word[dash], word[dash + 1:]]
    return split


def _fold_token(word: str) -> str:
    folded = fold(word)
    return folded if folded in {",", "-", "–", ";", ":"} else folded.strip(",;.!")


class _Scanner:
    """Reads date and time words from the front of the folded tokens, in any order."""

    def __init__(self, tokens: list[str], closed: list[bool]) -> None:
        self.tokens = tokens
        self.closed = closed  # the word ended with a comma
        self.position = 0
        self.hour: int | None = None
        self.minute = 0
        self.part: str | None = None
        self.day: tuple[int, int, int | None] | None = None
        self.offset: int | None = None  # days from today
        self.weekday: int | None = None
        self.week: int | None = None  # 0 this week, 1 next week
        self.end_hour: int | None = None
        self.end_minute = 0
        self.end_part: str | None = None
        self.part_after_end = False  # "2h-4h chiều": the part of day is said once, at the end

    def at(self, shift: int = 0) -> str:
        index = self.position + shift
        return self.tokens[index] if index < len(self.tokens) else ""

    def scan(self) -> None:
        while self.position < len(self.tokens):
            before = self.position
            # The end of a span before the part of day: "tới 10h" is not "tối".
            for rule in (self._until, self._time, self._part, self._date, self._relative,
                         self._weekday, self._filler):
                if rule():
                    break
            if self.position == before:
                return
            # A comma, a dash or "tại" after a complete day and time ends them (a dash before
            # an end time does not).
            ended = self.closed[self.position - 1] or (
                self.at() in {"tai", "-", "–"} and not self._span_ahead())
            if ended and self.hour is not None and self._has_day():
                return

    def _has_day(self) -> bool:
        return self.day is not None or self.offset is not None or self.weekday is not None

    def _time_at(self, shift: int) -> tuple[int, int, int] | None:
        """A time `shift` tokens ahead: its hour, minute and how many tokens it takes."""
        token = self.at(shift)
        match = _TIME.match(token)
        if match is not None:
            used = 1
            minute = match.group(2) or match.group(3)
            if minute is None and self.at(shift + 1) in {"ruoi", "30"}:
                minute, used = "30", 2
            if self.at(shift + used) == "phut":
                used += 1
            return int(match.group(1)), int(minute or 0), used
        if token.isdigit() and len(token) <= 2 and self.at(shift + 1) in {"gio", "h", "g"}:
            following, minute, used = self.at(shift + 2), 0, 2
            if following == "ruoi":
                minute, used = 30, 3
            elif following.isdigit() and len(following) <= 2:
                minute, used = int(following), 3
                if self.at(shift + used) == "phut":
                    used += 1
            return int(token), minute, used
        return None

    def _time(self) -> bool:
        if self.hour is not None:
            return False
        # "từ 8h đến 10h"
        shift = 1 if self.at() == "tu" and self._time_at(1) is not None else 0
        found = self._time_at(shift)
        if found is None:
            return False
        self.hour, self.minute, used = found
        self.position += shift + used
        return True

    def _span_ahead(self) -> bool:
        return (self.hour is not None and self.end_hour is None and self.at() in _UNTIL
                and self._time_at(1) is not None)

    def _until(self) -> bool:
        if not self._span_ahead():
            return False
        found = self._time_at(1)
        assert found is not None
        self.end_hour, self.end_minute, used = found
        self.position += 1 + used
        return True

    def _part(self) -> bool:
        if self.at() not in _PARTS:
            return False
        if self.part is None:
            self.part = self.at()
            self.part_after_end = self.end_hour is not None
        elif self.end_hour is not None and self.end_part is None:
            self.end_part = self.at()  # "10h sáng đến 2h chiều"
        else:
            return False
        self.position += 1
        return True

    def _date(self) -> bool:
        if self._has_day():
            return False
        match = _DATE.match(self.at())
        if match is not None:
            year = match.group(3)
            self.day = (int(match.group(1)), int(match.group(2)),
                        None if year is None else int(year) + (2000 if len(year) == 2 else 0))
            self.position += 1
            return True
        # "15 tháng 7", "15 tháng 7 năm 2027"
        if self.at().isdigit() and self.at(1) == "thang" and self.at(2).isdigit():
            year_given = self.at(3) == "nam" and self.at(4).isdigit()
            self.day = (int(self.at()), int(self.at(2)), int(self.at(4)) if year_given else None)
            self.position += 5 if year_given else 3
            return True
        return False

    def _relative(self) -> bool:
        if self._has_day():
            return False
        token, following = self.at(), self.at(1)
        if token == "hom" and following == "nay":
            self.offset, step = 0, 2
        elif token == "nay" and self.hour is not None:
            self.offset, step = 0, 1
        elif token == "mai":
            self.offset, step = 1, 1
        elif token in {"mot", "kia"}:
            self.offset, step = 2, 1
        elif token == "hom" and following in {"sau"}:
            self.offset, step = 1, 2
        elif token.isdigit() and following == "ngay" and self.at(2) in {"nua", "toi", "sau"}:
            self.offset, step = int(token), 3
        else:
            return False
        self.position += step
        return True

    def _weekday(self) -> bool:
        if self._has_day():
            return False
        token = self.at()
        step = 0
        if token == "thu" and self.at(1) in _WEEKDAYS:
            self.weekday, step = _WEEKDAYS[self.at(1)], 2
        elif re.fullmatch(r"t[2-7]", token):
            self.weekday, step = int(token[1]) - 2, 1
        elif token == "chu" and self.at(1) == "nhat":
            self.weekday, step = 6, 2
        elif token == "cn":
            self.weekday, step = 6, 1
        if not step:
            return False
        self.position += step
        if self.at() == "tuan":
            shift = {"nay": 0, "sau": 1, "toi": 1}.get(self.at(1))
            if shift is not None:
                self.week = shift
                self.position += 2
        return True

    def _filler(self) -> bool:
        if self.at() in _FILLERS:
            self.position += 1
            return True
        return False

    def resolve(self, now: datetime) -> datetime | None:
        assert self.hour is not None
        hour = _hour_of_day(self.hour, self.part)
        if self.part_after_end and self.end_hour is not None and hour is not None:
            # "10h - 2h chiều": the afternoon is the end's, not the start's.
            end = _hour_of_day(self.end_hour, self.part)
            if end is not None and hour >= end > self.hour:
                hour = self.hour
        if hour is None or not 0 <= self.minute <= 59:
            return None
        today = now.date()
        if self.day is not None:
            day, month, year = self.day
            try:
                chosen = date(year or today.year, month, day)
            except ValueError:
                return None
            moment = _at(chosen, hour, self.minute, now)
            if year is None and moment < now:
                try:
                    moment = moment.replace(year=moment.year + 1)
                except ValueError:
                    return None
            return moment
        if self.offset is not None:
            return _at(today + timedelta(days=self.offset), hour, self.minute, now)
        if self.weekday is not None:
            if self.week is None:
                ahead = (self.weekday - today.weekday()) % 7
                moment = _at(today + timedelta(days=ahead), hour, self.minute, now)
                return moment if moment > now else moment + timedelta(days=7)
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=self.week)
            return _at(monday + timedelta(days=self.weekday), hour, self.minute, now)
        moment = _at(today, hour, self.minute, now)
        return moment if moment > now else moment + timedelta(days=1)

    def resolve_end(self, start: datetime) -> datetime | None:
        """The end on the start's day; None if it is not after the start."""
        assert self.end_hour is not None
        hour = _hour_of_day(self.end_hour, self.end_part or self.part)
        if hour is None or not 0 <= self.end_minute <= 59:
            return None
        end = start.replace(hour=hour, minute=self.end_minute)
        return end if end > start else None


def _hour_of_day(hour: int, part: str | None) -> int | None:
    afternoon = (
        (part in {"chieu", "toi"} and hour < 12)
        or (part == "trua" and hour <= 2)
        or (part == "dem" and 7 <= hour < 12)
    )
    if afternoon:
        hour += 12
    return hour if 0 <= hour <= 23 else None


def _at(day: date, hour: int, minute: int, now: datetime) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=now.tzinfo)
