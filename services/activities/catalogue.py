"""Campaigns and activities over a cursor: submission, edits (every version kept), review decisions,
the shelf and the public listing's projection. The state rules are routing's and rules'.

What the public sees of an approved activity under re-review: the last approved version stays
listed, unchanged, until the edited version is approved (then the listing shows it and its
iCalendar SEQUENCE goes up); if the edit is rejected, the approved version stays. The owner sees the
edited version with its review status in /my/activities.
"""
import uuid
from datetime import datetime, timezone

import psycopg2.extras

from kepu_common.domain import regions
from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken
from kepu_common.interfaces.messages import label
from services.activities import directory, ical, routing, rules
from services.resources import search_text  # the same Chinese character-pair terms as the resource search

SUBJECT_TYPE = "activity"
_ACTIVITY = ("id", "org_id", "campaign_id", "created_by", "revision", "submitted_at", "supervising_category",
             "review_status", "review_comment", "rejected_stage", "shelf", "shelf_reason", "shelf_changed_by",
             "public_revision", "approvals", "created_at", "updated_at")
_CAMPAIGN = ("id", "name", "year", "theme", "window_start", "window_end", "followup_rules", "created_at",
             "nomination_deadline")
# a calendar export holds at most this many events (a province's whole campaign fits)
CALENDAR_LIMIT = 10_000
# the listing's total is exact up to this many matches, estimated beyond (and says so)
EXACT_TOTAL_UP_TO = 5_000
# 官方活动 / 地方活动: supervised by a national-level unit (a ministry, a national society), or by a CAST of a
# province, city or county
OFFICIAL_CATEGORIES = ("ministry", "national_society")
LOCAL_CATEGORIES = ("provincial_cast", "city_cast", "county_cast")
CONTENT_FIELDS = ("name", "mode", "type", "start_at", "end_at", "region", "supervising_unit", "joint_action",
                  "special_action", "youth_festival", "partner_agencies", "partner_societies", "hosts", "organizers",
                  "reservation", "expected_participants", "poster", "details", "venue", "pictures")


# --- campaigns --------------------------------------------------------------------------------------
def create_campaign(cur, user_id, data):
    directory.require_platform_admin(cur, user_id)
    campaign_id = uuid.uuid4()
    cur.execute("INSERT INTO campaigns (id, name, year, theme, window_start, window_end, followup_rules, created_by, "
                "nomination_deadline) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (campaign_id, data["name"].strip(), data["year"], data["theme"], data["window_start"],
                 data["window_end"], psycopg2.extras.Json(data["followup_rules"]), user_id,
                 data.get("nomination_deadline")))
    for channel, quota in data["quotas"].items():
        cur.execute("INSERT INTO campaign_quotas (campaign_id, channel, quota) VALUES (%s, %s, %s)",
                    (campaign_id, channel, quota))
    _set_unit_quotas(cur, campaign_id, data.get("unit_quotas") or {})
    return get_campaign(cur, campaign_id)


def _set_unit_quotas(cur, campaign_id, unit_quotas):
    """A unit's own quota (None: back to its category's default)."""
    for org_id, quota in unit_quotas.items():
        cur.execute("INSERT INTO unit_quotas (campaign_id, org_id, quota) VALUES (%s, %s, %s) "
                    "ON CONFLICT (campaign_id, org_id) DO UPDATE SET quota = EXCLUDED.quota",
                    (str(campaign_id), str(org_id), quota))


_EDITABLE = ("name", "theme", "window_start", "window_end", "nomination_deadline")


def update_campaign(cur, user_id, campaign_id, data):
    """A platform admin edits a campaign: its name and theme, its window (extended, or closed early by an end
    before today), its nomination deadline, its quotas per category and per unit; every change audited in
    campaign_changes with its reason."""
    directory.require_platform_admin(cur, user_id)
    cur.execute("SELECT id FROM campaigns WHERE id = %s FOR UPDATE", (str(campaign_id),))
    campaign = get_campaign(cur, campaign_id)
    changes = {}
    for field in _EDITABLE:
        if field in data and data[field] != campaign[field]:
            changes[field] = [_plain(campaign[field]), _plain(data[field])]
    start, end = data.get("window_start", campaign["window_start"]), data.get("window_end", campaign["window_end"])
    if end < start:
        raise InvalidInput("validation_failed", {"window_end": "window_end_before_start"})
    for channel, quota in (data.get("quotas") or {}).items():
        if campaign["quotas"].get(channel) != quota:
            changes[f"quotas.{channel}"] = [campaign["quotas"].get(channel), quota]
    for org_id, quota in (data.get("unit_quotas") or {}).items():
        if campaign["unit_quotas"].get(str(org_id)) != quota:
            changes[f"unit_quotas.{org_id}"] = [campaign["unit_quotas"].get(str(org_id)), quota]
    if not changes:
        raise Conflict("campaign_unchanged", {"_schema": "campaign_unchanged"})
    sets = [f for f in _EDITABLE if f in data]
    if sets:
        cur.execute(f"UPDATE campaigns SET {', '.join(f'{f} = %s' for f in sets)} WHERE id = %s",
                    [data[f].strip() if f in ("name", "theme") else data[f] for f in sets] + [campaign["id"]])
    for channel, quota in (data.get("quotas") or {}).items():
        cur.execute("INSERT INTO campaign_quotas (campaign_id, channel, quota) VALUES (%s, %s, %s) "
                    "ON CONFLICT (campaign_id, channel) DO UPDATE SET quota = EXCLUDED.quota",
                    (campaign["id"], channel, quota))
    _set_unit_quotas(cur, campaign["id"], data.get("unit_quotas") or {})
    cur.execute("INSERT INTO campaign_changes (campaign_id, changed_by, changes, reason) VALUES (%s, %s, %s, %s)",
                (campaign["id"], user_id, psycopg2.extras.Json(changes), data["reason"].strip()))
    return get_campaign(cur, campaign["id"]), changes


def campaign_changes(cur, user_id, campaign_id):
    directory.require_platform_admin(cur, user_id)
    cur.execute("SELECT changed_by::text, changes, reason, at FROM campaign_changes WHERE campaign_id = %s "
                "ORDER BY id DESC", (str(campaign_id),))
    return [dict(zip(("changed_by", "changes", "reason", "at"), row)) for row in cur.fetchall()]


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _campaign(cur, row):
    campaign = dict(zip(_CAMPAIGN, row))
    campaign["followup_rules"] = {**rules.DEFAULT_FOLLOWUP_RULES, **campaign["followup_rules"]}
    cur.execute("SELECT channel, quota, used FROM campaign_quotas WHERE campaign_id = %s ORDER BY channel",
                (campaign["id"],))
    quotas = cur.fetchall()
    campaign["quotas"] = {channel: quota for channel, quota, _ in quotas}
    cur.execute("SELECT channel, count(*) FROM nominations WHERE campaign_id = %s GROUP BY 1 ORDER BY 1",
                (campaign["id"],))
    campaign["nominated"] = dict(cur.fetchall())
    cur.execute("SELECT org_id::text, quota FROM unit_quotas WHERE campaign_id = %s AND quota IS NOT NULL "
                "ORDER BY 1", (campaign["id"],))
    campaign["unit_quotas"] = dict(cur.fetchall())
    return campaign


def get_campaign(cur, campaign_id, field="campaign_id"):
    cur.execute(f"SELECT {', '.join(_CAMPAIGN)} FROM campaigns WHERE id = %s", (str(campaign_id),))
    row = cur.fetchone()
    if row is None:
        raise NotFound("activity_campaign_not_found", {field: "campaign_unknown"})
    return _campaign(cur, row)


def list_campaigns(cur):
    cur.execute(f"SELECT {', '.join(_CAMPAIGN)} FROM campaigns ORDER BY window_start DESC, id")
    return [_campaign(cur, row) for row in cur.fetchall()]


# --- the form ---------------------------------------------------------------------------------------
def _party(item, known):
    if item.get("org_id") is not None:
        org = known[str(item["org_id"])]
        return {"org_id": str(item["org_id"]), "name": org["name"]}
    return {"org_id": None, "name": item["name"].strip()}


def _names_nearby(cur, campaign_id, region_code, activity_id=None):
    """The current names of the other activities of a campaign in one region (for the similar-name warning)."""
    cur.execute("SELECT v.data->>'name' FROM activities a JOIN activity_versions v ON v.activity_id = a.id "
                "AND v.revision = a.revision WHERE a.campaign_id = %s AND v.data->'region'->>'code' = %s "
                "AND a.id IS DISTINCT FROM %s ORDER BY a.created_at", (str(campaign_id), region_code,
                                                                        str(activity_id) if activity_id else None))
    return [row[0] for row in cur.fetchall()]


def checked_content(cur, data, now, activity_id=None):
    """Check the form against the clock and the directory; the content to store, and the warnings.
    Raises InvalidInput naming every broken rule by field, before anything is written."""
    errors, warnings = rules.check_schedule(data["start_at"], data["end_at"], now)
    errors.update(rules.check_region(data["region_code"]))
    venue = data.get("venue") if data["mode"] in ("offline", "both") else None
    if venue and venue.get("region_code"):
        errors.update(rules.check_region(venue["region_code"], "venue.region_code"))
    ids = [data["supervising_org_id"]] + [p.get("org_id") for f in rules.PARTNER_FIELDS for p in data[f]]
    known = directory.orgs(cur, ids)
    supervisor = known.get(str(data["supervising_org_id"]))
    errors.update(rules.check_supervising(data["supervising_category"], supervisor))
    errors.update(rules.check_partners(data, known))
    if errors:
        raise InvalidInput("validation_failed", errors)
    warnings += rules.supervising_warnings(data["supervising_category"], supervisor["region_code"],
                                           data["region_code"])
    warnings += rules.name_warnings(data["name"].strip(), _names_nearby(cur, data["campaign_id"], data["region_code"],
                                                                        activity_id))
    content = {
        "name": data["name"].strip(), "mode": data["mode"], "type": data["type"],
        # stored and answered in UTC, whatever offset the form came with (the listing's columns are UTC too)
        "start_at": data["start_at"].astimezone(timezone.utc).isoformat(),
        "end_at": data["end_at"].astimezone(timezone.utc).isoformat(),
        "region": regions.describe(data["region_code"]),
        "supervising_unit": {"category": data["supervising_category"], "org_id": str(supervisor["id"]),
                             "name": supervisor["name"], "region_code": supervisor["region_code"],
                             "province": rules.province_of(supervisor["region_code"])},
        "joint_action": data["joint_action"], "special_action": data["special_action"],
        "youth_festival": data["youth_festival"],
        "reservation": {"enabled": data["reservation"]["enabled"],
                        "url": (data["reservation"]["url"] or "").strip() if data["reservation"]["enabled"] else ""},
        "expected_participants": data["expected_participants"],
        # sha256: the poster pre-check reads a content once (services/activities/posters.py)
        "poster": {k: data["poster"][k] for k in ("upload_id", "bucket", "key", "content_type", "size", "sha256",
                                                  "width", "height")},
        "details": {k: v.strip() for k, v in data["details"].items()},
        "pictures": [{"part": p["part"], "caption": p.get("caption", "").strip(),
                      **{k: p[k] for k in ("upload_id", "bucket", "key", "content_type", "size", "width", "height")}}
                     for p in data.get("pictures") or []],
        "venue": ({"address": venue["address"].strip(),
                   "region": regions.describe(venue.get("region_code") or data["region_code"])} if venue else None),
    }
    for field in rules.PARTNER_FIELDS:
        content[field] = [_party(item, known) for item in data[field]]
    return content, warnings


def changed_fields(previous, content):
    if previous is None:
        return []
    return [field for field in CONTENT_FIELDS if previous.get(field) != content.get(field)]


# --- activities -------------------------------------------------------------------------------------
def get(cur, activity_id, lock=False):
    try:
        activity_id = uuid.UUID(str(activity_id))
    except ValueError:
        raise NotFound("activity_not_found", {"activity_id": "activity_unknown"}) from None
    cur.execute(f"SELECT {', '.join('a.' + c for c in _ACTIVITY)}, v.data, v.changes, "
                f"(SELECT n.nominated_at IS NOT NULL FROM nominations n WHERE n.activity_id = a.id) "
                f"FROM activities a JOIN activity_versions v ON v.activity_id = a.id AND v.revision = a.revision "
                f"WHERE a.id = %s" + (" FOR UPDATE OF a" if lock else ""), (activity_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("activity_not_found", {"activity_id": "activity_unknown"})
    return _from_row(row)


def _from_row(row):
    activity = dict(zip(_ACTIVITY, row))
    n = len(_ACTIVITY)
    activity.update(row[n])
    activity["changes"] = list(row[n + 1] or [])
    activity["nominated"] = bool(row[n + 2])
    return activity


def can_manage(cur, activity, user_id):
    if user_id is None:
        return False
    return activity["org_id"] in directory.orgs_of(cur, user_id) or directory.is_platform_admin(cur, user_id)


def require_owner(cur, activity, user_id, admins_too=False):
    if activity["org_id"] in directory.orgs_of(cur, user_id):
        return
    if admins_too and directory.is_platform_admin(cur, user_id):
        return
    raise Forbidden("activity_not_yours", {"activity_id": "not_your_activity"})


def _store_version(cur, activity_id, revision, content, changes, user_id, now):
    cur.execute("INSERT INTO activity_versions (activity_id, revision, data, changes, submitted_by, submitted_at) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (activity_id, revision, psycopg2.extras.Json(content), changes, user_id, now))


def submit(cur, user_id, data, now):
    """A new activity, first version: (activity, warnings, repeated). With a client_key already used by
    this user for the same form, the activity published then, and repeated=True (nothing new written)."""
    org_id = directory.acting_org(cur, user_id, data.get("org_id"))
    campaign = get_campaign(cur, data["campaign_id"])
    content, warnings = checked_content(cur, data, now)
    client_key = data.get("client_key")
    if client_key:
        earlier = _by_client_key(cur, user_id, client_key)
        if earlier is not None:
            return _same_publication(cur, earlier, org_id, campaign, content), warnings, True
    rules.check_window(campaign, now)
    activity_id = uuid.uuid4()
    category = data["supervising_category"]
    # a publication retried at the same moment waits on the unique index, then finds the first one
    cur.execute("INSERT INTO activities (id, org_id, campaign_id, created_by, revision, submitted_at, "
                "supervising_category, review_status, client_key) VALUES (%s, %s, %s, %s, 1, %s, %s, %s, %s) "
                "ON CONFLICT (created_by, client_key) WHERE client_key IS NOT NULL DO NOTHING RETURNING id",
                (activity_id, org_id, campaign["id"], user_id, now, category, routing.first_status(category),
                 client_key))
    if cur.fetchone() is None:
        earlier = _by_client_key(cur, user_id, client_key)
        return _same_publication(cur, earlier, org_id, campaign, content), warnings, True
    _store_version(cur, activity_id, 1, content, [], user_id, now)
    return get(cur, activity_id), warnings, False


def _by_client_key(cur, user_id, client_key):
    cur.execute("SELECT id FROM activities WHERE created_by = %s AND client_key = %s", (user_id, client_key))
    row = cur.fetchone()
    return get(cur, row[0]) if row else None


def _same_publication(cur, earlier, org_id, campaign, content):
    """A key names one publication: sent again with another form, it is refused, not taken as an edit.
    The form is compared with the first version, as published (the activity may have been edited since)."""
    cur.execute("SELECT data FROM activity_versions WHERE activity_id = %s AND revision = 1", (earlier["id"],))
    first = cur.fetchone()[0]
    if (str(earlier["org_id"]) != str(org_id) or str(earlier["campaign_id"]) != str(campaign["id"])
            or changed_fields(first, content)):
        raise Conflict("client_key_reused", {"client_key": "client_key_reused"})
    return earlier


def edit(cur, user_id, activity_id, data, now):
    """A new version: back to the first stage of its chain (a rejected one is thereby resubmitted)."""
    activity = get(cur, activity_id, lock=True)
    require_owner(cur, activity, user_id)
    rules.check_editable(activity["nominated"], _as_time(activity["end_at"]), now)
    if str(data["campaign_id"]) != str(activity["campaign_id"]):
        raise InvalidInput("validation_failed", {"campaign_id": "campaign_cannot_change"})
    campaign = get_campaign(cur, activity["campaign_id"])
    content, warnings = checked_content(cur, data, now, activity["id"])
    rules.check_window(campaign, now)
    previous = {field: activity.get(field) for field in CONTENT_FIELDS}
    changes = changed_fields(previous, content)
    if not changes:
        raise Conflict("activity_unchanged", {"_schema": "activity_unchanged"})
    category = data["supervising_category"]
    revision = activity["revision"] + 1
    _store_version(cur, activity["id"], revision, content, changes, user_id, now)
    cur.execute("UPDATE activities SET revision = %s, submitted_at = %s, supervising_category = %s, "
                "review_status = %s, review_comment = '', rejected_stage = NULL, updated_at = now() WHERE id = %s",
                (revision, now, category, routing.after_edit(category), activity["id"]))
    return activity["review_status"], get(cur, activity["id"]), warnings


def apply_decision(cur, event):
    """A review decision: the activity after it, or None when stale (a redelivery, a stage the activity
    has left, or a decision taken on a version older than the current one)."""
    try:
        activity = get(cur, event["subject_id"], lock=True)
    except NotFound:
        return None
    if event["decided_at"] < activity["submitted_at"]:
        return None  # decided on the version before the latest edit
    status = routing.after_decision(activity["review_status"], activity["supervising_category"], event["stage"],
                                    event["decision"])
    if status is None:
        return None
    comment = event.get("comment") or ""
    if status == "approved":
        cur.execute("UPDATE activities SET review_status = 'approved', review_comment = %s, shelf = 'on', "
                    "shelf_reason = '', public_revision = revision, approvals = approvals + 1, updated_at = now() "
                    "WHERE id = %s", (comment, activity["id"]))
        activity = get(cur, activity["id"])
        _publish(cur, activity)
    else:
        rejected = routing.waiting_stage(activity["review_status"]) if status.endswith("_rejected") else None
        cur.execute("UPDATE activities SET review_status = %s, review_comment = %s, rejected_stage = %s, "
                    "updated_at = now() WHERE id = %s", (status, comment, rejected, activity["id"]))
        activity = get(cur, activity["id"])
    return activity


def _publish(cur, activity):
    """The approved version becomes the public one."""
    region = activity["region"]
    path = regions.path(region["code"])
    city = next((c for c in path if regions.lookup(c).level == 2), None)
    cur.execute(
        "INSERT INTO activity_listing (activity_id, revision, sequence, shelf, campaign_id, name, type, mode, start_at, "
        "end_at, region_code, province_code, city_code, supervising_category, youth_festival, search) "
        "VALUES (%(id)s, %(revision)s, %(sequence)s, 'on', %(campaign_id)s, %(name)s, %(type)s, %(mode)s, %(start_at)s, "
        "%(end_at)s, %(region_code)s, %(province)s, %(city)s, %(category)s, %(youth)s, %(search)s::tsvector) "
        "ON CONFLICT (activity_id) DO UPDATE SET revision = EXCLUDED.revision, sequence = EXCLUDED.sequence, "
        "shelf = 'on', name = EXCLUDED.name, type = EXCLUDED.type, mode = EXCLUDED.mode, start_at = EXCLUDED.start_at, "
        "end_at = EXCLUDED.end_at, region_code = EXCLUDED.region_code, province_code = EXCLUDED.province_code, "
        "city_code = EXCLUDED.city_code, supervising_category = EXCLUDED.supervising_category, "
        "youth_festival = EXCLUDED.youth_festival, search = EXCLUDED.search, updated_at = now()",
        {"id": activity["id"], "revision": activity["revision"], "sequence": activity["approvals"] - 1,
         "campaign_id": activity["campaign_id"], "name": activity["name"], "type": activity["type"],
         "mode": activity["mode"], "start_at": activity["start_at"], "end_at": activity["end_at"],
         "region_code": region["code"], "province": path[0], "city": city,
         "category": activity["supervising_unit"]["category"], "youth": activity["youth_festival"],
         "search": listing_search_vector(activity)})
    _render_calendar(cur, activity["id"])


def listing_search_vector(content):
    """The listing's search terms: the name first, then the hosts and the venue (address and division)."""
    venue = content.get("venue") or {}
    places = [venue.get("address") or "", (venue.get("region") or {}).get("full_name") or ""]
    return search_text.document_vector(content["name"], [h["name"] for h in content.get("hosts") or []],
                                       " ".join(p for p in places if p))


def _render_calendar(cur, activity_id):
    """The listed activity's VEVENT as calendars will read it (its SEQUENCE and STATUS included)."""
    listed = public_one(cur, activity_id, include_off_shelf=True)
    stamp = datetime.now(timezone.utc).replace(microsecond=0)  # DTSTAMP and rendered_at: the same second
    cur.execute("INSERT INTO activity_calendar (activity_id, vevent, rendered_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (activity_id) DO UPDATE SET vevent = EXCLUDED.vevent, rendered_at = EXCLUDED.rendered_at",
                (activity_id, ical.event(listed, stamp).to_ical().decode(), stamp))


def set_shelf(cur, user_id, activity_id, shelf, reason):
    """The owner or a platform admin takes an approved activity off the shelf (with a reason) or puts it
    back on; only an activity the public has seen has a shelf."""
    activity = get(cur, activity_id, lock=True)
    require_owner(cur, activity, user_id, admins_too=True)
    if activity["public_revision"] is None:
        raise Conflict("activity_never_approved", {"shelf": "activity_not_approved"})
    if activity["shelf"] == shelf:
        raise Conflict("activity_shelf_already", {"shelf": f"already_{shelf}"})
    cur.execute("UPDATE activities SET shelf = %s, shelf_reason = %s, shelf_changed_by = %s, updated_at = now() "
                "WHERE id = %s", (shelf, reason.strip() if shelf == "off" else "", user_id, activity["id"]))
    cur.execute("UPDATE activity_listing SET shelf = %s, updated_at = now() WHERE activity_id = %s",
                (shelf, activity["id"]))
    _render_calendar(cur, activity["id"])
    return get(cur, activity["id"])


def versions(cur, user_id, activity_id):
    activity = get(cur, activity_id)
    if not can_manage(cur, activity, user_id):
        raise NotFound("activity_not_found", {"activity_id": "activity_unknown"})
    cur.execute("SELECT revision, changes, submitted_by, submitted_at, data FROM activity_versions "
                "WHERE activity_id = %s ORDER BY revision DESC", (activity["id"],))
    return [dict(zip(("revision", "changes", "submitted_by", "submitted_at", "data"), row)) for row in cur.fetchall()]


def owned(cur, org_ids, review_status, limit, offset):
    filters, args = ["a.org_id = ANY(%s::uuid[])"], [[str(o) for o in org_ids]]
    if review_status:
        filters.append("a.review_status = %s")
        args.append(review_status)
    cur.execute(f"SELECT {', '.join('a.' + c for c in _ACTIVITY)}, v.data, v.changes, "
                f"EXISTS (SELECT 1 FROM nominations n WHERE n.activity_id = a.id), f.status, c.followup_rules, "
                f"p.data->>'end_at', count(*) OVER () "
                f"FROM activities a JOIN activity_versions v ON v.activity_id = a.id AND v.revision = a.revision "
                f"JOIN campaigns c ON c.id = a.campaign_id LEFT JOIN followups f ON f.activity_id = a.id "
                f"LEFT JOIN activity_versions p ON p.activity_id = a.id AND p.revision = a.public_revision "
                f"WHERE {' AND '.join(filters)} ORDER BY a.updated_at DESC, a.id DESC LIMIT %s OFFSET %s",
                args + [limit + 1, offset])
    rows = cur.fetchall()
    total = rows[0][-1] if rows else _count_owned(cur, filters, args)
    found = []
    for row in rows:
        activity = _from_row(row[:-4])
        status, followup_rules, approved_end = row[-4:-1]
        activity["followup_status"] = status or "none"
        # the summary's last day, once there is an approved version whose end it follows
        activity["followup_deadline"] = (rules.summary_deadline(_as_time(approved_end),
                                                                {**rules.DEFAULT_FOLLOWUP_RULES, **followup_rules})
                                         if approved_end else None)
        found.append(activity)
    return found[:limit], len(found) > limit, total


def _count_owned(cur, filters, args):
    cur.execute(f"SELECT count(*) FROM activities a WHERE {' AND '.join(filters)}", args)
    return cur.fetchone()[0]


def time_labels(activity, now):
    status = rules.time_status(_as_time(activity["start_at"]), _as_time(activity["end_at"]), now)
    return status, label("activity_time_status", status)


def _as_time(value):
    return value if not isinstance(value, str) else datetime.fromisoformat(value)


def labelled(activity, now, public=False):
    """An activity for a response: labels in Chinese (frontends may show their own), the time status."""
    out = dict(activity, start_at=_as_time(activity["start_at"]), end_at=_as_time(activity["end_at"]))
    out["mode_label"] = label("activity_mode", out["mode"])
    out["type_label"] = label("activity_type", out["type"])
    out["time_status"], out["time_status_label"] = time_labels(out, now)
    out["supervising_unit"] = dict(out["supervising_unit"],
                                   category_label=label("org_category", out["supervising_unit"]["category"]))
    out["level"] = "official" if out["supervising_unit"]["category"] in OFFICIAL_CATEGORIES else "local"
    out["level_label"] = label("activity_level", out["level"])
    if not public:
        out["review_status_label"] = label("activity_review_status", out["review_status"])
        out["shelf_label"] = label("activity_shelf", out["shelf"])
    else:
        for field in ("review_status", "review_comment", "rejected_stage", "shelf_reason", "created_by",
                      "shelf_changed_by", "changes"):
            out.pop(field, None)
    return out


# --- the public side --------------------------------------------------------------------------------
_LISTED = ("activity_id", "revision", "sequence", "shelf", "campaign_id", "updated_at")
# the page's ids first, from an index alone (every filter column is in the listing indexes), then the rows
# and the approved versions' content for those ids only
_PAGE_SQL = ("SELECT {columns}, v.data FROM (SELECT l.activity_id, l.start_at FROM activity_listing l WHERE {where} "
             "ORDER BY l.start_at, l.activity_id LIMIT %s OFFSET %s) page "
             "JOIN activity_listing x ON x.activity_id = page.activity_id "
             "JOIN activity_versions v ON v.activity_id = x.activity_id AND v.revision = x.revision "
             "ORDER BY page.start_at, page.activity_id")
_COLUMNS_SQL = ", ".join(f"x.{c}" for c in _LISTED)


def _listed(row):
    item = dict(zip(_LISTED, row))
    public = dict(row[len(_LISTED)])
    public.update(id=item["activity_id"], revision=item["revision"], public_revision=item["revision"],
                  sequence=item["sequence"], shelf=item["shelf"], campaign_id=item["campaign_id"],
                  updated_at=item["updated_at"])
    return public


def _filters(query, now, include_off_shelf=False):
    filters, args = ([] if include_off_shelf else ["shelf = 'on'"]), []
    if query.get("region"):
        division = regions.lookup(query["region"])
        if division is None:
            raise InvalidInput("validation_failed", {"region": ("region_unknown", {"as_of": regions.data_as_of()})})
        column = {1: "province_code", 2: "city_code"}.get(division.level, "region_code")
        filters.append(f"{column} = %s")
        args.append(division.code)
    for field, column in (("type", "type"), ("mode", "mode"), ("campaign", "campaign_id"),
                          ("supervising_category", "supervising_category"), ("youth_festival", "youth_festival")):
        if query.get(field) is not None:
            filters.append(f"{column} = %s")
            args.append(str(query[field]) if field == "campaign" else query[field])
    if query.get("level"):
        filters.append("supervising_category = ANY(%s)")
        args.append(list(OFFICIAL_CATEGORIES if query["level"] == "official" else LOCAL_CATEGORIES))
    if query.get("q"):
        terms = search_text.query(query["q"])
        filters.append("search @@ %s::tsquery" if terms else "false")
        if terms:
            args.append(terms)
    status = query.get("time_status")
    if status == "not_started":
        filters.append("start_at > %s")
        args.append(now)
    elif status == "ongoing":
        filters += ["start_at <= %s", "end_at > %s"]
        args += [now, now]
    elif status == "ended":
        filters.append("end_at <= %s")
        args.append(now)
    return " AND ".join(filters) or "true", args


# the default order: what has not ended yet (upcoming and ongoing) first, soonest start first; then what has
# ended, latest first. Each part is read in its index's order and cut at the page's end before they are joined
_UPCOMING_FIRST_SQL = (
    "SELECT {columns}, v.data FROM ("
    " (SELECT l.activity_id, 0 AS part, extract(epoch FROM l.start_at) AS rank FROM activity_listing l "
    "  WHERE {where} AND l.end_at > %s ORDER BY l.start_at, l.activity_id LIMIT %s)"
    " UNION ALL"
    " (SELECT l.activity_id, 1, -extract(epoch FROM l.start_at) FROM activity_listing l "
    "  WHERE {where} AND l.end_at <= %s ORDER BY l.start_at DESC, l.activity_id DESC LIMIT %s)"
    " ORDER BY part, rank, activity_id LIMIT %s OFFSET %s) page "
    "JOIN activity_listing x ON x.activity_id = page.activity_id "
    "JOIN activity_versions v ON v.activity_id = x.activity_id AND v.revision = x.revision "
    "ORDER BY page.part, page.rank, page.activity_id")


def listing(cur, query, now):
    """Approved, on-shelf activities: upcoming and ongoing first (soonest first), then ended ones (latest
    first); `sort=start` keeps the plain soonest-start order. (page, has_more, total, total_exact)."""
    where, args = _filters(query, now)
    limit, offset = query["page_size"], (query["page"] - 1) * query["page_size"]
    if query.get("sort") == "start":
        cur.execute(_PAGE_SQL.format(columns=_COLUMNS_SQL, where=where), args + [limit + 1, offset])
    else:
        end = offset + limit + 1
        cur.execute(_UPCOMING_FIRST_SQL.format(columns=_COLUMNS_SQL, where=where),
                    args + [now, end] + args + [now, end, limit + 1, offset])
    rows = [_listed(row) for row in cur.fetchall()]
    total, exact = _total(cur, where, args)
    return rows[:limit], len(rows) > limit, total, exact


def _total(cur, where, args):
    """Counted exactly up to EXACT_TOTAL_UP_TO matches; beyond, the planner's estimate (counting 100,000
    index entries on every page would cost more than the page itself)."""
    cur.execute(f"SELECT count(*) FROM (SELECT 1 FROM activity_listing l WHERE {where} LIMIT %s) counted",
                args + [EXACT_TOTAL_UP_TO + 1])
    counted = cur.fetchone()[0]
    if counted <= EXACT_TOTAL_UP_TO:
        return counted, True
    cur.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM activity_listing l WHERE {where}", args)
    estimate = int(cur.fetchone()[0][0]["Plan"]["Plan Rows"])
    return max(estimate, counted), False


def calendar_events(cur, query, now, limit=CALENDAR_LIMIT):
    """The (activity id, VEVENT) pairs of a filtered listing's calendar export: taken-off activities too, as
    cancelled."""
    where, args = _filters(query, now, include_off_shelf=True)
    cur.execute(f"SELECT l.activity_id, c.vevent FROM activity_listing l JOIN activity_calendar c USING (activity_id) "
                f"WHERE {where} ORDER BY l.start_at, l.activity_id LIMIT %s", args + [limit])
    return [(str(row[0]), row[1]) for row in cur.fetchall()]


def calendar_changed_at(cur, activity_id=None):
    """When the calendar of one activity, or any listing feed, last changed: the newest rendering (a feed
    filtered by time_status also changes as the clock passes starts and ends: the caller leaves it out)."""
    if activity_id is not None:
        cur.execute("SELECT rendered_at FROM activity_calendar WHERE activity_id = %s", (str(activity_id),))
    else:
        cur.execute("SELECT max(rendered_at) FROM activity_calendar")
    row = cur.fetchone()
    return row[0] if row else None


def calendar_event(cur, activity_id):
    public_one(cur, activity_id, include_off_shelf=True)  # NotFound unless the public has seen it
    cur.execute("SELECT vevent FROM activity_calendar WHERE activity_id = %s", (str(activity_id),))
    return [(str(activity_id), cur.fetchone()[0])]


def public_one(cur, activity_id, include_off_shelf=False):
    try:
        activity_id = uuid.UUID(str(activity_id))
    except ValueError:
        raise NotFound("activity_not_found", {"activity_id": "activity_unknown"}) from None
    cur.execute(_PAGE_SQL.format(columns=_COLUMNS_SQL, where="l.activity_id = %s"
                                 + ("" if include_off_shelf else " AND l.shelf = 'on'")), (activity_id, 1, 0))
    row = cur.fetchone()
    if row is None:
        raise NotFound("activity_not_found", {"activity_id": "activity_unknown"})
    return _listed(row)


def approved_version(cur, activity):
    """The activity as last approved (what the public sees, what counts and what is nominated), or None when
    it was never approved: an edit under review leaves it in force until the edit is decided."""
    if activity["public_revision"] is None:
        return None
    if activity["public_revision"] == activity["revision"]:
        return activity
    cur.execute("SELECT data FROM activity_versions WHERE activity_id = %s AND revision = %s",
                (activity["id"], activity["public_revision"]))
    return dict(activity, **cur.fetchone()[0], revision=activity["public_revision"], review_status="approved",
                current_revision=activity["revision"], current_review_status=activity["review_status"])


def check_followup_allowed(activity, now):
    """activity: its approved version (approved_version), or None."""
    if activity is None or activity["review_status"] != "approved":
        raise RuleBroken("followup_needs_approval", {"activity_id": "activity_not_approved"})
    if now < _as_time(activity["end_at"]):
        raise RuleBroken("followup_needs_end", {"activity_id": "activity_not_ended"},
                         details={"end_at": activity["end_at"]})


