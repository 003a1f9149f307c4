"""Days and times as staff type them: numbers, words, with or without accents, and a place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.dates import example_datetime, parse_local_datetime, parse_when_and_place, read_when

ZONE = "Asia/Ho_Chi_Minh"
# Monday 07/12/2026, 10:00 in Vietnam.
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def local(text: str) -> str | None:
    moment = parse_local_datetime(text, ZONE, NOW)
    return None if moment is None else moment.strftime("%d/%m/%Y %H:%M")


@pytest.mark.parametrize(("typed", "meant"), [
    ("8h sáng mai", "08/12/2026 08:00"),
    ("8h sang mai", "08/12/2026 08:00"),
    ("thứ 6 tuần sau 14h", "18/12/2026 14:00"),
    ("thu 6 tuan sau 14h", "18/12/2026 14:00"),
    ("20/12 8:00", "20/12/2026 08:00"),
    ("14 giờ 30 ngày 15/7", "15/07/2027 14:30"),
    ("25/11/2026 07:30", "25/11/2026 07:30"),
    ("25/12 7h30", "25/12/2026 07:30"),
    ("2h chiều mai", "08/12/2026 14:00"),
    ("8 giờ rưỡi sáng thứ hai", "14/12/2026 08:30"),
    ("chủ nhật 7h", "13/12/2026 07:00"),
    ("lúc 9h ngày 10/1", "10/01/2027 09:00"),
    ("15 tháng 1 năm 2027 lúc 8 giờ", "15/01/2027 08:00"),
    ("t7 tuần này 8h", "12/12/2026 08:00"),
    ("7 giờ tối nay", "07/12/2026 19:00"),
    ("1h trưa ngày mốt", "09/12/2026 13:00"),
    ("8h", "08/12/2026 08:00"),  # 08:00 today has passed: tomorrow is meant
    ("20/12/26 8:00", "20/12/2026 08:00"),
])
def test_days_and_times_are_read_as_said(typed: str, meant: str) -> None:
    assert local(typed) == meant


@pytest.mark.parametrize("typed", [
    "hello", "", "Nhà văn hóa 8h", "31/02 8:00", "25h sáng mai", "8:75 mai", "mai", "20/12",
    "thứ 6 tuần sau",
])
def test_what_is_not_a_day_and_time_is_refused(typed: str) -> None:
    assert local(typed) is None


def test_a_weekday_today_that_has_passed_means_next_week() -> None:
    assert local("thứ hai 9h") == "14/12/2026 09:00"
    assert local("thứ hai 11h") == "07/12/2026 11:00"


@pytest.mark.parametrize(("typed", "place"), [
    ("8h sáng mai tại Nhà văn hóa ấp Tân Dân", "Nhà văn hóa ấp Tân Dân"),
    ("20/12 8:00, Nhà văn hóa ấp Tân Hậu", "Nhà văn hóa ấp Tân Hậu"),
    ("20/12/2026 14:00\nNhà văn hóa ấp Tân Dân", "Nhà văn hóa ấp Tân Dân"),
    ("thứ 6 tuần sau 14h - Hội trường UBND xã", "Hội trường UBND xã"),
    ("14 giờ 30 ngày 15/7 ở  Trường Tiểu học  Tân Chủ", "Trường Tiểu học Tân Chủ"),
])
def test_a_place_may_follow_on_the_same_line(typed: str, place: str) -> None:
    parsed = parse_when_and_place(typed, ZONE, NOW)
    assert parsed is not None and parsed[1] == place


def test_a_day_and_time_alone_is_not_a_place() -> None:
    assert parse_when_and_place("8h sáng mai", ZONE, NOW) is None
    assert read_when("8h sáng mai", ZONE, NOW) is not None


def test_a_past_time_with_a_place_is_refused() -> None:
    assert parse_when_and_place("01/12/2026 8:00 tại Nhà văn hóa", ZONE, NOW) is None


def test_examples_in_prompts_are_in_the_future() -> None:
    shown = example_datetime(NOW, ZONE)
    moment = parse_local_datetime(shown, ZONE, NOW)
    assert moment is not None and moment > NOW + timedelta(days=1)


@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_never_raises(text: str) -> None:
    parse_when_and_place(text, ZONE, NOW)
    moment = parse_local_datetime(text, ZONE, NOW)
    assert moment is None or moment.tzinfo is not None


def span(text: str) -> str | None:
    when = read_when(text, ZONE, NOW)
    if when is None or when.ends_at is None:
        return None
    return (f"{when.moment:%d/%m/%Y %H:%M}-{when.ends_at:%H:%M}"
            + (f" | {when.rest}" if when.rest else ""))


@pytest.mark.parametrize(("typed", "meant"), [
    ("8h-10h sáng mai tại Nhà văn hóa ấp Tân Dân",
     "08/12/2026 08:00-10:00 | Nhà văn hóa ấp Tân Dân"),
    ("8h - 10h sáng mai", "08/12/2026 08:00-10:00"),
    ("7h30-10h30 ngày 15/12", "15/12/2026 07:30-10:30"),
    ("15/12 7:30 – 10:30, Hội trường UBND xã", "15/12/2026 07:30-10:30 | Hội trường UBND xã"),
    ("từ 8h đến 10h sáng mai", "08/12/2026 08:00-10:00"),
    ("2h-4h chiều mai", "08/12/2026 14:00-16:00"),
    ("14h tới 16h30 thứ 6 tuần sau", "18/12/2026 14:00-16:30"),
    ("8-10h sáng mai", "08/12/2026 08:00-10:00"),
    ("mai 8h - 10h tại Nhà văn hóa", "08/12/2026 08:00-10:00 | Nhà văn hóa"),
    ("10h sáng đến 2h chiều mai", "08/12/2026 10:00-14:00"),
])
def test_a_start_and_an_end_are_read_as_said(typed: str, meant: str) -> None:
    assert span(typed) == meant


def test_an_end_before_the_start_is_refused() -> None:
    assert read_when("10h-8h sáng mai", ZONE, NOW) is None


def test_a_dash_after_a_whole_day_and_time_still_starts_the_place() -> None:
    when = read_when("thứ 6 tuần sau 14h - Hội trường UBND xã", ZONE, NOW)
    assert when is not None and when.ends_at is None and when.rest == "Hội trường UBND xã"
    evening = read_when("8h tối mai", ZONE, NOW)
    assert evening is not None and evening.moment.hour == 20 and evening.ends_at is None
