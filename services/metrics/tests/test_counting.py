"""The counting rule (services/metrics/counting.py), alone: no I/O."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.metrics import counting

T0 = datetime(2026, 9, 1, 3, 0, 0, tzinfo=timezone.utc)  # 11:00 in Shanghai
USER, CONTENT = uuid.uuid4(), uuid.uuid4()


def share(at, content=CONTENT, channel="qq", user=USER):
    return {"share_id": uuid.uuid4(), "user_id": user, "content_id": content, "channel": channel, "returned_at": at}


def outcomes(returns, per_minute=10, tally=None):
    return [o for _, o in counting.decide(returns, tally or counting.Tally(), per_minute)]


def test_55_returns_of_one_resource_in_under_a_second_count_once():
    returns = [share(T0 + timedelta(milliseconds=14 * i)) for i in range(55)]
    assert outcomes(returns).count(counting.COUNTED) == 1
    assert set(outcomes(returns)) == {counting.COUNTED, counting.DUPLICATE}


def test_one_counted_share_per_content_channel_and_shanghai_day():
    other = uuid.uuid4()
    returns = [share(T0), share(T0 + timedelta(minutes=5), channel="weibo"), share(T0 + timedelta(minutes=6), other),
               share(T0 + timedelta(hours=2)), share(T0, user=uuid.uuid4())]
    assert outcomes(returns) == [counting.COUNTED, counting.COUNTED, counting.COUNTED, counting.COUNTED,
                                 counting.DUPLICATE]


def test_the_day_is_shanghais_not_utcs():
    midnight = datetime(2026, 9, 1, 16, tzinfo=timezone.utc)  # 00:00 on 2 September in Shanghai
    assert outcomes([share(midnight - timedelta(seconds=1)), share(midnight)]) == [counting.COUNTED, counting.COUNTED]
    # 23:59 UTC and 00:01 UTC are the same Shanghai day (07:59 and 08:01)
    utc_midnight = datetime(2026, 9, 2, 0, tzinfo=timezone.utc)
    assert outcomes([share(utc_midnight - timedelta(minutes=1)), share(utc_midnight + timedelta(minutes=1))]) == [
        counting.COUNTED, counting.DUPLICATE]


def test_an_article_shared_as_a_resource_is_the_same_content():
    first, second = share(T0), share(T0 + timedelta(seconds=5))
    first["content_type"], second["content_type"] = "article", "resource"
    assert outcomes([first, second]) == [counting.COUNTED, counting.DUPLICATE]


def test_the_minute_ceiling_per_person_and_clock_minute():
    mine = [share(T0 + timedelta(seconds=i), content=uuid.uuid4()) for i in range(5)]
    next_minute = share(T0 + timedelta(seconds=60), content=uuid.uuid4())
    someone_else = share(T0 + timedelta(seconds=3), content=uuid.uuid4(), user=uuid.uuid4())
    decided = {id(s): o for s, o in counting.decide(mine + [next_minute, someone_else], counting.Tally(), 3)}
    assert [decided[id(s)] for s in mine] == [counting.COUNTED] * 3 + [counting.MINUTE_CEILING] * 2
    assert decided[id(next_minute)] == decided[id(someone_else)] == counting.COUNTED
    # 11:00:59 and 11:01:00 are two minutes; 11:00:00 and 11:00:59 one
    edge = [share(T0 + timedelta(seconds=59), content=uuid.uuid4()), share(T0 + timedelta(seconds=60),
                                                                          content=uuid.uuid4())]
    assert outcomes([share(T0, content=uuid.uuid4())] + edge, per_minute=1) == [
        counting.COUNTED, counting.MINUTE_CEILING, counting.COUNTED]


def test_a_share_over_the_ceiling_does_not_use_up_its_content_key():
    key_content = uuid.uuid4()
    returns = [share(T0, content=uuid.uuid4()), share(T0 + timedelta(seconds=1), content=key_content),
               share(T0 + timedelta(seconds=61), content=key_content)]
    assert outcomes(returns, per_minute=1) == [counting.COUNTED, counting.MINUTE_CEILING, counting.COUNTED]


def test_decisions_follow_return_order_whatever_the_input_order_and_the_tally_carries_over():
    returns = [share(T0 + timedelta(seconds=s)) for s in (30, 10, 20)]
    decided = counting.decide(returns, counting.Tally(), 10)
    assert [s["returned_at"] for s, _ in decided] == sorted(r["returned_at"] for r in returns)
    tally = counting.Tally()
    counting.decide(returns[:1], tally, 10)
    assert outcomes(returns[1:], tally=tally) == [counting.DUPLICATE, counting.DUPLICATE]


def test_a_ceiling_below_one_is_refused():
    with pytest.raises(ValueError):
        counting.decide([share(T0)], counting.Tally(), 0)


def test_first_returns_takes_each_shares_first_valid_return_and_names_the_rest():
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    sid, decided_sid, unknown = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    expires = T0 + timedelta(hours=1)
    shares = {str(sid): {"user_id": owner, "content_id": CONTENT, "channel": "qq", "expires_at": expires,
                         "decided": False},
              str(decided_sid): {"user_id": owner, "content_id": CONTENT, "channel": "qq", "expires_at": expires,
                                 "decided": True}}

    def event(share_id, user, at):
        return {"event_id": uuid.uuid4(), "share_id": share_id, "user_id": user, "returned_at": at}

    late = event(sid, owner, expires + timedelta(seconds=1))
    second = event(sid, owner, T0 + timedelta(minutes=2))
    first = event(sid, owner, T0 + timedelta(minutes=1))
    foreign = event(sid, stranger, T0)
    repeat = event(decided_sid, owner, T0)
    lost = event(unknown, owner, T0)
    found, named = counting.first_returns([late, second, first, first, foreign, repeat, lost], shares)
    assert [(str(f["share_id"]), f["returned_at"], f["event_id"]) for f in found] == [
        (str(sid), first["returned_at"], first["event_id"])]
    assert named == {late["event_id"]: counting.LATE, second["event_id"]: counting.REPEAT,
                     foreign["event_id"]: counting.NOT_OWNER, repeat["event_id"]: counting.REPEAT,
                     lost["event_id"]: counting.UNKNOWN_SHARE}


def test_count_gives_totals_per_person():
    other = uuid.uuid4()
    returns = [share(T0), share(T0 + timedelta(seconds=1)), share(T0, channel="weibo", user=other)]
    assert counting.count(returns, 10) == {str(USER): 1, str(other): 1}


@pytest.mark.parametrize("ceiling", [0, -1, 1001, "ten", 2.5])
def test_the_admin_cannot_set_a_ceiling_outside_1_to_1000(ceiling):
    from services.metrics.schemas import SettingsSchema

    assert "share_minute_ceiling" in SettingsSchema().validate({"share_minute_ceiling": ceiling})
    assert SettingsSchema().validate({"share_minute_ceiling": 10}) == {}
