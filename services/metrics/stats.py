"""Statistics read from the daily rollup (as of today's 00:00 Asia/Shanghai) and from the live tables.

Organization figures, leaderboards and recognition are as of 00:00 and say so (as_of); a communicator's
own shares today and in total, and points, are live.
"""
from datetime import timedelta

from kepu_common.interfaces.errors import NotFound
from services.metrics import config_store, counting, places, recognition
from services.metrics.periods import day_start, period_days, shanghai_day

SCOPE_COLUMNS = {"city": "city_code", "province": "province_code", "org": "org_id", "national": None}
# a day's communicators are ranked by the rollup (day_user's *_rank columns, each with an index in rank order)
RANKED_SCOPES = {"city": ("city_rank", " AND city_code = %(code)s"),
                 "province": ("province_rank", " AND province_code = %(code)s"), "national": ("national_rank", "")}


def as_of_instant(last_day):
    """Figures that include days up to last_day are as of the next day's 00:00."""
    return day_start(last_day + timedelta(days=1))


def me(cur, user_id, now, last_day):
    today = shanghai_day(now)
    cur.execute("SELECT count(*) FILTER (WHERE day = %s), count(*) FROM shares WHERE user_id = %s AND day IS NOT NULL",
                (today, user_id))
    shares_today, shares_total = cur.fetchone()
    # what came back, raw, and what the counting rule did not count today (services/metrics/counting.py)
    cur.execute("SELECT count(*) FILTER (WHERE returned_at >= %s), count(*) FROM share_returns WHERE user_id = %s",
                (day_start(today), user_id))
    returns_today, returns_total = cur.fetchone()
    cur.execute("SELECT not_counted, count(*) FROM shares WHERE user_id = %s AND returned_at >= %s "
                "AND not_counted IS NOT NULL GROUP BY 1", (user_id, day_start(today)))
    not_counted = dict(cur.fetchall())
    cur.execute("SELECT share_minute_ceiling FROM settings")
    ceiling = cur.fetchone()[0]
    cur.execute("SELECT balance FROM balances WHERE user_id = %s", (user_id,))
    row = cur.fetchone()
    cur.execute("SELECT city_code, verified_at FROM communicators WHERE user_id = %s", (user_id,))
    place = cur.fetchone()
    rank = None
    if place and place[0]:
        rank = own_rank(cur, user_id, "city", place[0], "week", last_day)
    return {"shares_today": shares_today, "shares_total": shares_total, "returns_today": returns_today,
            "returns_total": returns_total,
            "not_counted_today": {reason: not_counted.get(reason, 0) for reason in counting.NOT_COUNTED},
            "counting_rule": {"per_content_channel_day": 1, "per_minute": ceiling},
            "counts_for_boards": bool(place and place[1]), "points": row[0] if row else 0,
            "rank": rank, "rank_scope": "city", "rank_period": "week", "as_of": as_of_instant(last_day)}


def _range(cur, period, last_day, campaign_id):
    campaign = None
    if period == "campaign":
        campaign = config_store.campaign(cur, campaign_id) if campaign_id else None
        if campaign is None:
            raise NotFound("campaign_not_found", {"campaign_id": "not_found"})
    return period_days(period, last_day, campaign), campaign


def _user_totals_sql(scope, code):
    column = SCOPE_COLUMNS[scope]
    where = f" AND {column} = %(code)s" if column else ""
    return ("SELECT user_id, sum(shares) AS shares FROM day_user WHERE day BETWEEN %(first)s AND %(last)s"
            f"{where} GROUP BY user_id")


def leaderboard(cur, subject, scope, code, period, last_day, campaign_id, page, page_size):
    """Communicators (or organizations) ranked by counted shares over the period, inside a scope."""
    days, _ = _range(cur, period, last_day, campaign_id)
    if days is None:
        return [], False
    params = {"first": days[0], "last": days[1], "code": code, "limit": page_size + 1,
              "offset": (page - 1) * page_size}
    if subject == "orgs":
        where = {"city": "AND o.city_code = %(code)s ", "province": "AND o.province_code = %(code)s ",
                 "org": "AND o.org_id = %(code)s::uuid ", "national": ""}[scope]
        cur.execute(
            "SELECT t.org_id, o.name, t.shares, rank() OVER (ORDER BY t.shares DESC), o.region_code FROM "
            "(SELECT org_id, sum(shares_day) AS shares FROM org_day WHERE day BETWEEN %(first)s AND %(last)s "
            " GROUP BY org_id HAVING sum(shares_day) > 0) t JOIN orgs o ON o.org_id = t.org_id WHERE true "
            f"{where}ORDER BY t.shares DESC, t.org_id LIMIT %(limit)s OFFSET %(offset)s", params)
        rows = [{"org_id": r[0], "name": r[1], "shares": r[2], "rank": r[3], "region_code": r[4],
                 "region_name": places.name(r[4])} for r in cur.fetchall()]
    elif period == "day" and scope in RANKED_SCOPES:
        rank, where = RANKED_SCOPES[scope]
        cur.execute(f"SELECT user_id, shares, {rank} FROM day_user WHERE day = %(first)s{where} "
                    f"ORDER BY {rank}, user_id LIMIT %(limit)s OFFSET %(offset)s", params)
        rows = [{"user_id": r[0], "shares": r[1], "rank": r[2]} for r in cur.fetchall()]
    else:
        cur.execute(
            f"SELECT user_id, shares, rank() OVER (ORDER BY shares DESC) FROM ({_user_totals_sql(scope, code)}) t "
            "ORDER BY shares DESC, user_id LIMIT %(limit)s OFFSET %(offset)s", params)
        rows = [{"user_id": r[0], "shares": r[1], "rank": r[2]} for r in cur.fetchall()]
    if subject == "communicators":
        _place_people(cur, rows[:page_size])
    return rows[:page_size], len(rows) > page_size


def _place_people(cur, rows):
    """Each communicator's organization and region now, with their names (a page: a few rows by key)."""
    if not rows:
        return
    # LATERAL, each by key: a plain join let the planner hash every current membership (a million) per page
    cur.execute("SELECT c.user_id, c.region_code, m.org_id, (SELECT name FROM orgs WHERE org_id = m.org_id), "
                "c.masked_name FROM communicators c LEFT JOIN LATERAL (SELECT org_id FROM memberships "
                "WHERE user_id = c.user_id AND left_at IS NULL LIMIT 1) m ON true WHERE c.user_id = ANY(%s::uuid[])",
                ([str(r["user_id"]) for r in rows],))
    found = {str(r[0]): r[1:] for r in cur.fetchall()}
    for row in rows:
        region_code, org_id, org_name, masked_name = found.get(str(row["user_id"]), (None, None, None, None))
        row.update(region_code=region_code, region_name=places.name(region_code), org_id=org_id, org_name=org_name,
                   masked_name=masked_name)


def own_rank(cur, user_id, scope, code, period, last_day, campaign_id=None):
    days, _ = _range(cur, period, last_day, campaign_id)
    if days is None:
        return None
    params = {"first": days[0], "last": days[1], "code": code, "user_id": user_id}
    if period == "day" and scope in RANKED_SCOPES:
        rank, where = RANKED_SCOPES[scope]
        cur.execute(f"SELECT {rank} FROM day_user WHERE day = %(first)s AND user_id = %(user_id)s{where}", params)
        row = cur.fetchone()
        return row[0] if row else None
    cur.execute(
        f"WITH t AS ({_user_totals_sql(scope, code)}) "
        "SELECT (SELECT count(*) FROM t WHERE shares > mine.shares) + 1 FROM t AS mine WHERE mine.user_id = %(user_id)s",
        params)
    row = cur.fetchone()
    return row[0] if row else None


def org(cur, org_id, last_day):
    """An organization's figures as of the latest rollup up to last_day (normally yesterday: today 00:00)."""
    cur.execute("SELECT org_id, name, category, region_code FROM orgs WHERE org_id = %s", (org_id,))
    found = cur.fetchone()
    if found is None:
        raise NotFound("org_stats_not_found", org_id=str(org_id))
    cur.execute("SELECT day, communicators, shares_day, shares_total FROM org_day WHERE org_id = %s AND day <= %s "
                "ORDER BY day DESC LIMIT 1", (org_id, last_day))
    row = cur.fetchone()
    cur.execute("SELECT max(day) FROM rollups WHERE day <= %s", (last_day,))
    rolled = cur.fetchone()[0]
    if row is None:
        row = (rolled, 0, 0, 0)
    elif rolled and rolled > row[0]:  # no row that day: nothing changed since its last row
        row = (rolled, row[1], 0, row[3])
    return {"org_id": found[0], "name": found[1], "category": found[2], "region_code": found[3],
            "region_name": places.name(found[3]),
            "communicators": row[1], "shares_last_day": row[2], "shares_total": row[3],
            "as_of": as_of_instant(row[0]) if row[0] else None}


def can_see_org(cur, user_id, org_id):
    """The registrant of an organization, or a member of it."""
    cur.execute("SELECT 1 FROM orgs WHERE org_id = %s AND registrant_id = %s UNION ALL "
                "SELECT 1 FROM memberships WHERE org_id = %s AND user_id = %s AND left_at IS NULL LIMIT 1",
                (org_id, user_id, org_id, user_id))
    return cur.fetchone() is not None


def recognitions(cur, campaign_id, last_day):
    settings = config_store.settings(cur)
    days, campaign = _range(cur, "campaign", last_day, campaign_id)
    result = {"campaign": campaign, "thresholds": {k: settings[k] for k in
              ("org_min_communicators", "org_min_shares", "individual_min_shares")},
              "as_of": as_of_instant(last_day), "orgs": [], "individuals": []}
    if days is None:
        return result
    first, last = days
    cur.execute(
        "SELECT o.org_id, o.name, o.region_code, coalesce(c.communicators, 0), s.shares FROM "
        "(SELECT org_id, sum(shares_day) AS shares FROM org_day WHERE day BETWEEN %(first)s AND %(last)s "
        " GROUP BY org_id HAVING sum(shares_day) >= %(min_shares)s) s "
        "JOIN orgs o ON o.org_id = s.org_id "
        "LEFT JOIN LATERAL (SELECT communicators FROM org_day WHERE org_id = s.org_id AND day <= %(last)s "
        "                   ORDER BY day DESC LIMIT 1) c ON true "
        "ORDER BY s.shares DESC, o.org_id",
        {"first": first, "last": last, "min_shares": result["thresholds"]["org_min_shares"]})
    orgs = [{"org_id": r[0], "name": r[1], "region_code": r[2], "region_name": places.name(r[2]),
             "communicators": r[3], "shares": r[4]} for r in cur.fetchall()]
    result["orgs"] = [o for o in orgs if recognition.org_recognised(o, result["thresholds"])]
    cur.execute(
        "SELECT t.user_id, t.shares, c.region_code, o.org_id, o.name, c.masked_name FROM (SELECT user_id, "
        "sum(shares) AS shares "
        "FROM day_user WHERE day BETWEEN %s AND %s GROUP BY user_id HAVING sum(shares) >= %s) t "
        "LEFT JOIN communicators c ON c.user_id = t.user_id "
        "LEFT JOIN memberships m ON m.user_id = t.user_id AND m.left_at IS NULL "
        "LEFT JOIN orgs o ON o.org_id = m.org_id ORDER BY t.shares DESC, t.user_id",
        (first, last, result["thresholds"]["individual_min_shares"]))
    people = [{"user_id": r[0], "shares": r[1], "region_code": r[2], "region_name": places.name(r[2]),
               "org_id": r[3], "org_name": r[4], "masked_name": r[5]} for r in cur.fetchall()]
    result["individuals"] = [p for p in people if recognition.individual_recognised(p, result["thresholds"])]
    return result


def activities(cur, campaign_id=None, region_code=None):
    """Approved activities per supervising-unit channel, per region and per campaign (live, from events)."""
    clauses, params = ["review_status = 'approved'"], []
    if campaign_id:
        clauses.append("campaign_id = %s")
        params.append(campaign_id)
    if region_code:
        clauses.append("region_code LIKE %s")
        params.append(region_code.rstrip("0") + "%")
    where = " AND ".join(clauses)
    figures = {}
    for key, column in (("by_channel", "channel"), ("by_region", "region_code"), ("by_campaign", "campaign_id")):
        cur.execute(f"SELECT {column}, count(*) FROM activities WHERE {where} GROUP BY 1 ORDER BY 2 DESC, 1", params)
        figures[key] = [{"key": str(r[0]), "approved": r[1]} for r in cur.fetchall()]
    for item in figures["by_region"]:
        item["name"] = places.name(item["key"])
    figures["approved"] = sum(item["approved"] for item in figures["by_channel"])
    return figures


def downloads(cur, org_id=None, limit=50):
    where, params = ("WHERE org_id = %s", [org_id]) if org_id else ("", [])
    cur.execute(f"SELECT resource_id, org_id, type, sum(downloads) FROM resource_downloads {where} "
                "GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1 LIMIT %s", (*params, limit))
    top = [{"resource_id": r[0], "org_id": r[1], "type": r[2], "downloads": r[3]} for r in cur.fetchall()]
    cur.execute(f"SELECT coalesce(sum(downloads), 0) FROM resource_downloads {where}", params)
    return {"total": cur.fetchone()[0], "top": top}


def shares_of_users(cur, user_ids):
    """Counted shares per communicator (live), for the area views of district and street admins."""
    cur.execute("SELECT user_id, count(*) FROM shares WHERE user_id = ANY(%s::uuid[]) AND day IS NOT NULL "
                "GROUP BY user_id", ([str(u) for u in user_ids],))
    counts = {str(r[0]): r[1] for r in cur.fetchall()}
    return {str(u): counts.get(str(u), 0) for u in user_ids}
