"""Where a day's shares count (services/metrics/rollup.py): per column, the greatest of the shares' own values,
with the directory's value (the communicator's region, the membership at the cutoff) taking part only when a
share lacked its own. Random days of shares with and without places, communicators with and without a
region, memberships current, ended and overlapping the cutoff, against that rule written in Python. Only
communicators verified before the cutoff are on the day's boards (the counting rule's decision for accounts
without real-name verification)."""
import random
import uuid
from datetime import date, timedelta

import psycopg2
import pytest

from services.metrics import rollup
from services.metrics.periods import day_start

DAY = date(2026, 9, 1)
CUTOFF = day_start(DAY + timedelta(days=1))
PLACES = [("110105", "110100", "110000"), ("130102", "130100", "130000"), ("310104", "310100", "310000"), None]


@pytest.fixture
def db(database_factory):
    conn = psycopg2.connect(database_factory("metrics"))
    yield conn
    conn.close()


def expected(shares, places, memberships, verified):
    """user -> (org, region, city, province, shares): max over the day's shares of coalesce(own, directory's),
    for the users verified before the cutoff."""
    result = {}
    for user in {s["user"] for s in shares} & verified:
        mine = [s for s in shares if s["user"] == user]
        orgs = [str(m["org"]) for m in memberships if m["user"] == user and m["joined"] < CUTOFF
                and (m["left"] is None or m["left"] >= CUTOFF)]
        member_org = max(orgs) if orgs else None
        directory = places.get(user) or (None, None, None)
        row = []
        values = [str(s["org"]) if s["org"] else member_org for s in mine]
        row.append(max((v for v in values if v), default=None))
        for column in range(3):
            values = [s["place"][column] if s["place"] else directory[column] for s in mine]
            row.append(max((v for v in values if v), default=None))
        result[user] = (*row, len(mine))
    return result


@pytest.mark.parametrize("seed", range(4))
def test_the_day_counts_where_the_rule_says(db, seed):
    rng = random.Random(seed)
    users = [uuid.uuid4() for _ in range(30)]
    orgs = [uuid.uuid4() for _ in range(4)]
    places = {u: rng.choice(PLACES) for u in users if rng.random() < 0.8}
    memberships = []
    for user in users:
        for _ in range(rng.choice((0, 1, 1, 2))):
            joined = CUTOFF - timedelta(hours=rng.choice((1, 30, 200)))
            left = rng.choice((None, joined + timedelta(minutes=30), CUTOFF, CUTOFF + timedelta(hours=1)))
            memberships.append({"user": user, "org": rng.choice(orgs), "joined": joined, "left": left})
    shares = [{"user": rng.choice(users), "place": rng.choice(PLACES), "org": rng.choice(orgs + [None, None])}
              for _ in range(200)]
    at = day_start(DAY) + timedelta(hours=9)
    # verified before the cutoff, at it or after it (not yet on that day's boards), or never
    verified_at = {u: rng.choice((CUTOFF - timedelta(days=3), CUTOFF - timedelta(seconds=1), CUTOFF, None))
                   for u in places}
    with db, db.cursor() as cur:
        cur.executemany("INSERT INTO communicators (user_id, region_code, city_code, province_code, verified_at) "
                        "VALUES (%s, %s, %s, %s, %s)", [(str(u), *p, verified_at[u]) for u, p in places.items() if p])
        cur.executemany("INSERT INTO communicators (user_id, verified_at) VALUES (%s, %s)",
                        [(str(u), verified_at[u]) for u in users if u in places and places[u] is None])
        cur.executemany("INSERT INTO memberships (user_id, org_id, joined_at, left_at) VALUES (%s, %s, %s, %s)",
                        [(str(m["user"]), str(m["org"]), m["joined"], m["left"]) for m in memberships])
        cur.executemany(
            "INSERT INTO shares (id, user_id, content_type, content_id, channel, org_id, region_code, city_code, "
            "province_code, started_at, expires_at, returned_at, day, points) VALUES (%s, %s, 'resource', %s, 'qq', "
            "%s, %s, %s, %s, %s, %s, %s, %s, 1)",
            [(str(uuid.uuid4()), str(s["user"]), str(uuid.uuid4()), str(s["org"]) if s["org"] else None,
              *(s["place"] or (None, None, None)), at, at + timedelta(days=1), at, DAY) for s in shares])
    with db, db.cursor() as cur:
        rollup.roll_up(cur, DAY)
    with db, db.cursor() as cur:
        cur.execute("SELECT user_id, org_id, region_code, city_code, province_code, shares FROM day_user "
                    "WHERE day = %s", (DAY,))
        got = {uuid.UUID(str(r[0])): (str(r[1]) if r[1] else None, *r[2:]) for r in cur.fetchall()}
    verified = {u for u, at in verified_at.items() if at is not None and at < CUTOFF}
    assert got == expected(shares, places, memberships, verified)
    assert got and set(got) < {s["user"] for s in shares}  # both kinds were there
