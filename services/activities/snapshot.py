"""What a reviewer sees of an activity version (plain code): its fields, the poster as an image to
preview, the details part by part, the supervising unit, the route through review, and what changed
since the version submitted before it. Keys are shown with the catalogue labels "snapshot.<key>"."""
from datetime import datetime

from kepu_common.domain import regions
from kepu_common.interfaces.messages import label
from services.activities import routing
from services.activities.rules import SHANGHAI


def _parties(items):
    return [item["name"] + ("" if item.get("org_id") else "（未关联）") for item in items]


def _when(value):
    """Reviewers read the organizers' wall-clock time."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _action(action, kind):
    if not action["included"]:
        return "否"
    return [label(kind, category) for category in action["categories"]]


def review_snapshot(activity, campaign_name, poster_purpose):
    unit = activity["supervising_unit"]
    route = [label("activity_stage", stage) for stage in routing.chain(unit["category"])]
    poster = activity["poster"]
    return {
        "name": activity["name"],
        "revision": activity["revision"],
        "changes": [label("snapshot", field) for field in activity["changes"]],
        "campaign": campaign_name,
        "org_id": str(activity["org_id"]),
        "activity_mode": label("activity_mode", activity["mode"]),
        "activity_type": label("activity_type", activity["type"]),
        "start_at": _when(activity["start_at"]),
        "end_at": _when(activity["end_at"]),
        "region": activity["region"]["full_name"],
        "venue": (f"{activity['venue']['region']['full_name']}{activity['venue']['address']}"
                  if activity.get("venue") else "线上活动"),
        "supervising_unit": f"{unit['name']}（{label('org_category', unit['category'])}，"
                            f"{regions.lookup(unit['province']).name}）",
        "route": " → ".join(route),
        "joint_action": _action(activity["joint_action"], "activity_joint_action"),
        "special_action": _action(activity["special_action"], "activity_special_action"),
        "youth_festival": "是" if activity["youth_festival"] else "否",
        "partner_agencies": _parties(activity["partner_agencies"]),
        "partner_societies": _parties(activity["partner_societies"]),
        "hosts": _parties(activity["hosts"]),
        "organizers": _parties(activity["organizers"]),
        "reservation": activity["reservation"]["url"] if activity["reservation"]["enabled"] else "否",
        "expected_participants": activity["expected_participants"],
        "details": {key: value for key, value in activity["details"].items() if value},
        "files": [{"label": "活动宣传图", "purpose": poster_purpose, "key": poster["key"],
                   "content_type": poster["content_type"], "kind": "image"}]
        + [{"label": f"详情图片（{label('snapshot', p['part'])}）" + (f"：{p['caption']}" if p["caption"] else ""),
            "purpose": poster_purpose, "key": p["key"], "content_type": p["content_type"], "kind": "image"}
           for p in activity.get("pictures") or []],
    }
