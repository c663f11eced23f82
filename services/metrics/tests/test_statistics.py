"""The daily rollup and what is read from it: as_of boundaries, idempotent re-runs, one instance doing the
work, leaderboards, recognition, activity and download statistics."""
import threading
import uuid
from datetime import date, datetime, timedelta, timezone

import psycopg2
import pytest
from nameko.testing.services import entrypoint_hook

from kepu_common.interfaces.contracts import make_event
from kepu_common.interfaces.errors import InvalidInput
from services.metrics import cli, rollup, stats
from services.metrics.periods import day_start
from services.metrics.tests.conftest import deliver, published_resource, returned

DAY = date(2026, 9, 1)
MIDNIGHT = day_start(DAY + timedelta(days=1))  # 00:00 on 2 September, Asia/Shanghai


def call(metrics, method, *args, **kwargs):
    with entrypoint_hook(metrics, method) as hook:
        return hook(*args, **kwargs)


def org_with_members(metrics, amqp_uri, members, joined_at, region="110105"):
    org_id, registrant = uuid.uuid4(), uuid.uuid4()
    deliver(metrics, amqp_uri, "on_org_registered", [make_event(
        "org_registered", "identity", org_id=str(org_id), registrant_id=str(registrant), name="朝阳区科协",
        category="county_cast", region_code=region)])
    users = [uuid.uuid4() for _ in range(members)]
    events = [make_event("user_verified", "identity", verification_id=str(uuid.uuid4()), user_id=str(u),
                         region_code=region, communicator_type="individual", org_id=str(org_id),
                         masked_name=f"王*{n}") for n, u in enumerate(users)]
    for event in events:
        event["occurred_at"] = joined_at.isoformat()
    deliver(metrics, amqp_uri, "on_user_verified", events)
    return org_id, registrant, users


def shared_at(metrics, amqp_uri, users, times):
    """Each user starts a share, which returns at the given times (one share per time)."""
    call(metrics, "update_settings", {"return_window_minutes": 43200})
    resources = published_resources(metrics, amqp_uri, len(users))  # one each: the counting rule counts every one
    events = []
    for user, at, resource in zip(users, times, resources):
        share = call(metrics, "start_share", str(user), {"content_type": "resource", "content_id": str(resource),
                                                         "channel": "qq"})
        events.append(returned(uuid.UUID(hex=share["share_id"].split(".")[0]), user, at))
    deliver(metrics, amqp_uri, "on_share_returned", events)


def published_resources(metrics, amqp_uri, n):
    ids = [uuid.uuid4() for _ in range(n)]
    deliver(metrics, amqp_uri, "on_resource_status", [make_event(
        "resource_status_changed", "resources", resource_id=str(r), org_id=str(uuid.uuid4()), type="article",
        status="published", previous_status="pending_scientific") for r in ids])
    return ids


def read(db_url, function, *args):
    conn = psycopg2.connect(db_url)
    try:
        with conn, conn.cursor() as cur:
            return function(cur, *args)
    finally:
        conn.close()


def test_org_stats_count_what_happened_before_00_00_shanghai(metrics, amqp_uri, metrics_config):
    url = metrics_config["DATABASE_URL"]
    org_id, _, users = org_with_members(metrics, amqp_uri, 3, MIDNIGHT - timedelta(days=1))
    shared_at(metrics, amqp_uri, users, [MIDNIGHT - timedelta(seconds=1), MIDNIGHT - timedelta(hours=5), MIDNIGHT])
    # a member joining exactly at midnight belongs to the next day
    deliver(metrics, amqp_uri, "on_membership", [dict(make_event(
        "member_joined", "identity", user_id=str(uuid.uuid4()), org_id=str(org_id)), occurred_at=MIDNIGHT.isoformat())])
    cli.rebuild(url, DAY, DAY + timedelta(days=1))
    first = read(url, stats.org, org_id, DAY)
    assert (first["communicators"], first["shares_last_day"], first["shares_total"]) == (3, 2, 2)
    assert first["as_of"] == MIDNIGHT
    second = read(url, stats.org, org_id, DAY + timedelta(days=1))
    assert (second["communicators"], second["shares_last_day"], second["shares_total"]) == (4, 1, 3)
    assert second["as_of"] == MIDNIGHT + timedelta(days=1)


def test_a_rerun_is_idempotent_and_a_late_share_makes_its_day_stale(metrics, amqp_uri, metrics_config):
    url = metrics_config["DATABASE_URL"]
    org_id, _, users = org_with_members(metrics, amqp_uri, 2, MIDNIGHT - timedelta(days=2))
    shared_at(metrics, amqp_uri, users[:1], [MIDNIGHT - timedelta(hours=1)])
    cli.rebuild(url, DAY, DAY)
    before = read(url, lambda cur: (query_all(cur, "SELECT * FROM day_user ORDER BY user_id"),
                                    query_all(cur, "SELECT day, org_id, communicators, shares_day, shares_total "
                                                   "FROM org_day ORDER BY org_id")))
    cli.rebuild(url, DAY, DAY)
    again = read(url, lambda cur: (query_all(cur, "SELECT * FROM day_user ORDER BY user_id"),
                                   query_all(cur, "SELECT day, org_id, communicators, shares_day, shares_total "
                                                  "FROM org_day ORDER BY org_id")))
    assert again == before
    shared_at(metrics, amqp_uri, users[1:], [MIDNIGHT - timedelta(minutes=1)])  # accepted before midnight, late
    assert read(url, lambda cur: query_all(cur, "SELECT stale FROM rollups WHERE day = %s", DAY)) == [(True,)]
    conn = psycopg2.connect(url)
    try:
        assert rollup.run_due(conn, MIDNIGHT + timedelta(hours=1)) == [DAY]
    finally:
        conn.close()
    assert read(url, stats.org, org_id, DAY)["shares_total"] == 2


def query_all(cur, sql, *params):
    cur.execute(sql, params)
    return cur.fetchall()


def test_exactly_one_of_several_instances_rolls_up_a_day(metrics, amqp_uri, metrics_config):
    url = metrics_config["DATABASE_URL"]
    _, _, users = org_with_members(metrics, amqp_uri, 1, MIDNIGHT - timedelta(days=1))
    shared_at(metrics, amqp_uri, users, [MIDNIGHT - timedelta(hours=2)])
    done, barrier = [], threading.Barrier(5)

    def instance():
        conn = psycopg2.connect(url)
        try:
            barrier.wait()
            done.append(rollup.run_due(conn, MIDNIGHT + timedelta(seconds=5)))
        finally:
            conn.close()

    threads = [threading.Thread(target=instance) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(d) for d in done) == [0, 0, 0, 0, 1]
    assert read(url, lambda cur: query_all(cur, "SELECT day, shares, stale FROM rollups")) == [(DAY, 1, False)]
    conn = psycopg2.connect(url)
    try:
        assert rollup.run_due(conn, MIDNIGHT + timedelta(minutes=1)) == []  # already done: nothing due
    finally:
        conn.close()


def test_leaderboards_rank_as_of_midnight_and_give_your_own_rank(metrics, amqp_uri, metrics_config):
    url = metrics_config["DATABASE_URL"]
    org_id, _, users = org_with_members(metrics, amqp_uri, 3, MIDNIGHT - timedelta(days=3))
    a, b, c = users
    times = [MIDNIGHT - timedelta(hours=h) for h in (1, 2, 3)]
    shared_at(metrics, amqp_uri, [a, a, a, b, b, c, c], times * 2 + times[:1])
    shared_at(metrics, amqp_uri, [c, c, c], [MIDNIGHT + timedelta(hours=1)] * 3)  # the next day: not yet counted
    cli.rebuild(url, DAY, DAY)
    rows, more = read(url, stats.leaderboard, "communicators", "province", "110000", "day", DAY, None, 1, 2)
    assert [(r["user_id"], r["shares"], r["rank"]) for r in rows] == [(a, 3, 1), *sorted([(b, 2, 2), (c, 2, 2)])][:2]
    assert more
    assert read(url, stats.own_rank, c, "city", "110000", "week", DAY) == 2
    assert {(r["region_name"], r["org_name"]) for r in rows} == {("北京市朝阳区", "朝阳区科协")}
    assert rows[0]["masked_name"] == "王*0"  # a, from user_verified: metrics keeps the masked name only
    orgs, _ = read(url, stats.leaderboard, "orgs", "national", None, "week", DAY, None, 1, 10)
    assert [(o["org_id"], o["shares"], o["rank"], o["region_name"]) for o in orgs] == [(org_id, 7, 1, "北京市朝阳区")]
    # Beijing's official city code gives the board filed under 110000; a province code as a city is refused
    board = call(metrics, "leaderboard", str(a), {"scope": "city", "code": "110100", "period": "total"})
    assert (board["scope_code"], board["scope_name"]) == ("110000", "北京市")
    assert board == call(metrics, "leaderboard", str(a), {"scope": "city", "code": "110000", "period": "total"})
    with pytest.raises(InvalidInput) as refused:
        call(metrics, "leaderboard", str(a), {"scope": "city", "code": "130000", "period": "total"})
    assert refused.value.fields == {"code": {"code": "not_a_city", "params": {}}}


def test_recognition_uses_the_campaign_window_and_the_thresholds(metrics, amqp_uri, metrics_config):
    url = metrics_config["DATABASE_URL"]
    org_id, _, users = org_with_members(metrics, amqp_uri, 3, MIDNIGHT - timedelta(days=3))
    call(metrics, "update_settings", {"org_min_communicators": 3, "org_min_shares": 4, "individual_min_shares": 3})
    campaign = str(uuid.uuid4())
    call(metrics, "put_campaign", campaign, {"name": "全国科普日", "starts_on": "2026-09-01", "ends_on": "2026-09-30"})
    a, b, _ = users
    shared_at(metrics, amqp_uri, [a, a, a, b], [MIDNIGHT - timedelta(hours=1)] * 4)
    shared_at(metrics, amqp_uri, [b], [MIDNIGHT - timedelta(days=1, hours=1)])  # before the campaign
    cli.rebuild(url, DAY - timedelta(days=1), DAY)
    found = read(url, stats.recognitions, campaign, DAY)
    assert [(o["org_id"], o["communicators"], o["shares"]) for o in found["orgs"]] == [(org_id, 3, 4)]
    assert [(p["user_id"], p["shares"]) for p in found["individuals"]] == [(a, 3)]
    person, org = found["individuals"][0], found["orgs"][0]
    assert (person["region_code"], person["region_name"], person["org_id"], person["org_name"]) == (
        "110105", "北京市朝阳区", org_id, "朝阳区科协")
    assert (org["region_code"], org["region_name"]) == ("110105", "北京市朝阳区")
    call(metrics, "update_settings", {"org_min_communicators": 4})
    assert read(url, stats.recognitions, campaign, DAY)["orgs"] == []


def test_activity_statistics_follow_the_latest_revision(metrics, amqp_uri):
    campaign = str(uuid.uuid4())

    def event(event_type, activity, revision, status, region="110105", channel="city_cast", shelf="on"):
        return make_event(event_type, "activities", activity_id=str(activity), org_id=str(uuid.uuid4()),
                          campaign_id=campaign, region_code=region, channel=channel,
                          supervising_org_id=str(uuid.uuid4()), review_status=status, shelf=shelf, revision=revision)

    one, two, three = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    newer = event("activity_approved", one, 2, "approved")
    older = event("activity_submitted", one, 1, "pending_provincial")
    # each event type has its own queue: one delivery per type, so each wait is for the right batch
    for batch in ([newer], [older], [event("activity_approved", two, 1, "approved", "310101", "provincial_cast")],
                  [event("activity_rejected", three, 1, "provincial_rejected")]):
        deliver(metrics, amqp_uri, "on_activity", batch)
    figures = call(metrics, "activity_stats", {"campaign_id": campaign})
    assert figures["approved"] == 2
    assert sorted((c["key"], c["approved"]) for c in figures["by_channel"]) == [("city_cast", 1), ("provincial_cast", 1)]
    assert call(metrics, "activity_stats", {"region_code": "110000"})["approved"] == 1


def test_downloads_are_counted_per_resource(metrics, amqp_uri):
    org, resource = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(timezone.utc).isoformat()
    events = [make_event("resource_downloaded", "resources", resource_id=resource, org_id=org, type="video",
                         downloaded_at=now) for _ in range(3)]
    deliver(metrics, amqp_uri, "on_resource_downloaded", events)
    deliver(metrics, amqp_uri, "on_resource_downloaded", events[:1])  # a redelivery
    figures = call(metrics, "downloads", {"org_id": org}, admin=True)
    assert figures["total"] == 3 and figures["top"][0]["resource_id"] == resource


def test_one_organizations_downloads_go_only_to_its_people_and_platform_admins(metrics, amqp_uri):
    org, resource = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(metrics, amqp_uri, "on_resource_downloaded", [make_event(
        "resource_downloaded", "resources", resource_id=resource, org_id=org, type="video",
        downloaded_at=datetime.now(timezone.utc).isoformat())])
    for asker in ({}, {"user_id": str(uuid.uuid4())}):  # nobody, and an admin of some other organization
        with pytest.raises(Exception) as refused:
            call(metrics, "downloads", {"org_id": org}, **asker)
        assert "org_stats_forbidden" in str(refused.value) or "Forbidden" in str(refused.value)
    assert "total" in call(metrics, "downloads", {})  # the platform's figures, as before


def test_memberships_are_right_whatever_order_their_events_arrive_in(metrics, amqp_uri, metrics_config):
    url = metrics_config["DATABASE_URL"]
    org_id, user = uuid.uuid4(), uuid.uuid4()

    def membership(event_type, at):
        return dict(make_event(event_type, "identity", user_id=str(user), org_id=str(org_id)), occurred_at=at.isoformat())

    joined, left = MIDNIGHT - timedelta(hours=3), MIDNIGHT - timedelta(hours=1)
    deliver(metrics, amqp_uri, "on_membership", [membership("member_left", left)])
    deliver(metrics, amqp_uri, "on_membership", [membership("member_joined", joined)])
    verified = make_event("user_verified", "identity", verification_id=str(uuid.uuid4()), user_id=str(user),
                          region_code="110105", communicator_type="individual", org_id=str(org_id))
    deliver(metrics, amqp_uri, "on_user_verified", [dict(verified, occurred_at=joined.isoformat())])
    rows = read(url, lambda cur: query_all(cur, "SELECT joined_at, left_at FROM memberships WHERE user_id = %s",
                                           str(user)))
    assert rows == [(joined, left)]
