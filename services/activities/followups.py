"""Follow-up materials (活动补充信息) and nominations (推优) over a cursor.

A draft is saved whatever it lacks and answers with the checklist; a submission must pass every rule
of the campaign's follow-up rules. A nomination takes one unit of its channel's quota with a
conditional update (`used < quota`, and a CHECK behind it), so concurrent nominations never exceed it.
"""
from datetime import datetime

import psycopg2.extras

from kepu_common.interfaces.errors import Conflict, Forbidden, RuleBroken
from kepu_common.interfaces.messages import label
from services.activities import catalogue, directory, routing, rules

_FOLLOWUP = ("activity_id", "status", "data", "submitted_at", "updated_at")


def get(cur, activity_id):
    cur.execute(f"SELECT {', '.join(_FOLLOWUP)} FROM followups WHERE activity_id = %s", (str(activity_id),))
    row = cur.fetchone()
    return dict(zip(_FOLLOWUP, row)) if row else None


def _end(activity):
    return datetime.fromisoformat(activity["end_at"]) if isinstance(activity["end_at"], str) else activity["end_at"]


def checklist(data, activity, campaign, now):
    return rules.followup_checklist(data, activity["mode"], _end(activity), campaign["followup_rules"],
                                    rules.shanghai_date(now), activity.get("extended_deadline"))


def extended_deadline(cur, activity_id):
    """The summary deadline granted to this activity (the latest extension), or None."""
    cur.execute("SELECT deadline FROM followup_extensions WHERE activity_id = %s ORDER BY id DESC LIMIT 1",
                (str(activity_id),))
    row = cur.fetchone()
    return row[0] if row else None


def deadline_of(activity, campaign):
    return activity.get("extended_deadline") or rules.summary_deadline(_end(activity), campaign["followup_rules"])


def extend(cur, user_id, activity_id, deadline, reason, now):
    """Move one activity's summary deadline later (platform admins, the supervising unit's admins), with a
    reason; kept in followup_extensions."""
    current = catalogue.get(cur, activity_id, lock=True)
    activity = catalogue.approved_version(cur, current)
    if activity is None:
        raise RuleBroken("followup_needs_approval", {"activity_id": "activity_not_approved"})
    if not may_nominate(cur, user_id, activity):
        raise Forbidden("followup_extension_not_allowed", {"activity_id": "not_your_supervised_activity"},
                        details={"required_roles": ["platform_admin", "org_admin"]})
    campaign = catalogue.get_campaign(cur, activity["campaign_id"])
    activity["extended_deadline"] = extended_deadline(cur, activity["id"])
    before = deadline_of(activity, campaign)
    if deadline <= before:
        raise RuleBroken("followup_extension_not_later", {"deadline": ("extension_not_later",
                                                                       {"current": before.isoformat()})})
    cur.execute("INSERT INTO followup_extensions (activity_id, deadline, reason, granted_by) VALUES (%s, %s, %s, %s)",
                (activity["id"], deadline, reason, user_id))
    return activity, {"activity_id": activity["id"], "deadline": deadline, "previous_deadline": before,
                      "reason": reason, "granted_by": str(user_id), "granted_at": now}


def described(followup, activity, campaign, now, locale="zh_CN"):
    """A follow-up for a response, with its checklist in the reader's language."""
    from kepu_common.interfaces.messages import text

    data = followup["data"]
    items = checklist(data, activity, campaign, now) if followup["status"] == "draft" else followup["data"]["checklist"]
    return {"activity_id": activity["id"], "status": followup["status"], "media_links": data.get("media_links", []),
            "photos": data.get("photos", []), "videos": data.get("videos", []),
            "participants": data.get("participants"), "summary": data.get("summary", {}),
            "checklist": [dict(item, message=text(item["code"], locale, **item["params"])) for item in items],
            "complete": all(item["ok"] for item in items),
            "deadline": deadline_of(activity, campaign),
            "submitted_at": followup["submitted_at"], "updated_at": followup["updated_at"]}


def save(cur, user_id, activity_id, data, now):
    """Save a draft, or submit: (followup, activity, campaign, submitted_now)."""
    activity = catalogue.get(cur, activity_id, lock=True)
    catalogue.require_owner(cur, activity, user_id)
    activity = catalogue.approved_version(cur, activity)
    catalogue.check_followup_allowed(activity, now)
    activity["extended_deadline"] = extended_deadline(cur, activity["id"])
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
                                         "width", "height", "thumbnail_key")}, **extra}


def viewers_reason(cur, user_id, activity):
    """Why user_id may look at an activity's follow-up evidence, or None: the owner's admins, the
    supervising unit's admins (who nominate), platform admins, and the reviewers of its route (a
    provincial reviewer of the unit's province, a national reviewer)."""
    if user_id is None:
        return None
    mine = {str(o) for o in directory.orgs_of(cur, user_id)}
    if str(activity["org_id"]) in mine:
        return "owner"
    if str(activity["supervising_unit"]["org_id"]) in mine:
        return "supervising_unit"
    if directory.is_platform_admin(cur, user_id):
        return "platform_admin"
    unit = activity["supervising_unit"]
    scopes = [stage if stage == "national" else f"{stage}:{unit['province']}"
              for stage in routing.chain(unit["category"])]
    if directory.is_reviewer(cur, user_id, scopes):
        return "reviewer"
    return None


def view(cur, user_id, activity_id, now):
    activity = catalogue.get(cur, activity_id)
    if viewers_reason(cur, user_id, activity) is None:
        raise Forbidden("followup_view_not_allowed", {"activity_id": "followup_not_yours_to_view"},
                        details={"required_roles": ["org_admin", "reviewer", "platform_admin"]})
    activity = dict(catalogue.approved_version(cur, activity) or activity,
                    extended_deadline=extended_deadline(cur, activity["id"]))
    followup = get(cur, activity["id"]) or {"status": "draft", "data": {}, "submitted_at": None,
                                            "updated_at": activity["updated_at"]}
    return followup, activity, catalogue.get_campaign(cur, activity["campaign_id"])


def may_nominate(cur, user_id, activity):
    """Platform admins, and the admins of the activity's supervising unit (its channel)."""
    if directory.is_platform_admin(cur, user_id):
        return True
    return str(activity["supervising_unit"]["org_id"]) in {str(o) for o in directory.orgs_of(cur, user_id)}


def nominate(cur, user_id, activity_id, now):
    """Nominate the activity as last approved (an edit under review does not hide it), within its channel's
    quota and before the campaign's nomination deadline; logged."""
    current = catalogue.get(cur, activity_id, lock=True)
    activity = catalogue.approved_version(cur, current) or current
    if not may_nominate(cur, user_id, activity):
        raise Forbidden("nomination_not_allowed", {"activity_id": "not_your_supervised_activity"},
                        details={"required_roles": ["platform_admin", "org_admin"]})
    if activity["review_status"] != "approved":
        raise RuleBroken("nomination_needs_approval", {"activity_id": "activity_not_approved"})
    followup = get(cur, activity["id"])
    if followup is None or followup["status"] != "submitted":
        raise RuleBroken("nomination_needs_followup", {"activity_id": "followup_not_submitted"})
    if activity["nominated"]:
        raise Conflict("activity_already_nominated", {"activity_id": "already_nominated"})
    campaign = catalogue.get_campaign(cur, activity["campaign_id"])
    rules.check_nomination_deadline(campaign, now)
    channel = activity["supervising_unit"]["category"]
    unit_id = activity["supervising_unit"]["org_id"]
    default = campaign["quotas"].get(channel, 0)
    # one counter per unit: a conditional update, so concurrent nominations never pass the unit's quota
    cur.execute("INSERT INTO unit_quotas (campaign_id, org_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (activity["campaign_id"], unit_id))
    cur.execute("UPDATE unit_quotas SET used = used + 1 WHERE campaign_id = %s AND org_id = %s "
                "AND used < coalesce(quota, %s) RETURNING coalesce(quota, %s), used",
                (activity["campaign_id"], unit_id, default, default))
    taken = cur.fetchone()
    if taken is None:
        cur.execute("SELECT coalesce(quota, %s) FROM unit_quotas WHERE campaign_id = %s AND org_id = %s",
                    (default, activity["campaign_id"], unit_id))
        quota = cur.fetchone()[0]
        raise RuleBroken("nomination_quota_reached", {"activity_id": ("nomination_quota_full", {"quota": quota})},
                         details={"channel": channel, "quota": quota, "supervising_org_id": str(unit_id)},
                         channel=label("org_category", channel), quota=quota)
    cur.execute("INSERT INTO nominations (activity_id, campaign_id, channel, nominated_by, supervising_org_id) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING nominated_at",
                (activity["id"], activity["campaign_id"], channel, user_id, unit_id))
    nominated_at = cur.fetchone()[0]
    _log(cur, activity["id"], activity["campaign_id"], unit_id, "nominated", user_id)
    return activity, {"activity_id": activity["id"], "campaign_id": activity["campaign_id"], "channel": channel,
                      "supervising_org_id": unit_id, "nominated_by": str(user_id), "nominated_at": nominated_at,
                      "quota": taken[0], "used": taken[1]}


def _log(cur, activity_id, campaign_id, unit_id, action, actor_id, reason=""):
    cur.execute("INSERT INTO nomination_log (activity_id, campaign_id, supervising_org_id, action, actor_id, reason) "
                "VALUES (%s, %s, %s, %s, %s, %s)", (activity_id, campaign_id, unit_id, action, actor_id, reason))


def withdraw(cur, user_id, activity_id, now, reason=""):
    """Withdraw a nomination (the supervising unit's admins or platform admins) up to the campaign's
    nomination deadline: the channel's quota is released; logged with the reason."""
    current = catalogue.get(cur, activity_id, lock=True)
    cur.execute("SELECT campaign_id, channel, supervising_org_id FROM nominations WHERE activity_id = %s FOR UPDATE",
                (current["id"],))
    row = cur.fetchone()
    if row is None:
        raise Conflict("activity_not_nominated", {"activity_id": "not_nominated"})
    campaign_id, channel, unit_id = row
    if not (directory.is_platform_admin(cur, user_id)
            or str(unit_id) in {str(o) for o in directory.orgs_of(cur, user_id)}):
        raise Forbidden("nomination_withdraw_not_allowed", {"activity_id": "not_your_nomination"},
                        details={"required_roles": ["platform_admin", "org_admin"]})
    rules.check_nomination_deadline(catalogue.get_campaign(cur, campaign_id), now)
    _release(cur, current["id"], campaign_id, unit_id)
    _log(cur, current["id"], campaign_id, unit_id, "withdrawn", user_id, reason)
    return catalogue.approved_version(cur, catalogue.get(cur, current["id"])) or current


def _release(cur, activity_id, campaign_id, unit_id):
    cur.execute("DELETE FROM nominations WHERE activity_id = %s", (activity_id,))
    cur.execute("UPDATE unit_quotas SET used = used - 1 WHERE campaign_id = %s AND org_id = %s",
                (campaign_id, unit_id))


_NOMINATED = ("activity_id", "campaign_id", "channel", "supervising_org_id", "nominated_by", "nominated_at")


def nominated(cur, user_id, campaign_id, unit_id=None):
    """The nominated list of a campaign, oldest nomination first: all of it for platform admins, a unit's
    own for its admins (unit_id picks one when they administer several). Each with the activity as
    approved, who nominated and when, and whether its follow-up is complete."""
    campaign = catalogue.get_campaign(cur, campaign_id)
    mine = {str(o) for o in directory.orgs_of(cur, user_id)}
    if directory.is_platform_admin(cur, user_id):
        units = [str(unit_id)] if unit_id else None
    elif unit_id is not None:
        if str(unit_id) not in mine:
            raise Forbidden("nominations_not_allowed", {"unit": "not_your_unit"},
                            details={"required_roles": ["platform_admin", "org_admin"]})
        units = [str(unit_id)]
    elif mine:
        units = sorted(mine)
    else:
        raise Forbidden("nominations_not_allowed", {"unit": "not_your_unit"},
                        details={"required_roles": ["platform_admin", "org_admin"]})
    where, args = "n.campaign_id = %s", [str(campaign["id"])]
    if units is not None:
        where += " AND n.supervising_org_id = ANY(%s::uuid[])"
        args.append(units)
    cur.execute(f"SELECT {', '.join('n.' + c for c in _NOMINATED)}, v.data, f.status "
                f"FROM nominations n JOIN activities a ON a.id = n.activity_id "
                f"JOIN activity_versions v ON v.activity_id = a.id AND v.revision = coalesce(a.public_revision, a.revision) "
                f"LEFT JOIN followups f ON f.activity_id = a.id "
                f"WHERE {where} ORDER BY n.nominated_at, n.activity_id", args)
    items = []
    for row in cur.fetchall():
        item = dict(zip(_NOMINATED, row))
        data, status = row[len(_NOMINATED)], row[len(_NOMINATED) + 1]
        item.update(name=data["name"], region=data["region"], mode=data["mode"], start_at=data["start_at"],
                    end_at=data["end_at"],
                    supervising_unit=dict(data["supervising_unit"],
                                          category_label=label("org_category", data["supervising_unit"]["category"])),
                    channel_label=label("org_category", item["channel"]), followup_submitted=status == "submitted")
        items.append(item)
    return {"campaign_id": campaign["id"], "nomination_deadline": campaign["nomination_deadline"],
            "quotas": campaign["quotas"], "nominated": campaign["nominated"], "items": items}
