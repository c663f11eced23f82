"""Service levels in working hours (services/review/sla.py): nights, weekends and public holidays do not count."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.review import sla

BJ = ZoneInfo("Asia/Shanghai")


def bj(*args):
    return datetime(*args, tzinfo=BJ)


@pytest.mark.parametrize("requested, hours, due", [
    (bj(2026, 12, 7, 10, 0), 8, bj(2026, 12, 8, 10, 0)),     # Monday 10:00 + 8 h: 7 h on Monday, 1 h on Tuesday
    (bj(2026, 12, 7, 9, 0), 8, bj(2026, 12, 7, 17, 0)),      # one working day
    (bj(2026, 12, 11, 16, 0), 8, bj(2026, 12, 14, 16, 0)),   # Friday 16:00: the weekend does not count
    (bj(2026, 12, 12, 11, 0), 8, bj(2026, 12, 14, 17, 0)),   # Saturday: counting starts Monday 09:00
    (bj(2026, 12, 7, 23, 30), 1, bj(2026, 12, 8, 10, 0)),    # at night: from the next morning
    (bj(2026, 12, 7, 6, 0), 2, bj(2026, 12, 7, 11, 0)),      # early morning: from 09:00 the same day
    (bj(2026, 12, 7, 9, 0), 40, bj(2026, 12, 11, 17, 0)),    # a working week
    (bj(2026, 12, 7, 17, 0), 9, bj(2026, 12, 9, 10, 0)),     # at closing time: from the next morning
])
def test_due_time_skips_nights_and_weekends(requested, hours, due):
    assert sla.due_at(requested, hours) == due.astimezone(timezone.utc)


@pytest.mark.parametrize("requested, hours, due", [
    # 30 September: an hour that day, then National Day's week (1-7 October 2026) is off
    (bj(2026, 9, 30, 16, 0), 8, bj(2026, 10, 8, 16, 0)),
    # Friday 9 October: Saturday the 10th is a moved working day (调休), Sunday is not
    (bj(2026, 10, 9, 16, 0), 8, bj(2026, 10, 10, 16, 0)),
    (bj(2026, 10, 9, 16, 0), 10, bj(2026, 10, 12, 10, 0)),
    # Sunday 20 September 2026 is worked for National Day
    (bj(2026, 9, 19, 12, 0), 2, bj(2026, 9, 20, 11, 0)),
    # the Spring Festival of 2026: Saturday 14 February worked, 15-23 February off
    (bj(2026, 2, 13, 16, 0), 16, bj(2026, 2, 24, 16, 0)),
    # a holiday on a weekday: New Year's Day 2027 is a Friday
    (bj(2026, 12, 31, 17, 0), 1, bj(2027, 1, 4, 10, 0)),
    # a year beyond the newest notice still has its holidays' usual dates: National Day 2027 (a Friday)
    (bj(2027, 9, 30, 17, 0), 1, bj(2027, 10, 6, 10, 0)),
])
def test_public_holidays_do_not_count_and_moved_weekends_do(requested, hours, due):
    assert sla.due_at(requested, hours) == due.astimezone(timezone.utc)


def test_working_time_skips_public_holidays():
    assert sla.working_time(bj(2026, 9, 30, 9, 0), bj(2026, 10, 8, 17, 0)) == timedelta(hours=16)
    assert sla.working_time(bj(2026, 10, 1, 0, 0), bj(2026, 10, 7, 23, 0)) == timedelta(0)


def test_a_deployments_own_days_win_over_the_public_calendar():
    own = sla.WorkingCalendar(sla.CHINA.public, extra_holidays={date(2026, 12, 8)}, extra_workdays={date(2026, 12, 12)})
    assert sla.due_at(bj(2026, 12, 7, 10, 0), 8, own) == bj(2026, 12, 9, 10, 0).astimezone(timezone.utc)
    assert sla.due_at(bj(2026, 12, 11, 16, 0), 8, own) == bj(2026, 12, 12, 16, 0).astimezone(timezone.utc)
    # a notice the package does not have: 2 October 2026 worked after all, 9 October off
    moved = sla.WorkingCalendar(sla.CHINA.public, extra_holidays={date(2026, 10, 9)},
                                extra_workdays={date(2026, 10, 2)})
    assert sla.due_at(bj(2026, 9, 30, 16, 0), 8, moved) == bj(2026, 10, 2, 16, 0).astimezone(timezone.utc)
    assert not moved.is_working_day(date(2026, 10, 9)) and moved.is_working_day(date(2026, 10, 10))
    with pytest.raises(ValueError):
        sla.WorkingCalendar(None, extra_holidays={date(2026, 12, 8)}, extra_workdays={date(2026, 12, 8)})


def test_without_a_public_calendar_monday_to_friday_count():
    plain = sla.WorkingCalendar(None)
    assert sla.due_at(bj(2026, 9, 30, 16, 0), 8, plain) == bj(2026, 10, 1, 16, 0).astimezone(timezone.utc)
    assert not plain.is_working_day(date(2026, 10, 10))


def test_due_time_takes_utc_in_and_gives_utc_out():
    requested = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing
    assert sla.due_at(requested, 1) == datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)


def test_working_time_between_counts_only_working_hours():
    assert sla.working_time(bj(2026, 12, 11, 16, 0), bj(2026, 12, 14, 10, 0)) == timedelta(hours=2)
    assert sla.working_time(bj(2026, 12, 12, 0, 0), bj(2026, 12, 13, 23, 0)) == timedelta(0)
    assert sla.working_time(bj(2026, 12, 8, 0, 0), bj(2026, 12, 7, 0, 0)) == timedelta(0)
    start = bj(2026, 12, 7, 10, 0)
    assert sla.working_time(start, sla.due_at(start, 13).astimezone(BJ)) == timedelta(hours=13)


def test_targets_per_kind_and_stage_with_configured_overrides():
    assert sla.target_hours("resource", "scientific") == 40
    assert sla.target_hours("activity", "provincial") == 8 and sla.target_hours("organization", "org") == 16
    assert sla.target_hours("activity", "national", {"national": 24}) == 24  # the stage's setting applies to kinds
    assert sla.target_hours("activity", "national", {"national": 24, "activity:national": 4}) == 4
    assert sla.target_hours("resource", "national", {"activity:national": 4}) == 16
    assert sla.target_hours("thing", "unknown-stage") == sla.FALLBACK_TARGET


def test_overdue_and_long_claimed():
    now = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
    task = {"status": "open", "due_at": now - timedelta(minutes=1), "claimed_by": None, "claimed_until": None,
            "claimed_at": None, "decided_at": None}
    assert sla.is_overdue(task, now) and sla.needs_lead(task, now)
    assert not sla.is_overdue(dict(task, due_at=now + timedelta(minutes=1)), now)
    # a decision stops the clock: decided before the due time is not overdue, whenever it is looked at
    decided = dict(task, status="decided", due_at=now, decided_at=now - timedelta(hours=1))
    assert not sla.is_overdue(decided, now + timedelta(days=30)) and not sla.needs_lead(decided, now)
    claimed = dict(task, due_at=now + timedelta(hours=5), claimed_by="u", claimed_until=now + timedelta(minutes=10),
                   claimed_at=now - timedelta(hours=3))
    assert sla.is_long_claimed(claimed, now) and sla.needs_lead(claimed, now)
    assert not sla.is_long_claimed(dict(claimed, claimed_at=now - timedelta(minutes=30)), now)
    assert not sla.is_long_claimed(dict(claimed, claimed_until=now - timedelta(seconds=1)), now)  # lapsed
    assert not sla.needs_lead(dict(task, due_at=None), now)


def test_settings_read_targets_from_json_and_refuse_nonsense():
    from services.review.dependencies import ReviewSettings

    settings = ReviewSettings({"claim_minutes": "15", "sla_hours": '{"national": 24, "activity:provincial": 4}',
                               "long_claim_minutes": "90"})
    assert settings.target_hours("activity", "provincial") == 4 and settings.target_hours("resource", "national") == 24
    assert settings.long_claim == timedelta(minutes=90) and settings.claim_ttl == timedelta(minutes=15)
    assert ReviewSettings({"sla_hours": ""}).target_hours("resource", "scientific") == 40
    assert ReviewSettings(None).long_claim == sla.LONG_CLAIM
    for bad in ('{"national": 0}', '{"national": -1}', '[1]'):
        with pytest.raises(ValueError):
            ReviewSettings({"sla_hours": bad})


def test_settings_read_a_notice_of_their_own_and_refuse_malformed_days():
    from services.review.dependencies import ReviewSettings

    assert ReviewSettings({"holidays": "", "workdays": None}).calendar is sla.CHINA
    settings = ReviewSettings({"holidays": "2026-12-08, 2026-12-09", "workdays": "2026-12-12"})
    assert settings.due_at("resource", "realname", bj(2026, 12, 7, 10, 0)) == bj(2026, 12, 10, 10, 0).astimezone(
        timezone.utc)
    assert settings.calendar.is_working_day(date(2026, 12, 12)) and settings.calendar.is_working_day(date(2026, 12, 7))
    assert not settings.calendar.is_working_day(date(2026, 10, 1))  # the public calendar still applies
    for bad in ({"holidays": "2026-13-01"}, {"workdays": "12/12/2026"}, {"holidays": "2026-12-08", "workdays": "2026-12-08"}):
        with pytest.raises(ValueError):
            ReviewSettings(bad)
