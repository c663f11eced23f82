"""scripts/demo/metrics_history.py (demo tooling; tested here for the metrics database fixtures): back-dated shares through the domain code, each day topped up to its plan (a second
run adds nothing), members counted from the first seeded day, the days rolled up."""
import uuid
from datetime import date, datetime, timedelta, timezone

import psycopg2
import pytest

from scripts.demo import metrics_history as demo_history
from services.metrics.periods import day_start

NOW = datetime(2026, 9, 10, 4, 0, tzinfo=timezone.utc)  # 12:00 on 10 September, Asia/Shanghai


def test_the_plan_is_the_same_on_every_run_and_near_each_mean():
    users = {str(uuid.UUID(int=n)): mean for n, mean in enumerate([12, 3, 0], 1)}
    first, last = date(2026, 8, 1), date(2026, 8, 30)
    wanted = demo_history.plan(users, first, last)
    assert wanted == demo_history.plan(users, first, last)
    star = [wanted.get((str(uuid.UUID(int=1)), first + timedelta(days=n)), 0) for n in range(30)]
    assert 300 <= sum(star) <= 480 and min(star) >= 6 and len(set(star)) > 3
    assert not any(user == str(uuid.UUID(int=3)) for user, _ in wanted)


def test_share_times_fall_inside_their_shanghai_day():
    day = date(2026, 8, 1)
    for started, back in demo_history.share_times("u", day, 0, 40):
        assert day_start(day) < started < back < day_start(day + timedelta(days=1))


@pytest.fixture
def metrics_db(database_factory):
    conn = psycopg2.connect(database_factory("metrics"))
    yield conn
    conn.close()


def directory(conn, users, org_id, content_id, joined_at):
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO orgs (org_id, name, category, region_code, city_code, province_code, verified) "
                    "VALUES (%s, '朝阳区科协', 'county_cast', '110105', '110000', '110000', true)", (org_id,))
        for user in users:
            cur.execute("INSERT INTO communicators (user_id, registered_at, verified_at, region_code, city_code, "
                        "province_code) VALUES (%s, %s, %s, '110105', '110000', '110000')",
                        (user, joined_at, joined_at))
            cur.execute("INSERT INTO memberships (user_id, org_id, joined_at) VALUES (%s, %s, %s)",
                        (user, org_id, joined_at))
        cur.execute("INSERT INTO shareable_content VALUES ('resource', %s, 'article', true, now())", (content_id,))


def rows(conn, sql, *args):
    with conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def test_seeding_writes_counted_shares_with_points_rolls_up_and_a_second_run_adds_nothing(metrics_db):
    star, other, org_id, content = (str(uuid.uuid4()) for _ in range(4))
    directory(metrics_db, [star, other], org_id, content, NOW)
    means = {star: 70, other: 2}

    done = demo_history.seed(metrics_db, means, [("resource", content), ("resource", str(uuid.uuid4()))], NOW, days=3)
    days = [date(2026, 9, 7), date(2026, 9, 8), date(2026, 9, 9)]
    assert done["rolled_up"] == days
    # one shareable content: the counting rule counts at most one share per channel of it a day
    pairs = len(demo_history.CHANNELS)
    wanted = {key: min(n, pairs) for key, n in demo_history.plan(means, days[0], days[-1]).items()}
    assert max(demo_history.plan(means, days[0], days[-1]).values()) > pairs
    assert done["added"] == sum(wanted.values())
    assert rows(metrics_db, "SELECT count(*) FROM shares WHERE day IS NULL") == [(0,)]  # every one counted
    per_day = rows(metrics_db, "SELECT user_id::text, day, count(*), sum(points) FROM shares GROUP BY 1, 2")
    assert {(u, d): n for u, d, n, _ in per_day} == wanted
    assert all(points <= 50 for *_, points in per_day)
    assert rows(metrics_db, "SELECT count(*) FROM shares WHERE content_id <> %s OR org_id <> %s",
                content, org_id) == [(0,)]
    assert rows(metrics_db, "SELECT sum(balance) FROM balances") == rows(metrics_db, "SELECT sum(points) FROM shares")
    # members since the first seeded day: the organization's figures of that day count them
    first_day = rows(metrics_db, "SELECT communicators, shares_day FROM org_day WHERE day = %s", days[0])
    assert first_day == [(2, wanted[(star, days[0])] + wanted.get((other, days[0]), 0))]
    total = rows(metrics_db, "SELECT shares_total FROM org_day WHERE day = %s", days[-1])[0][0]
    assert total == done["added"]

    again = demo_history.seed(metrics_db, means, [("resource", content)], NOW, days=3)
    assert again == {"added": 0, "rolled_up": []}
    assert rows(metrics_db, "SELECT count(*) FROM shares")[0][0] == done["added"]


def test_unknown_communicators_or_nothing_to_share_are_refused(metrics_db):
    user, org_id, content = (str(uuid.uuid4()) for _ in range(3))
    directory(metrics_db, [user], org_id, content, NOW)
    with pytest.raises(ValueError, match="does not know 1"):
        demo_history.seed(metrics_db, {user: 1, str(uuid.uuid4()): 1}, [("resource", content)], NOW)
    with pytest.raises(ValueError, match="shareable"):
        demo_history.seed(metrics_db, {user: 1}, [("resource", str(uuid.uuid4()))], NOW)
    assert rows(metrics_db, "SELECT count(*) FROM shares") == [(0,)]


def test_the_command_seeds_every_communicator_with_an_organization(metrics_db, database_factory, capsys):
    users, org_id, content = [str(uuid.uuid4()) for _ in range(3)], str(uuid.uuid4()), str(uuid.uuid4())
    directory(metrics_db, users, org_id, content, datetime.now(timezone.utc))
    url = metrics_db.dsn
    assert demo_history.main(["--database", url, "--days", "2"]) == 0
    assert "for 3 communicator(s); 2 day(s) rolled up" in capsys.readouterr().out
    assert rows(metrics_db, "SELECT count(DISTINCT user_id), count(DISTINCT day) FROM shares")[0][1] == 2
    assert demo_history.main(["--database", url, "--days", "2"]) == 0
    assert capsys.readouterr().out.startswith("0 share(s) added")
