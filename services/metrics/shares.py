"""Shares: started over RPC, counted in batches when their returns arrive (each share once), with points.

An "article of the app" (content_type article) is a published resource of type article: the app's articles
are the resources organizations publish as articles, so they are checked like any resource, and must be of
that type.
"""
import logging
import uuid
from datetime import timedelta

from kepu_common.errors import NotFound
from services.metrics import config_store, directory, ledger, points
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
    """Count each returned share once and award its points. Returns the days that got counted shares.

    Only the owner's return within the window is accepted upstream (the gateway checks the signed share
    id); here the same is checked again, and a share already counted (a repeated return, a redelivery,
    a second instance) matches no row. Rows are locked in share-id order so two instances never deadlock.

    Every statement finds its rows by key (`= ANY(ids)`): a join with the batch's arrays let the planner
    hash the whole shares table, twice per batch.
    """
    by_share = {}
    for e in events:
        by_share.setdefault(e["share_id"], []).append(e)
    if not by_share:
        return set()
    cur.execute("SELECT id, user_id, channel, expires_at FROM shares WHERE id = ANY(%s::uuid[]) "
                "AND returned_at IS NULL ORDER BY id FOR UPDATE",
                ([str(share_id) for share_id in by_share],))
    counted = []
    for share_id, user_id, channel, expires_at in cur.fetchall():
        # the owner's earliest return inside the window stands
        valid = [e["returned_at"] for e in by_share.get(share_id, ())
                 if str(e["user_id"]) == str(user_id) and e["returned_at"] <= expires_at]
        if valid:
            counted.append({"share_id": share_id, "user_id": user_id, "channel": channel, "returned_at": min(valid)})
    if len(counted) < len(by_share):
        log.info("%d of %d returned share(s) were counted before, unknown, someone else's or late; not counted",
                 len(by_share) - len(counted), len(by_share))
    if not counted:
        return set()
    settings = config_store.settings(cur)
    earned = _earned_so_far(cur, {(c["user_id"], shanghai_day(c["returned_at"])) for c in counted})
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
