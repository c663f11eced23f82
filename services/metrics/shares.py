"""Shares: started over RPC, counted in batches when their returns arrive (each share once), with points.

An "article of the app" (content_type article) is a published resource of type article: the app's articles
are the resources organizations publish as articles, so they are checked like any resource, and must be of
that type.
"""
import logging
import uuid
from datetime import timedelta

import psycopg2.extras

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
    """
    returns = {}
    for e in events:  # the earliest return of a share stands
        key = e["share_id"]
        if key not in returns or e["returned_at"] < returns[key]["returned_at"]:
            returns[key] = e
    if not returns:
        return set()
    # arrays rather than a VALUES list: one parameter each, parsed once (a third of a batch's time otherwise)
    cur.execute(
        "SELECT s.id, s.user_id, s.channel, i.returned_at FROM shares s "
        "JOIN unnest(%s::uuid[], %s::uuid[], %s::timestamptz[]) AS i (id, user_id, returned_at) "
        "ON s.id = i.id AND s.user_id = i.user_id "
        "WHERE s.returned_at IS NULL AND i.returned_at <= s.expires_at ORDER BY s.id FOR UPDATE OF s",
        ([str(e["share_id"]) for e in returns.values()], [str(e["user_id"]) for e in returns.values()],
         [e["returned_at"] for e in returns.values()]))
    counted = [{"share_id": r[0], "user_id": r[1], "channel": r[2], "returned_at": r[3]} for r in cur.fetchall()]
    if len(counted) < len(returns):
        log.info("%d of %d returned share(s) were counted before, unknown or late; not counted again",
                 len(returns) - len(counted), len(returns))
    if not counted:
        return set()
    settings = config_store.settings(cur)
    earned = _earned_so_far(cur, {(c["user_id"], shanghai_day(c["returned_at"])) for c in counted})
    awarded = points.award(counted, settings["channel_points"], settings["daily_cap"], earned)
    returned_at = {c["share_id"]: c["returned_at"] for c in counted}
    cur.execute("UPDATE shares SET returned_at = v.returned_at, day = v.day, points = v.points "
                "FROM unnest(%s::uuid[], %s::timestamptz[], %s::date[], %s::int[]) AS v (id, returned_at, day, points) "
                "WHERE shares.id = v.id",
                ([str(a[0]) for a in awarded], [returned_at[a[0]] for a in awarded], [a[2] for a in awarded],
                 [a[3] for a in awarded]))
    _add_daily(cur, awarded)
    ledger.append(cur, [(uid, pts, "share", str(sid)) for sid, uid, _, pts in awarded if pts > 0])
    return {day for _, _, day, _ in awarded}


def _earned_so_far(cur, keys):
    ordered = sorted(keys, key=lambda k: (str(k[0]), k[1]))
    # locks the (user, day) rows, so concurrent batches of two instances add to the cap one after the other
    psycopg2.extras.execute_values(
        cur, "INSERT INTO daily_points (user_id, day, points) VALUES %s ON CONFLICT DO NOTHING",
        [(u, d, 0) for u, d in ordered])
    cur.execute("SELECT user_id, day, points FROM daily_points WHERE (user_id, day) IN (%s) ORDER BY user_id, day "
                "FOR UPDATE" % ",".join(["(%s::uuid, %s::date)"] * len(ordered)),
                [v for k in ordered for v in (str(k[0]), k[1])])
    return {(r[0], r[1]): r[2] for r in cur.fetchall()}


def _add_daily(cur, awarded):
    totals = {}
    for _, user_id, day, pts in awarded:
        totals[(user_id, day)] = totals.get((user_id, day), 0) + pts
    psycopg2.extras.execute_values(
        cur, "UPDATE daily_points SET points = daily_points.points + v.points FROM (VALUES %s) AS v (user_id, day, points) "
             "WHERE daily_points.user_id = v.user_id::uuid AND daily_points.day = v.day::date",
        [(str(u), d, p) for (u, d), p in totals.items() if p], page_size=1000)
