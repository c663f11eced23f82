"""Migration 0004 turns day_user into a table partitioned by day without losing a row, and the rollup then
replaces a day's partition whole: a re-run leaves one partition per day, with the same rows."""
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg2
import pytest
from yoyo import get_backend, read_migrations

from kepu_common.data.migrations import COMMON_MIGRATIONS
from kepu_common.devtools.testing import DATABASE_SERVER, drop_database, run_admin
from services.metrics import rollup
from services.metrics.periods import day_start

MIGRATIONS = Path(rollup.__file__).parent / "migrations"
DAYS = (date(2026, 9, 1), date(2026, 9, 2))


@pytest.fixture
def database(worker_tag):
    name = f"kepu_t_{worker_tag}_partitions_{uuid.uuid4().hex[:6]}"
    run_admin(f'CREATE DATABASE "{name}"')
    yield f"{DATABASE_SERVER}/{name}"
    drop_database(name)


def migrate(url, until=None):
    backend = get_backend(url)
    migrations = read_migrations(str(COMMON_MIGRATIONS), str(MIGRATIONS))
    with backend.lock():
        pending = [m for m in backend.to_apply(migrations) if until is None or m.id < until]
        backend.apply_migrations(backend.to_apply(migrations).__class__(pending))
    backend.connection.close()


def partitions(cur):
    cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'day_user'::regclass ORDER BY 1")
    return [r[0] for r in cur.fetchall()]


def rows(cur):
    cur.execute("SELECT day, user_id, org_id, city_code, shares, city_rank, province_rank, national_rank "
                "FROM day_user ORDER BY day, user_id")
    return cur.fetchall()


def test_existing_days_move_into_partitions_and_a_rerun_swaps_the_days_partition(database):
    migrate(database, until="0004_day_user_partitions")
    users = [str(uuid.uuid4()) for _ in range(5)]
    conn = psycopg2.connect(database)
    with conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO day_user (day, user_id, org_id, region_code, city_code, province_code, shares, city_rank, "
            "province_rank, national_rank) VALUES (%s, %s, NULL, '110105', '110100', '110000', %s, %s, %s, %s)",
            [(day, user, n + 1, 5 - n, 5 - n, 5 - n) for day in DAYS for n, user in enumerate(users)])
        before = rows(cur)
    conn.close()
    migrate(database)
    conn = psycopg2.connect(database)
    with conn, conn.cursor() as cur:
        assert rows(cur) == before
        assert partitions(cur) == ["day_user_20260901_0", "day_user_20260902_0"]
        at = day_start(DAYS[0]) + timedelta(hours=9)
        cur.executemany("INSERT INTO communicators (user_id, verified_at) VALUES (%s, %s)",
                        [(user, at - timedelta(days=1)) for user in users])  # verified: on the boards
        cur.executemany(
            "INSERT INTO shares (id, user_id, content_type, content_id, channel, region_code, city_code, province_code, "
            "started_at, expires_at, returned_at, day, points) VALUES (%s, %s, 'resource', %s, 'qq', '110105', '110100', "
            "'110000', %s, %s, %s, %s, 1)",
            [(str(uuid.uuid4()), user, str(uuid.uuid4()), at, at + timedelta(days=1), at, DAYS[0])
             for n, user in enumerate(users) for _ in range(n + 1)])
    for _ in range(2):
        with conn, conn.cursor() as cur:
            rollup.roll_up(cur, DAYS[0])
        with conn, conn.cursor() as cur:
            assert rows(cur) == before  # the same shares per user as the migrated rows, so the same ranks
            names = partitions(cur)
            assert len(names) == 2 and names[1] == "day_user_20260902_0" and names[0].startswith("day_user_20260901_")
            cur.execute("EXPLAIN SELECT user_id FROM day_user WHERE day = %s", (DAYS[0],))
            plan = " ".join(r[0] for r in cur.fetchall())
            assert "day_user_20260902" not in plan  # one day's read touches one partition
    conn.close()
