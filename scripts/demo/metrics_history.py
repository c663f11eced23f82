"""A demo platform's past: counted shares over the last days, written through the same domain code as live
shares (shares.start, shares.count_returns with their points and daily cap), back-dated, then rolled up.

Demo tooling, kept out of the service package: `python -m scripts.demo.metrics_history --database URL [--days 30]`
(scripts/demo/run.py calls seed() directly). Why it writes metrics' database and not through the API: the return path counts a share when it comes back, now
(the gateway stamps returned_at), so history can only be written here. It is an operator's tool for demo
and development databases (scripts/demo runs it after `make demo` has made real communicators and published
content); it never invents people or content: every share is by a communicator metrics knows, of content
metrics knows to be shareable. The communicators it seeds are taken as members of their organization (and
registered) since the first seeded day, in metrics' own records, so the organizations' "registered
communicators as of 00:00" agree with the shares their members made.

Idempotent: the plan is deterministic (a hash of user and day), and a day gets only the shares it lacks;
the days from the first one that changed to yesterday are rolled up again, in order.
"""
import argparse
import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import psycopg2

from services.metrics import rollup, shares
from services.metrics.periods import day_start, shanghai_day

CHANNELS = ("wechat_group", "wechat_moments", "qq_group", "qq", "weibo", "link")


def _unit(*parts):
    """A stable number in [0, 1) from the parts (the same on every run)."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def plan(daily_means, first_day, last_day):
    """{(user_id, day): shares} for each day of first..last: around each user's daily mean (0.5x to 1.5x, a
    little more at weekends), the same on every run. Pure."""
    wanted = {}
    day = first_day
    while day <= last_day:
        weekend = 1.3 if day.weekday() >= 5 else 1.0
        for user_id, mean in daily_means.items():
            count = round(mean * weekend * (0.5 + _unit(user_id, day)))
            if count > 0:
                wanted[(str(user_id), day)] = count
        day += timedelta(days=1)
    return wanted


def share_times(user_id, day, first, count):
    """When shares number first..first+count-1 of a user's day started and came back: spread over the
    waking hours of that Asia/Shanghai day, each back a few minutes later. Pure."""
    morning = day_start(day) + timedelta(hours=7)
    times = []
    for n in range(first, first + count):
        started = morning + timedelta(minutes=int(_unit(user_id, day, n, "t") * 15 * 60))
        times.append((started, started + timedelta(minutes=1 + int(_unit(user_id, day, n, "r") * 20))))
    return times


def unknown_users(cur, user_ids):
    """The users metrics has not yet heard of as verified communicators with an organization (their events
    may still be on their way)."""
    cur.execute("SELECT c.user_id::text FROM communicators c JOIN memberships m ON m.user_id = c.user_id "
                "AND m.left_at IS NULL WHERE c.user_id = ANY(%s::uuid[]) AND c.verified_at IS NOT NULL",
                ([str(u) for u in user_ids],))
    return sorted({str(u) for u in user_ids} - {r[0] for r in cur.fetchall()})


def shareable(cur, contents):
    """The (content_type, content_id) pairs metrics takes shares of now."""
    kept = []
    for content_type, content_id in contents:
        try:
            shares.require_shareable(cur, content_type, content_id)
        except Exception:  # NotFound: not (or not yet) shareable
            continue
        kept.append((content_type, str(content_id)))
    return kept


def _backdate_members(cur, user_ids, since):
    cur.execute("UPDATE memberships SET joined_at = %s WHERE user_id = ANY(%s::uuid[]) AND left_at IS NULL "
                "AND joined_at > %s", (since, user_ids, since))
    cur.execute("UPDATE communicators SET registered_at = least(registered_at, %(at)s), "
                "verified_at = least(verified_at, %(at)s) WHERE user_id = ANY(%(users)s::uuid[])",
                {"at": since, "users": user_ids})


def _seed_day(cur, day, wanted, contents):
    """Add the shares day lacks; returns how many were added."""
    users = sorted({u for (u, d) in wanted if d == day})
    cur.execute("SELECT user_id::text, count(*) FROM shares WHERE day = %s AND user_id = ANY(%s::uuid[]) "
                "GROUP BY user_id", (day, users))
    have = dict(cur.fetchall())
    returns = []
    # the counting rule counts one share per content and channel a day: each share of a day its own pair
    pairs = len(contents) * len(CHANNELS)
    for user_id in users:
        existing = have.get(user_id, 0)
        missing = min(wanted[(user_id, day)], pairs) - existing
        offset = int(_unit(user_id, day, "pair") * pairs)
        for n, (started, back) in enumerate(share_times(user_id, day, existing, max(missing, 0)), existing):
            pair = (offset + n) % pairs
            content_type, content_id = contents[pair // len(CHANNELS)]
            channel = CHANNELS[pair % len(CHANNELS)]
            share = shares.start(cur, uuid.UUID(user_id), {"content_type": content_type, "content_id": content_id,
                                                          "channel": channel}, started)
            returns.append({"event_id": uuid.uuid4(), "share_id": share["id"], "user_id": share["user_id"],
                            "returned_at": back})
    if returns:
        shares.count_returns(cur, returns)
    return len(returns)


def seed(conn, daily_means, contents, now, days=30):
    """Seed the `days` days before today (Asia/Shanghai) for the users of daily_means ({user_id: mean shares
    a day}), sharing the given contents. Returns {"added": n, "rolled_up": [days]}."""
    today = shanghai_day(now)
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    user_ids = sorted(str(u) for u in daily_means)
    with conn, conn.cursor() as cur:
        missing = unknown_users(cur, user_ids)
        if missing:
            raise ValueError(f"metrics does not know {len(missing)} of these communicators yet: {missing[:3]}")
        usable = shareable(cur, contents)
        if not usable:
            raise ValueError("none of the contents is shareable (published, on the shelf) in metrics")
        _backdate_members(cur, user_ids, day_start(first))
    wanted = plan({str(u): m for u, m in daily_means.items()}, first, last)
    added, first_changed = 0, None
    day = first
    while day <= last:
        with conn, conn.cursor() as cur:
            count = _seed_day(cur, day, wanted, usable)
        if count and first_changed is None:
            first_changed = day
        added += count
        day += timedelta(days=1)
    rolled = []
    day = first_changed
    while day is not None and day <= last:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (rollup.ROLLUP_LOCK,))  # the timer's lock
            rollup.roll_up(cur, day)
        rolled.append(day)
        day += timedelta(days=1)
    return {"added": added, "rolled_up": rolled}


def everyone(cur):
    """What the command seeds by default: every verified communicator with an organization, about one in ten
    a busy sharer (a dozen shares a day), the others 1 to 6; and every shareable content."""
    cur.execute("SELECT c.user_id::text FROM communicators c JOIN memberships m ON m.user_id = c.user_id "
                "AND m.left_at IS NULL WHERE c.verified_at IS NOT NULL ORDER BY 1")
    means = {u: 12 if _unit(u, "busy") < 0.1 else 1 + int(_unit(u, "mean") * 6) for (u,) in cur.fetchall()}
    cur.execute("SELECT content_type, content_id::text FROM shareable_content WHERE shareable ORDER BY 1, 2")
    return means, [("activity" if t == "activity" else "resource", c) for t, c in cur.fetchall()]


def seed_database(url, days):
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            means, contents = everyone(cur)
        done = seed(conn, means, contents, datetime.now(timezone.utc), days)
    finally:
        conn.close()
    print(f"{done['added']} share(s) added for {len(means)} communicator(s); {len(done['rolled_up'])} day(s) rolled up")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m scripts.demo.metrics_history",
                                     description="demo and development databases only: the past days' shares of "
                                                 "every communicator")
    parser.add_argument("--database", required=True, help="the metrics database URL")
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    return seed_database(args.database, args.days)


if __name__ == "__main__":
    raise SystemExit(main())
