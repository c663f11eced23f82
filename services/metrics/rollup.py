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
        "FROM day_shares d LEFT JOIN communicators c ON c.user_id = d.user_id "
        "LEFT JOIN member m ON m.user_id = d.user_id", {"day": day, "cutoff": cutoff})

    cur.execute("ANALYZE rollup_day_user")
    # rows already right are left alone (a re-run writes nothing it does not change); the day's leaderboards
    # are ranked here, once, rather than on every request (stats.leaderboard)
    cur.execute("DELETE FROM day_user d WHERE d.day = %s AND NOT EXISTS "
                "(SELECT 1 FROM rollup_day_user r WHERE r.user_id = d.user_id)", (day,))
    cur.execute(
        "INSERT INTO day_user (day, user_id, org_id, region_code, city_code, province_code, shares, city_rank, "
        "province_rank, national_rank) SELECT %s, user_id, org_id, region_code, city_code, province_code, shares, "
        "rank() OVER (PARTITION BY city_code ORDER BY shares DESC), "
        "rank() OVER (PARTITION BY province_code ORDER BY shares DESC), rank() OVER (ORDER BY shares DESC) "
        "FROM rollup_day_user "
        "ON CONFLICT (day, user_id) DO UPDATE SET org_id = EXCLUDED.org_id, region_code = EXCLUDED.region_code, "
        "city_code = EXCLUDED.city_code, province_code = EXCLUDED.province_code, shares = EXCLUDED.shares, "
        "city_rank = EXCLUDED.city_rank, province_rank = EXCLUDED.province_rank, "
        "national_rank = EXCLUDED.national_rank "
        "WHERE (day_user.org_id, day_user.region_code, day_user.city_code, day_user.province_code, day_user.shares, "
        "day_user.city_rank, day_user.province_rank, day_user.national_rank) "
        "IS DISTINCT FROM (EXCLUDED.org_id, EXCLUDED.region_code, EXCLUDED.city_code, EXCLUDED.province_code, "
        "EXCLUDED.shares, EXCLUDED.city_rank, EXCLUDED.province_rank, EXCLUDED.national_rank)", (day,))
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
    log.info("rolled up %s: %d counted share(s)", day, shares)
    return shares


def mark_stale(cur, days):
    """Days that received counted shares after their rollup."""
    if days:
        cur.execute("UPDATE rollups SET stale = true WHERE day = ANY(%s) AND NOT stale", (sorted(days),))
