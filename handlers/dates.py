"""Dates as Vietnamese readers expect them: dd/mm/yyyy, times in local time (24-hour), and the
days and times staff type the way they say them.

"8h sáng mai", "thứ 6 tuần sau 14h", "20/12 8:00", "14 giờ 30 ngày 15/7", with or without
accents, with a place after them on the same line ("… tại Nhà văn hóa ấp Tân Dân") or on the
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


def format_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def example_datetime(now: datetime, timezone: str, *, days: int = 10, hour: int = 14) -> str:
    """A coming day and time to show in a prompt ("e.g. …"): never a date already past."""
    local = now.astimezone(ZoneInfo(timezone)) + timedelta(days=days)
    return local.replace(hour=hour, minute=0).strftime("%d/%m/%Y %H:%M")


@dataclass(frozen=True)
class When:
    """A day and time read from the start of a message, and what follows it (a place)."""

    moment: datetime
    rest: str


def read_when(text: str, timezone: str, now: datetime) -> When | None:
    """The day and time a message starts with, in local time; None if it names no time.

    Without a year, the next such date is meant; without a day, the next such time.
    """
    tokens = text.replace("\n", " \n ").split(" ")
    words = [token for token in tokens if token]
    scanner = _Scanner([_fold_token(word) for word in words],
                       [word.endswith((",", ";")) for word in words])
    scanner.scan()
    if scanner.hour is None or scanner.position == 0:
        return None
    moment = scanner.resolve(now.astimezone(ZoneInfo(timezone)))
    if moment is None:
        return None
    rest_words = words[scanner.position:]
    while rest_words and _fold_token(rest_words[0]) in _SEPARATORS | {""}:
        rest_words = rest_words[1:]
    if rest_words and rest_words[0] and rest_words[0][0] in ",;:-–":
        rest_words[0] = rest_words[0].lstrip(",;:-– ")
    rest = " ".join(" ".join(rest_words).split())
    return When(moment, rest)


def parse_local_datetime(text: str, timezone: str, now: datetime) -> datetime | None:
    """A day and time and nothing else (`25/11/2026 07:30`, `8h sáng mai`); None otherwise."""
    when = read_when(text, timezone, now)
    return when.moment if when is not None and not when.rest else None


def parse_when_and_place(text: str, timezone: str, now: datetime) -> tuple[datetime, str] | None:
    """A coming day and time followed by a place, on one line or two; None otherwise."""
    when = read_when(text, timezone, now)
    if when is None or when.moment <= now or not when.rest or len(when.rest) > 300:
        return None
    return when.moment, when.rest


_SEPARATORS = {"tai", "o", "dia", "diem", "diem:", "-", "–", ",", ";", ":", "\n"}
_TIME = re.compile(r"^(\d{1,2})(?:[:hg](\d{1,2})?|gio(\d{1,2})?)(?:p|ph|phut)?$")
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_WEEKDAYS = {"hai": 0, "2": 0, "ba": 1, "3": 1, "tu": 2, "4": 2, "nam": 3, "5": 3, "sau": 4,
             "6": 4, "bay": 5, "7": 5}
_PARTS = {"sang", "trua", "chieu", "toi", "dem"}
_FILLERS = {"luc", "vao", "buoi", "ngay", ","}


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

    def at(self, shift: int = 0) -> str:
        index = self.position + shift
        return self.tokens[index] if index < len(self.tokens) else ""

    def scan(self) -> None:
        while self.position < len(self.tokens):
            before = self.position
            for rule in (self._time, self._part, self._date, self._relative, self._weekday,
                         self._filler):
                if rule():
                    break
            if self.position == before:
                return
            # A comma, a dash or "tại" after a complete day and time ends them.
            ended = self.closed[self.position - 1] or self.at() in {"tai", "-", "–"}
            if ended and self.hour is not None and self._has_day():
                return

    def _has_day(self) -> bool:
        return self.day is not None or self.offset is not None or self.weekday is not None

    def _time(self) -> bool:
        if self.hour is not None:
            return False
        token = self.at()
        match = _TIME.match(token)
        if match is not None:
            self.hour = int(match.group(1))
            minute = match.group(2) or match.group(3)
            self.position += 1
            if minute is None and self.at() in {"ruoi", "30"}:
                minute = "30"
                self.position += 1
            self.minute = int(minute or 0)
            self._skip("phut")
            return True
        if token.isdigit() and len(token) <= 2 and self.at(1) in {"gio", "h", "g"}:
            self.hour = int(token)
            self.position += 2
            following = self.at()
            if following == "ruoi":
                self.minute = 30
                self.position += 1
            elif following.isdigit() and len(following) <= 2:
                self.minute = int(following)
                self.position += 1
                self._skip("phut")
            return True
        return False

    def _skip(self, word: str) -> None:
        if self.at() == word:
            self.position += 1

    def _part(self) -> bool:
        if self.at() in _PARTS and self.part is None:
            self.part = self.at()
            self.position += 1
            return True
        return False

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
        hour = self._hour_of_day(self.hour)
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

    def _hour_of_day(self, hour: int) -> int | None:
        afternoon = (
            (self.part in {"chieu", "toi"} and hour < 12)
            or (self.part == "trua" and hour <= 2)
            or (self.part == "dem" and 7 <= hour < 12)
        )
        if afternoon:
            hour += 12
        return hour if 0 <= hour <= 23 else None


def _at(day: date, hour: int, minute: int, now: datetime) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=now.tzinfo)
