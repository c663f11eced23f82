"""The daily rollup: counted shares of an Asia/Shanghai day per communicator and per organization, and
each organization's registered communicators and cumulative shares as of the next 00:00.

Exactly one instance does a day: the work runs under a transaction-scoped advisory lock, and the day's
row in rollups is written in the same transaction. Re-running a day replaces its rows (idempotent). A day
rolled up again invalidates the cumulative figures of the days after it, which are marked stale and
redone in order; so is a day that receives a late share (a return accepted before midnight but consumed
after the rollup).
"""
import logging
from datetime import timedelta

from services.metrics.periods import day_start, shanghai_day

log = logging.getLogger(__name__)

ROLLUP_LOCK = 0x6B6570756D6574  # "kepumet": one advisory lock for the metrics rollup, whatever the instance


def _try_lock(cur):
    cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (ROLLUP_LOCK,))
    return cur.fetchone()[0]


def days_due(cur, now):
    """Days to roll up now, oldest first: every day since the last one rolled up until yesterday, and
    stale days."""
    yesterday = shanghai_day(now) - timedelta(days=1)
    cur.execute("SELECT max(day) FROM rollups")
    last = cur.fetchone()[0]
    if last is None:
        cur.execute("SELECT min(day) FROM shares WHERE day IS NOT NULL")
        first_share = cur.fetchone()[0]
        first = min(first_share, yesterday) if first_share else yesterday
    else:
        first = last + timedelta(days=1)
    due = set()
    day = first
    while day <= yesterday:
        due.add(day)
        day += timedelta(days=1)
    cur.execute("SELECT day FROM rollups WHERE stale AND day <= %s", (yesterday,))
    due.update(r[0] for r in cur.fetchall())
    return sorted(due)


def run_due(conn, now):
    """What the timer calls: roll up the days due, if this instance gets the lock. Returns the days done."""
    done = []
    with conn, conn.cursor() as cur:
        if not _try_lock(cur):
            return done
        due = days_due(cur, now)
    for day in due:
        with conn, conn.cursor() as cur:
            if not _try_lock(cur):
                return done
            cur.execute("SELECT stale FROM rollups WHERE day = %s", (day,))
            row = cur.fetchone()
            if row is not None and not row[0]:
                continue  # another instance did it between our two transactions
            roll_up(cur, day)
            done.append(day)
    return done


def roll_up(cur, day):
    """Replace the day's rollup rows; returns the number of counted shares of that day."""
    cutoff = day_start(day + timedelta(days=1))
    # a day of a campaign's peak is millions of shares grouped by communicator: group in memory, not on disk
    cur.execute("SET LOCAL work_mem = '256MB'")
    # where a share counts: the sharer's place when it started, else (a share started before metrics heard
    # of the verification) the communicator's region and their membership at the cutoff. A communicator
    # who moved during the day counts that day in one place, the greatest code (max() needs no sort).
    # The day's shares are grouped per communicator first and only then joined with the directory: a
    # million rows to join rather than ten million. Per column, the directory's value takes part in the
    # max only when one of the day's shares lacked its own (bool_or), which is exactly
    # max(coalesce(share's, directory's)) over the shares. The grouping runs in CREATE TABLE AS, which
    # PostgreSQL runs in parallel (an INSERT … SELECT never is).
    # Boards, organization figures and recognition name people by their real name: only the shares of
    # communicators verified (实名认证) before the day's end count there (docs/architecture.md "Which shares
    # count"); an unverified account's shares still count for its own figures and points.
    cur.execute("DROP TABLE IF EXISTS rollup_day_user")
    cur.execute(
        "CREATE TEMP TABLE rollup_day_user ON COMMIT DROP AS "
        "WITH day_shares AS ("
        "  SELECT user_id, count(*) AS shares, "
        "         max(org_id::text) AS org_id, bool_or(org_id IS NULL) AS org_missing, "
        "         max(region_code) AS region_code, bool_or(region_code IS NULL) AS region_missing, "
        "         max(city_code) AS city_code, bool_or(city_code IS NULL) AS city_missing, "
        "         max(province_code) AS province_code, bool_or(province_code IS NULL) AS province_missing "
        "  FROM shares WHERE day = %(day)s GROUP BY user_id), "
        "member AS (SELECT user_id, max(org_id::text) AS org_id FROM memberships WHERE joined_at < %(cutoff)s "
        "           AND (left_at IS NULL OR left_at >= %(cutoff)s) GROUP BY user_id) "
        "SELECT d.user_id, "
        "  (CASE WHEN d.org_missing THEN greatest(d.org_id, m.org_id) ELSE d.org_id END)::uuid AS org_id, "
        "  CASE WHEN d.region_missing THEN greatest(d.region_code, c.region_code) ELSE d.region_code END "
        "    AS region_code, "
        "  CASE WHEN d.city_missing THEN greatest(d.city_code, c.city_code) ELSE d.city_code END AS city_code, "
        "  CASE WHEN d.province_missing THEN greatest(d.province_code, c.province_code) ELSE d.province_code END "
        "    AS province_code, "
        "  d.shares "
        "FROM day_shares d JOIN communicators c ON c.user_id = d.user_id AND c.verified_at < %(cutoff)s "
        "LEFT JOIN member m ON m.user_id = d.user_id", {"day": day, "cutoff": cutoff})

    cur.execute("ANALYZE rollup_day_user")
    # the day's communicators, ranked here once rather than on every request (stats.leaderboard), into a table
    # of their own that becomes the day's partition of day_user: loaded, then indexed in one pass per index
    staging = _build_day_table(cur, day)
    cur.execute("DELETE FROM org_day WHERE day = %s", (day,))
    cur.execute(
        "WITH members AS (SELECT org_id, count(*) AS n FROM memberships WHERE joined_at < %(cutoff)s "
        "                 AND (left_at IS NULL OR left_at >= %(cutoff)s) GROUP BY org_id), "
        "today AS (SELECT org_id, sum(shares) AS n FROM rollup_day_user WHERE org_id IS NOT NULL GROUP BY org_id), "
        "before AS (SELECT DISTINCT ON (org_id) org_id, shares_total FROM org_day WHERE day < %(day)s "
        "           ORDER BY org_id, day DESC) "
        "INSERT INTO org_day (day, org_id, communicators, shares_day, shares_total) "
        "SELECT %(day)s, coalesce(m.org_id, t.org_id, b.org_id), coalesce(m.n, 0), coalesce(t.n, 0), "
        "       coalesce(b.shares_total, 0) + coalesce(t.n, 0) "
        "FROM members m FULL JOIN today t ON t.org_id = m.org_id "
        "FULL JOIN before b ON b.org_id = coalesce(m.org_id, t.org_id)",
        {"day": day, "cutoff": cutoff})
    cur.execute("SELECT coalesce(sum(shares), 0)::bigint FROM rollup_day_user")
    shares = cur.fetchone()[0]
    cur.execute("INSERT INTO rollups (day, shares, done_at, stale) VALUES (%s, %s, now(), false) "
                "ON CONFLICT (day) DO UPDATE SET shares = EXCLUDED.shares, done_at = now(), stale = false",
                (day, shares))
    # the days after carry cumulative totals built on this one
    cur.execute("UPDATE rollups SET stale = true WHERE day > %s AND NOT stale", (day,))
    # last, so the parent's lock (taken by DETACH) is held only until the commit that follows
    _swap_day_partition(cur, day, staging)
    log.info("rolled up %s: %d counted share(s)", day, shares)
    return shares


def _partition_prefix(day):
    return f"day_user_{day:%Y%m%d}_"


def _build_day_table(cur, day):
    """The day's rows in a new table named for the day and this transaction, with day_user's indexes."""
    cur.execute("SELECT txid_current()")
    name = f"{_partition_prefix(day)}{cur.fetchone()[0]}"
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    # the CHECK matches the partition bound, so ATTACH needs no scan to prove it
    cur.execute(f"CREATE TABLE {name} (LIKE day_user INCLUDING DEFAULTS, "
                f"CHECK (day >= DATE '{day.isoformat()}' AND day < DATE '{day.isoformat()}' + 1))")
    cur.execute(
        f"INSERT INTO {name} (day, user_id, org_id, region_code, city_code, province_code, shares, city_rank, "
        "province_rank, national_rank) SELECT %s, user_id, org_id, region_code, city_code, province_code, shares, "
        "rank() OVER (PARTITION BY city_code ORDER BY shares DESC), "
        "rank() OVER (PARTITION BY province_code ORDER BY shares DESC), rank() OVER (ORDER BY shares DESC) "
        "FROM rollup_day_user", (day,))
    # the same definitions as day_user's (migrations 0004): ATTACH adopts them instead of building its own
    cur.execute(f"ALTER TABLE {name} ADD PRIMARY KEY (day, user_id)")
    cur.execute(f"CREATE INDEX ON {name} (user_id, day)")
    cur.execute(f"CREATE INDEX ON {name} (org_id, day) INCLUDE (user_id, shares)")
    cur.execute(f"CREATE INDEX ON {name} (city_code, day, city_rank, user_id) INCLUDE (shares)")
    cur.execute(f"CREATE INDEX ON {name} (province_code, day, province_rank, user_id) INCLUDE (shares)")
    cur.execute(f"CREATE INDEX ON {name} (day, national_rank, user_id) INCLUDE (shares)")
    cur.execute(f"ANALYZE {name}")
    return name


def _swap_day_partition(cur, day, staging):
    """The day's partition replaced by staging: readers see the old rows until the commit, then the new."""
    cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'day_user'::regclass AND c.relname LIKE %s", (_partition_prefix(day) + "%",))
    for (old,) in cur.fetchall():
        cur.execute(f"ALTER TABLE day_user DETACH PARTITION {old}")
        cur.execute(f"DROP TABLE {old}")
    cur.execute(f"ALTER TABLE day_user ATTACH PARTITION {staging} "
                f"FOR VALUES FROM ('{day.isoformat()}') TO ('{(day + timedelta(days=1)).isoformat()}')")
    cur.execute(f"ALTER TABLE {staging} DROP CONSTRAINT {staging}_day_check")


def mark_stale(cur, days):
    """Days that received counted shares after their rollup."""
    if days:
        cur.execute("UPDATE rollups SET stale = true WHERE day = ANY(%s) AND NOT stale", (sorted(days),))
