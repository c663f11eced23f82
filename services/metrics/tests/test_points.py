import uuid
from datetime import datetime, timedelta, timezone

from services.metrics.points import award

USER = uuid.uuid4()
CST = timezone(timedelta(hours=8))


def share(channel, at, user=USER):
    return {"share_id": uuid.uuid4(), "user_id": user, "channel": channel, "returned_at": at}


def test_points_follow_the_channel_and_zero_is_allowed():
    at = datetime(2026, 9, 1, 10, tzinfo=CST)
    awarded = award([share("wechat_group", at), share("weibo", at + timedelta(seconds=1))],
                    {"wechat_group": 3, "weibo": 0}, daily_cap=100, earned={})
    assert [a[3] for a in awarded] == [3, 0]


def test_the_daily_cap_stops_points_but_the_shares_still_count():
    at = datetime(2026, 9, 1, 10, tzinfo=CST)
    returns = [share("qq", at + timedelta(seconds=i)) for i in range(5)]
    awarded = award(returns, {"qq": 2}, daily_cap=5, earned={})
    assert [a[3] for a in awarded] == [2, 2, 1, 0, 0]
    assert len(awarded) == 5


def test_points_already_earned_that_day_count_against_the_cap():
    at = datetime(2026, 9, 1, 10, tzinfo=CST)
    earned = {(USER, at.date()): 4}
    assert award([share("qq", at)], {"qq": 2}, daily_cap=5, earned=earned)[0][3] == 1
    assert earned[(USER, at.date())] == 5


def test_the_cap_starts_again_at_shanghai_midnight_not_utc_midnight():
    before = datetime(2026, 9, 1, 15, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Shanghai
    after = before + timedelta(seconds=2)  # 00:00:01 on 2 September in Shanghai, still 1 September in UTC
    awarded = award([share("qq", before), share("qq", before), share("qq", after)], {"qq": 1}, daily_cap=1,
                    earned={})
    assert [(a[2].isoformat(), a[3]) for a in awarded] == [("2026-09-01", 1), ("2026-09-01", 0), ("2026-09-02", 1)]


def test_each_user_has_their_own_cap():
    other = uuid.uuid4()
    at = datetime(2026, 9, 1, 10, tzinfo=CST)
    awarded = award([share("qq", at), share("qq", at, other)], {"qq": 1}, daily_cap=1, earned={})
    assert [a[3] for a in awarded] == [1, 1]
