"""Service levels in working hours (services/review/sla.py): nights and weekends do not count."""
from datetime import datetime, timedelta, timezone
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
