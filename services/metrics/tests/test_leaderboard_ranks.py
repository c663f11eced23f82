"""A day's leaderboards ranked by the rollup give what ranking on each request gave: the same pages, ties,
own ranks, in every scope, and stay right when a late share changes the day and it is rolled up again.
Against PostgreSQL only (shares written as counted, no broker)."""
import random
import uuid
from datetime import date, timedelta

import psycopg2
import pytest

from services.metrics import rollup, stats
from services.metrics.periods import day_start

DAY = date(2026, 9, 1)
PLACES = [("110105", "110100", "110000"), ("110108", "110100", "110000"), ("130102", "130100", "130000"),
          ("310104", "310100", "310000")]


@pytest.fixture
def db(database_factory):
    conn = psycopg2.connect(database_factory("metrics"))
    yield conn
    conn.close()


def count_shares(conn, counts, day=DAY):
    """counts: {user_id: (place, n)}: n shares returned that day, written as count_returns writes them."""
    at = day_start(day) + timedelta(hours=9)
    rows = [(uuid.uuid4(), user, place[0], place[1], place[2], at, day)
            for user, (place, n) in counts.items() for _ in range(n)]
    with conn, conn.cursor() as cur:
        # verified communicators: only their shares are on boards
        cur.executemany("INSERT INTO communicators (user_id, verified_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        [(user, day_start(day) - timedelta(days=1)) for user in counts])
        cur.executemany(
            "INSERT INTO shares (id, user_id, content_type, content_id, channel, region_code, city_code, province_code, "
            "started_at, expires_at, returned_at, day, points) VALUES (%s, %s, 'resource', %s, 'qq', %s, %s, %s, %s, "
            "%s + interval '1 day', %s, %s, 1)",
            [(r[0], r[1], uuid.uuid4(), r[2], r[3], r[4], r[5], r[5], r[5], r[6]) for r in rows])


def roll_up(conn, day=DAY):
    with conn, conn.cursor() as cur:
        rollup.roll_up(cur, day)


def expected_board(totals, members):
    """The straightforward ranking: shares descending, rank() ties, then user id."""
    ranked = sorted(((-totals[u], str(u), u) for u in members))
    board = []
    for position, (negative, _, user) in enumerate(ranked):
        rank = board[-1][2] if board and board[-1][1] == -negative else position + 1
        board.append((user, -negative, rank))
    return board


def read_board(conn, scope, code, page, page_size):
    with conn, conn.cursor() as cur:
        rows, more = stats.leaderboard(cur, "communicators", scope, code, "day", DAY, None, page, page_size)
    return [(r["user_id"], r["shares"], r["rank"]) for r in rows], more


def own_rank(conn, user, scope, code):
    with conn, conn.cursor() as cur:
        return stats.own_rank(cur, user, scope, code, "day", DAY)


def check_every_board(conn, counts):
    totals = {user: n for user, (_, n) in counts.items()}
    scopes = [("national", None, lambda place: True)]
    scopes += [("city", c, lambda place, c=c: place[1] == c) for c in {p[1] for p in PLACES}]
    scopes += [("province", p, lambda place, p=p: place[2] == p) for p in {p[2] for p in PLACES}]
    for scope, code, inside in scopes:
        board = expected_board(totals, [u for u, (place, _) in counts.items() if inside(place)])
        for page_size in (7, 50):
            pages = [board[start:start + page_size] for start in range(0, len(board), page_size)] or [[]]
            for number, expected in enumerate(pages, 1):
                assert read_board(conn, scope, code, number, page_size) == (expected, number < len(pages)), \
                    (scope, code, number, page_size)
        for user, _, rank in board:
            assert own_rank(conn, user, scope, code) == rank
        outsider = next((u for u, (place, _) in counts.items() if not inside(place)), None)
        if outsider is not None:
            assert own_rank(conn, outsider, scope, code) is None


def test_ranks_stored_by_the_rollup_equal_a_straightforward_ranking(db):
    rng = random.Random(13)
    # few distinct counts, so there are many ties
    counts = {uuid.uuid4(): (rng.choice(PLACES), rng.randint(1, 6)) for _ in range(120)}
    count_shares(db, counts)
    roll_up(db)
    check_every_board(db, counts)


def test_a_late_share_re_ranks_the_day_when_it_is_rolled_up_again(db):
    first, second = uuid.uuid4(), uuid.uuid4()
    counts = {first: (PLACES[0], 3), second: (PLACES[1], 2)}
    count_shares(db, counts)
    roll_up(db)
    assert read_board(db, "national", None, 1, 10)[0] == [(first, 3, 1), (second, 2, 2)]
    count_shares(db, {second: (PLACES[1], 2)})  # consumed after the rollup: the day is redone
    roll_up(db)
    check_every_board(db, {first: (PLACES[0], 3), second: (PLACES[1], 4)})
    roll_up(db)  # and once more, unchanged
    check_every_board(db, {first: (PLACES[0], 3), second: (PLACES[1], 4)})
