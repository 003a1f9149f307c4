"""Quiet hours in local time (Asia/Ho_Chi_Minh), across midnight."""

from datetime import UTC, datetime

from storage.messaging.quiet_hours import QuietHours

QUIET = QuietHours.parse("21:00-06:30", "Asia/Ho_Chi_Minh")



def test_evening_and_early_morning_are_quiet_daytime_is_not() -> None:
    assert QUIET.is_quiet(datetime(2026, 11, 22, 15, 0, tzinfo=UTC))  # 22:00 local
    assert QUIET.is_quiet(datetime(2026, 11, 22, 23, 0, tzinfo=UTC))  # 06:00 local
    assert not QUIET.is_quiet(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))  # 10:00 local
    assert not QUIET.is_quiet(datetime(2026, 11, 22, 13, 59, tzinfo=UTC))  # 20:59 local


def test_a_late_evening_announcement_waits_for_half_past_six_next_morning() -> None:
    evening = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # 22:30 local on 22/11
    assert QUIET.next_allowed(evening) == datetime(2026, 11, 22, 23, 30, tzinfo=UTC)


def test_an_early_morning_announcement_waits_until_half_past_six_the_same_day() -> None:
    dawn = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # 04:00 local on 23/11
    assert QUIET.next_allowed(dawn) == datetime(2026, 11, 22, 23, 30, tzinfo=UTC)


def test_daytime_announcements_go_at_once_and_empty_means_never_quiet() -> None:
    noon = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    assert QUIET.next_allowed(noon) == noon
    assert not QuietHours.parse("", "Asia/Ho_Chi_Minh").is_quiet(
        datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    )
