"""Follow-up materials (活动补充信息) and nominations (推优) over a cursor.

A draft is saved whatever it lacks and answers with the checklist; a submission must pass every rule
of the campaign's follow-up rules. A nomination takes one unit of its channel's quota with a
conditional update (`used < quota`, and a CHECK behind it), so concurrent nominations never exceed it.
"""
from datetime import datetime

import psycopg2.extras

from kepu_common.errors import Conflict, Forbidden, RuleBroken
from kepu_common.messages import label
from services.activities import catalogue, directory, rules

_FOLLOWUP = ("activity_id", "status", "data", "submitted_at", "updated_at")


def get(cur, activity_id):
    cur.execute(f"SELECT {', '.join(_FOLLOWUP)} FROM followups WHERE activity_id = %s", (str(activity_id),))
    row = cur.fetchone()
    return dict(zip(_FOLLOWUP, row)) if row else None


def _end(activity):
    return datetime.fromisoformat(activity["end_at"]) if isinstance(activity["end_at"], str) else activity["end_at"]


def checklist(data, activity, campaign, now):
    return rules.followup_checklist(data, activity["mode"], _end(activity), campaign["followup_rules"],
                                    rules.shanghai_date(now))


def described(followup, activity, campaign, now, locale="zh_CN"):
    """A follow-up for a response, with its checklist in the reader's language."""
    from kepu_common.messages import text

    data = followup["data"]
    items = checklist(data, activity, campaign, now) if followup["status"] == "draft" else followup["data"]["checklist"]
    return {"activity_id": activity["id"], "status": followup["status"], "media_links": data.get("media_links", []),
            "photos": data.get("photos", []), "videos": data.get("videos", []),
            "participants": data.get("participants"), "summary": data.get("summary", {}),
            "checklist": [dict(item, message=text(item["code"], locale, **item["params"])) for item in items],
            "complete": all(item["ok"] for item in items),
            "deadline": rules.summary_deadline(_end(activity), campaign["followup_rules"]),
            "submitted_at": followup["submitted_at"], "updated_at": followup["updated_at"]}


def save(cur, user_id, activity_id, data, now):
    """Save a draft, or submit: (followup, activity, campaign, submitted_now)."""
    activity = catalogue.get(cur, activity_id, lock=True)
    catalogue.require_owner(cur, activity, user_id)
    catalogue.check_followup_allowed(activity, now)
    current = get(cur, activity["id"])
    if current and current["status"] == "submitted":
        raise Conflict("followup_already_submitted", {"activity_id": "followup_submitted"})
    campaign = catalogue.get_campaign(cur, activity["campaign_id"])
    stored = {"media_links": [link.strip() for link in data["media_links"]],
              "photos": [_file(p, caption=p.get("caption", ""), evidence=p.get("evidence", False))
                         for p in data["photos"]],
              "videos": [_file(v) for v in data["videos"]],
              "participants": data["participants"], "summary": data["summary"]}
    items = checklist(stored, activity, campaign, now)
    status = "draft"
    if data["submit"]:
        broken = rules.broken(items)
        if broken:
            raise RuleBroken("followup_incomplete", broken, details={"checklist": [
                {k: item[k] for k in ("rule", "field", "ok", "code")} for item in items]})
        status, stored["checklist"] = "submitted", items
    cur.execute("INSERT INTO followups (activity_id, status, data, submitted_at, updated_by) "
                "VALUES (%(id)s, %(status)s, %(data)s, %(at)s, %(user)s) ON CONFLICT (activity_id) DO UPDATE SET "
                "status = EXCLUDED.status, data = EXCLUDED.data, submitted_at = EXCLUDED.submitted_at, "
                "updated_by = EXCLUDED.updated_by, updated_at = now()",
                {"id": activity["id"], "status": status, "data": psycopg2.extras.Json(stored, dumps=_dumps),
                 "at": now if status == "submitted" else None, "user": user_id})
    return get(cur, activity["id"]), activity, campaign, status == "submitted"


def _dumps(value):
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def _file(item, **extra):
    return {**{k: item.get(k) for k in ("upload_id", "bucket", "key", "content_type", "size", "duration_seconds",
                                         "width", "height")}, **extra}


def view(cur, user_id, activity_id, now):
    activity = catalogue.get(cur, activity_id)
    if not catalogue.can_manage(cur, activity, user_id):
        raise Forbidden("activity_not_yours", {"activity_id": "not_your_activity"})
    followup = get(cur, activity["id"]) or {"status": "draft", "data": {}, "submitted_at": None,
                                            "updated_at": activity["updated_at"]}
    return followup, activity, catalogue.get_campaign(cur, activity["campaign_id"])


def may_nominate(cur, user_id, activity):
    """Platform admins, and the admins of the activity's supervising unit (its channel)."""
    if directory.is_platform_admin(cur, user_id):
        return True
    return str(activity["supervising_unit"]["org_id"]) in {str(o) for o in directory.orgs_of(cur, user_id)}


def nominate(cur, user_id, activity_id):
    activity = catalogue.get(cur, activity_id, lock=True)
    if not may_nominate(cur, user_id, activity):
        raise Forbidden("nomination_not_allowed", details={"required_roles": ["platform_admin", "org_admin"]})
    if activity["review_status"] != "approved":
        raise RuleBroken("nomination_needs_approval", {"activity_id": "activity_not_approved"})
    followup = get(cur, activity["id"])
    if followup is None or followup["status"] != "submitted":
        raise RuleBroken("nomination_needs_followup", {"activity_id": "followup_not_submitted"})
    if activity["nominated"]:
        raise Conflict("activity_already_nominated", {"activity_id": "already_nominated"})
    channel = activity["supervising_unit"]["category"]
    cur.execute("UPDATE campaign_quotas SET used = used + 1 WHERE campaign_id = %s AND channel = %s "
                "AND used < quota RETURNING quota, used", (activity["campaign_id"], channel))
    taken = cur.fetchone()
    if taken is None:
        cur.execute("SELECT quota FROM campaign_quotas WHERE campaign_id = %s AND channel = %s",
                    (activity["campaign_id"], channel))
        row = cur.fetchone()
        quota = row[0] if row else 0
        raise RuleBroken("nomination_quota_reached", {"activity_id": ("nomination_quota_full", {"quota": quota})},
                         details={"channel": channel, "quota": quota},
                         channel=label("org_category", channel), quota=quota)
    cur.execute("INSERT INTO nominations (activity_id, campaign_id, channel, nominated_by) VALUES (%s, %s, %s, %s) "
                "RETURNING nominated_at", (activity["id"], activity["campaign_id"], channel, user_id))
    nominated_at = cur.fetchone()[0]
    return activity, {"activity_id": activity["id"], "campaign_id": activity["campaign_id"], "channel": channel,
                      "nominated_by": str(user_id), "nominated_at": nominated_at, "quota": taken[0], "used": taken[1]}
