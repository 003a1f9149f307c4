"""Vietnamese working days: Monday to Friday, minus public holidays and their substitutes.

The `holidays` package knows Tết, the observed and swapped days the government announces each
year, so deadlines "in N working days" land where an office clerk would put them.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _calendar() -> holidays.HolidayBase:
    return holidays.country_holidays("VN")


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _calendar()


def add_working_days(start: date, days: int) -> date:
    """The day `days` working days after `start` (start itself does not count)."""
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when end is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(
        1 for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(days=offset))
    )
