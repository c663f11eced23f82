"""Shares: started over RPC, counted in batches when their returns arrive (each share once), with points.

An "article of the app" (content_type article) is a published resource of type article: the app's articles
are the resources organizations publish as articles, so they are checked like any resource, and must be of
that type.
"""
import logging
import uuid
from datetime import timedelta

from kepu_common.interfaces.errors import NotFound
from services.metrics import config_store, counting, directory, ledger, points
from services.metrics.periods import shanghai_day

log = logging.getLogger(__name__)


def require_shareable(cur, content_type, content_id):
    stored_type = "activity" if content_type == "activity" else "resource"
    cur.execute("SELECT shareable, resource_type FROM shareable_content WHERE content_type = %s AND content_id = %s",
                (stored_type, content_id))
    row = cur.fetchone()
    if row is None or not row[0] or (content_type == "article" and row[1] != "article"):
        raise NotFound("share_content_not_found", {"content_id": "not_shareable"},
                       details={"content_type": content_type, "content_id": str(content_id)})


def start(cur, user_id, data, now):
    require_shareable(cur, data["content_type"], data["content_id"])
    window = config_store.settings(cur)["return_window_minutes"]
    org_id, region_code, city_code, province_code = directory.current_place(cur, user_id)
    share = {"id": uuid.uuid4(), "user_id": user_id, "content_type": data["content_type"],
             "content_id": data["content_id"], "channel": data["channel"], "org_id": org_id,
             "region_code": region_code, "city_code": city_code, "province_code": province_code,
             "started_at": now, "expires_at": (now + timedelta(minutes=window)).replace(microsecond=0)}
    cur.execute("INSERT INTO shares (id, user_id, content_type, content_id, channel, org_id, region_code, city_code, "
                "province_code, started_at, expires_at) VALUES (%(id)s, %(user_id)s, %(content_type)s, "
                "%(content_id)s, %(channel)s, %(org_id)s, %(region_code)s, %(city_code)s, %(province_code)s, "
                "%(started_at)s, %(expires_at)s)", share)
    return share


def count_returns(cur, events):
    """Decide each returned share once by the counting rule (counting.py) and award the counted ones their
    points; every raw return is kept with its outcome (share_returns). Returns the days that got counted shares.

    Only the owner's return within the window is accepted upstream (the gateway checks the signed share
    id); here the same is checked again, and a share already decided (a repeated return, a redelivery, a
    second instance) is a repeat. Rows are locked in share-id order, then the (user, day) rows of
    daily_points, so two instances never deadlock and decide one person's day one after the other.

    Every statement finds its rows by key (`= ANY(ids)`): a join with the batch's arrays let the planner
    hash the whole shares table, twice per batch.
    """
    if not events:
        return set()
    share_ids = sorted({str(e["share_id"]) for e in events})
    cur.execute("SELECT id, user_id, content_id, channel, expires_at, returned_at IS NOT NULL FROM shares "
                "WHERE id = ANY(%s::uuid[]) ORDER BY id FOR UPDATE", (share_ids,))
    known = {str(row[0]): {"user_id": row[1], "content_id": row[2], "channel": row[3], "expires_at": row[4],
                      "decided": row[5]} for row in cur.fetchall()}
    candidates, outcomes = counting.first_returns(events, known)
    counted, not_counted = [], []
    if candidates:
        settings = config_store.settings(cur)
        # the (user, day) rows locked first: the tally read next cannot change under this batch
        earned = _earned_so_far(cur, {(c["user_id"], shanghai_day(c["returned_at"])) for c in candidates})
        tally = _tally(cur, earned.keys())
        for share, outcome in counting.decide(candidates, tally, settings["share_minute_ceiling"]):
            outcomes[share["event_id"]] = outcome
            (counted if outcome == counting.COUNTED else not_counted).append(share)
    _audit(cur, events, outcomes)
    if len(counted) < len(events):
        log.info("%d of %d return(s) counted (the rest: repeats, unknown, someone else's, late, or not counted "
                 "by the counting rule)", len(counted), len(events))
    if not_counted:
        ids = [str(s["share_id"]) for s in not_counted]
        cur.execute("UPDATE shares SET returned_at = v.returned_at, not_counted = v.reason "
                    "FROM unnest(%s::uuid[], %s::timestamptz[], %s::text[]) AS v (id, returned_at, reason) "
                    "WHERE shares.id = v.id AND shares.id = ANY(%s::uuid[])",
                    (ids, [s["returned_at"] for s in not_counted], [outcomes[s["event_id"]] for s in not_counted],
                     ids))
    if not counted:
        return set()
    awarded = points.award(counted, settings["channel_points"], settings["daily_cap"], earned)
    returned_at = {c["share_id"]: c["returned_at"] for c in counted}
    ids = [str(a[0]) for a in awarded]
    cur.execute("UPDATE shares SET returned_at = v.returned_at, day = v.day, points = v.points "
                "FROM unnest(%s::uuid[], %s::timestamptz[], %s::date[], %s::int[]) AS v (id, returned_at, day, points) "
                "WHERE shares.id = v.id AND shares.id = ANY(%s::uuid[])",
                (ids, [returned_at[a[0]] for a in awarded], [a[2] for a in awarded], [a[3] for a in awarded], ids))
    _add_daily(cur, awarded)
    ledger.append(cur, [(uid, pts, "share", str(sid)) for sid, uid, _, pts in awarded if pts > 0])
    return {day for _, _, day, _ in awarded}


def _tally(cur, user_days):
    """What the counting rule needs to know of the counted shares of these (user, day)s."""
    users = sorted({str(u) for u, _ in user_days})
    days = sorted({d for _, d in user_days})
    wanted = {(str(u), d) for u, d in user_days}
    cur.execute("SELECT user_id, content_id, channel, returned_at, day FROM shares "
                "WHERE user_id = ANY(%s::uuid[]) AND day = ANY(%s::date[])", (users, days))
    tally = counting.Tally()
    for user_id, content_id, channel, returned_at, day in cur.fetchall():
        if (str(user_id), day) in wanted:
            tally.add({"user_id": user_id, "content_id": content_id, "channel": channel, "returned_at": returned_at})
    return tally


def _audit(cur, events, outcomes):
    """Every raw return, with what it decided (a redelivered event is kept once)."""
    rows = {}
    for e in events:
        rows.setdefault(str(e["event_id"]), (str(e["share_id"]), str(e["user_id"]), e["returned_at"],
                                             outcomes[e["event_id"]]))
    ids = sorted(rows)
    cur.execute("INSERT INTO share_returns (event_id, share_id, user_id, returned_at, outcome) "
                "SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::timestamptz[], %s::text[]) "
                "ON CONFLICT (event_id) DO NOTHING",
                (ids, [rows[i][0] for i in ids], [rows[i][1] for i in ids], [rows[i][2] for i in ids],
                 [rows[i][3] for i in ids]))


def _earned_so_far(cur, keys):
    """Points earned so far per (user, day), with the rows locked (created when missing, in one statement):
    concurrent batches of two instances add to the cap one after the other."""
    ordered = sorted(keys, key=lambda k: (str(k[0]), k[1]))
    cur.execute("INSERT INTO daily_points (user_id, day, points) SELECT u, d, 0 FROM unnest(%s::uuid[], %s::date[]) "
                "AS k (u, d) ON CONFLICT (user_id, day) DO UPDATE SET points = daily_points.points "
                "RETURNING user_id, day, points",
                ([str(u) for u, _ in ordered], [d for _, d in ordered]))
    return {(r[0], r[1]): r[2] for r in cur.fetchall()}


def _add_daily(cur, awarded):
    totals = {}
    for _, user_id, day, pts in awarded:
        if pts:
            totals[(str(user_id), day)] = totals.get((str(user_id), day), 0) + pts
    if totals:  # the rows exist (locked by _earned_so_far): the upsert only finds them by key
        cur.execute("INSERT INTO daily_points (user_id, day, points) SELECT * FROM unnest(%s::uuid[], %s::date[], "
                    "%s::int[]) ON CONFLICT (user_id, day) DO UPDATE SET points = daily_points.points + EXCLUDED.points",
                    tuple(map(list, zip(*[(u, d, p) for (u, d), p in sorted(totals.items())]))))
