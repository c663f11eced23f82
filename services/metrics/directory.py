"""What metrics keeps from other services' events: communicators, organizations and memberships (identity),
shareable content (resources, activities), activities and downloads (for their statistics).

Every function takes events already claimed (claim_events) inside the consumer's transaction.
"""
import logging

import psycopg2.extras

from kepu_common.domain import regions
from services.metrics.periods import shanghai_day
from services.metrics.places import MUNICIPALITIES

log = logging.getLogger(__name__)


def city_and_province(region_code):
    """(city, province) codes of a division; a municipality's district has its province as its city, and a
    county-level city directly under a province (省直辖县级市: 五指山 469001, 仙桃 429004) is its own city."""
    codes = regions.path(region_code) if region_code else []
    if not codes:
        return None, None
    city = next((c for c in codes if regions.lookup(c).level == 2), None)
    if city is None:
        city = codes[0] if codes[0] in MUNICIPALITIES else codes[-1]
    return city, codes[0]


def users_registered(cur, events):
    psycopg2.extras.execute_values(
        cur, "INSERT INTO communicators (user_id, registered_at) VALUES %s "
             "ON CONFLICT (user_id) DO UPDATE SET registered_at = EXCLUDED.registered_at",
        [(e["user_id"], e["registered_at"]) for e in events])


def users_verified(cur, events):
    for e in events:
        city, province = city_and_province(e.get("region_code"))
        cur.execute(
            "INSERT INTO communicators (user_id, verified_at, region_code, city_code, province_code, communicator_type, "
            "masked_name) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET "
            "masked_name = coalesce(EXCLUDED.masked_name, communicators.masked_name), "
            "verified_at = least(communicators.verified_at, EXCLUDED.verified_at), "
            "region_code = EXCLUDED.region_code, city_code = EXCLUDED.city_code, "
            "province_code = EXCLUDED.province_code, communicator_type = EXCLUDED.communicator_type",
            (e["user_id"], e["occurred_at"], e.get("region_code"), city, province, e.get("communicator_type"),
             e.get("masked_name")))
        if e.get("org_id"):
            join(cur, e["user_id"], e["org_id"], e["occurred_at"])


def _lock_user(cur, user_id):
    # user_verified and member_joined/left arrive on different queues, maybe at once: one at a time per user
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))", (str(user_id),))


def join(cur, user_id, org_id, at):
    """A communicator belongs to one organization at a time: joining another ends the current membership.

    Events of one user travel on several queues, so a leave may arrive before its join: it left a marker
    (a row that ends where it starts), and the join then becomes a membership that has already ended."""
    _lock_user(cur, user_id)
    cur.execute("SELECT org_id FROM memberships WHERE user_id = %s AND left_at IS NULL", (user_id,))
    row = cur.fetchone()
    if row is not None and row[0] == org_id:
        return
    cur.execute("SELECT 1 FROM memberships WHERE user_id = %s AND org_id = %s AND joined_at <= %s AND left_at >= %s "
                "AND joined_at < left_at", (user_id, org_id, at, at))
    if cur.fetchone() is not None:  # this join is already known, as a membership that ended since
        return
    cur.execute("SELECT id FROM memberships WHERE user_id = %s AND org_id = %s AND joined_at = left_at "
                "AND left_at >= %s ORDER BY left_at LIMIT 1", (user_id, org_id, at))
    early_leave = cur.fetchone()
    if early_leave is not None:
        cur.execute("UPDATE memberships SET joined_at = %s WHERE id = %s", (at, early_leave[0]))
        return
    if row is not None:
        leave(cur, user_id, row[0], at)
    cur.execute("INSERT INTO memberships (user_id, org_id, joined_at) VALUES (%s, %s, %s)", (user_id, org_id, at))


def leave(cur, user_id, org_id, at):
    _lock_user(cur, user_id)
    cur.execute("UPDATE memberships SET left_at = greatest(joined_at, %s) "
                "WHERE user_id = %s AND org_id = %s AND left_at IS NULL", (at, user_id, org_id))
    if cur.rowcount == 0:
        cur.execute("INSERT INTO memberships (user_id, org_id, joined_at, left_at) VALUES (%s, %s, %s, %s)",
                    (user_id, org_id, at, at))


def memberships_changed(cur, events):
    for e in sorted(events, key=lambda e: e["occurred_at"]):
        if e["event_type"] == "member_joined":
            join(cur, e["user_id"], e["org_id"], e["occurred_at"])
        else:
            leave(cur, e["user_id"], e["org_id"], e["occurred_at"])


def orgs_registered(cur, events):
    psycopg2.extras.execute_values(
        cur, "INSERT INTO orgs (org_id, registrant_id, name, category, region_code, city_code, province_code) "
             "VALUES %s ON CONFLICT (org_id) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category, "
             "region_code = EXCLUDED.region_code, city_code = EXCLUDED.city_code, "
             "province_code = EXCLUDED.province_code, registrant_id = EXCLUDED.registrant_id",
        [(e["org_id"], e["registrant_id"], e["name"], e["category"], e["region_code"],
          *city_and_province(e["region_code"])) for e in events])


def orgs_verified(cur, events):
    cur.execute("UPDATE orgs SET verified = true WHERE org_id = ANY(%s)", ([e["org_id"] for e in events],))


def _content_changed(cur, content_type, content_id, shareable, at, resource_type=None):
    # the newest event wins, whatever order they arrive in
    cur.execute(
        "INSERT INTO shareable_content (content_type, content_id, resource_type, shareable, changed_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (content_type, content_id) DO UPDATE SET "
        "shareable = EXCLUDED.shareable, changed_at = EXCLUDED.changed_at, "
        "resource_type = coalesce(EXCLUDED.resource_type, shareable_content.resource_type) "
        "WHERE shareable_content.changed_at <= EXCLUDED.changed_at",
        (content_type, content_id, resource_type, shareable, at))


def resources_changed(cur, events):
    for e in events:
        _content_changed(cur, "resource", e["resource_id"], e["status"] == "published", e["occurred_at"], e["type"])


def activities_changed(cur, events):
    for e in events:
        cur.execute(
            "INSERT INTO activities (activity_id, org_id, campaign_id, region_code, channel, review_status, shelf, "
            "revision, occurred_at) VALUES (%(activity_id)s, %(org_id)s, %(campaign_id)s, %(region_code)s, "
            "%(channel)s, %(review_status)s, %(shelf)s, %(revision)s, %(occurred_at)s) "
            "ON CONFLICT (activity_id) DO UPDATE SET org_id = EXCLUDED.org_id, campaign_id = EXCLUDED.campaign_id, "
            "region_code = EXCLUDED.region_code, channel = EXCLUDED.channel, review_status = EXCLUDED.review_status, "
            "shelf = EXCLUDED.shelf, revision = EXCLUDED.revision, occurred_at = EXCLUDED.occurred_at "
            "WHERE (activities.revision, activities.occurred_at) <= (EXCLUDED.revision, EXCLUDED.occurred_at)", e)
        _content_changed(cur, "activity", e["activity_id"],
                         e["review_status"] == "approved" and e["shelf"] == "on", e["occurred_at"])


def resources_downloaded(cur, events):
    counts = {}
    for e in events:
        key = (e["resource_id"], shanghai_day(e["downloaded_at"]))
        counts[key] = (e["org_id"], e["type"], counts.get(key, (None, None, 0))[2] + 1)
    psycopg2.extras.execute_values(
        cur, "INSERT INTO resource_downloads (resource_id, day, org_id, type, downloads) VALUES %s "
             "ON CONFLICT (resource_id, day) DO UPDATE SET downloads = resource_downloads.downloads + EXCLUDED.downloads",
        [(rid, day, org, kind, n) for (rid, day), (org, kind, n) in counts.items()])


def current_place(cur, user_id):
    """(org_id, region_code, city_code, province_code) of a communicator now; Nones when unknown."""
    cur.execute("SELECT m.org_id, c.region_code, c.city_code, c.province_code FROM communicators c "
                "LEFT JOIN memberships m ON m.user_id = c.user_id AND m.left_at IS NULL WHERE c.user_id = %s",
                (user_id,))
    row = cur.fetchone()
    if row is None:
        cur.execute("SELECT org_id FROM memberships WHERE user_id = %s AND left_at IS NULL", (user_id,))
        member = cur.fetchone()
        return (member[0] if member else None), None, None, None
    return row
