from datetime import date, datetime, timezone

import pytest

from services.metrics.periods import as_of, day_start, next_midnight, period_days, shanghai_day


def test_the_shanghai_day_changes_at_16_utc():
    assert shanghai_day(datetime(2026, 9, 1, 15, 59, 59, tzinfo=timezone.utc)) == date(2026, 9, 1)
    assert shanghai_day(datetime(2026, 9, 1, 16, 0, 0, tzinfo=timezone.utc)) == date(2026, 9, 2)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        shanghai_day(datetime(2026, 9, 1))


def test_statistics_are_as_of_today_midnight_in_shanghai():
    cutoff, last_day = as_of(datetime(2026, 9, 2, 1, 0, tzinfo=timezone.utc))  # 09:00 on 2 September in Shanghai
    assert cutoff == datetime(2026, 9, 1, 16, 0, tzinfo=timezone.utc)
    assert last_day == date(2026, 9, 1)


def test_just_before_midnight_the_previous_day_is_still_the_last():
    cutoff, last_day = as_of(datetime(2026, 9, 2, 15, 59, 59, tzinfo=timezone.utc))
    assert last_day == date(2026, 9, 1)
    assert as_of(datetime(2026, 9, 2, 16, 0, tzinfo=timezone.utc))[1] == date(2026, 9, 2)


def test_day_start_and_next_midnight():
    assert day_start(date(2026, 9, 2)) == datetime(2026, 9, 1, 16, tzinfo=timezone.utc)
    assert next_midnight(datetime(2026, 9, 1, 16, 0, 1, tzinfo=timezone.utc)) == datetime(2026, 9, 2, 16,
                                                                                          tzinfo=timezone.utc)


def test_periods():
    wednesday = date(2026, 9, 2)
    assert period_days("day", wednesday) == (wednesday, wednesday)
    assert period_days("week", wednesday) == (date(2026, 8, 31), wednesday)
    campaign = {"starts_on": date(2026, 8, 21), "ends_on": date(2026, 9, 30)}
    assert period_days("campaign", wednesday, campaign) == (date(2026, 8, 21), wednesday)
    assert period_days("campaign", date(2026, 10, 5), campaign) == (date(2026, 8, 21), date(2026, 9, 30))
    assert period_days("campaign", date(2026, 8, 1), campaign) is None
    with pytest.raises(ValueError):
        period_days("campaign", wednesday)
    with pytest.raises(ValueError):
        period_days("month", wednesday)
