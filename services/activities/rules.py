"""The rules of seed 004 that need more than one field or the clock (plain code, no I/O).

Field shapes (lengths, enumerations, URL schemes) are the schemas' (services/activities/schemas.py);
here: the campaign window, the directory links, the follow-up checklist (the schedule, which the form
checks too, is services/activities/contracts.py). Every broken rule gives its own field code; dates ("today",
"within 10 days after the end") are Asia/Shanghai dates.
"""
import re
from datetime import date, timedelta

from kepu_common.domain import regions, supervising
from kepu_common.interfaces.errors import RuleBroken
# the service reads all of them as rules.<name>; constants and contracts hold them because the schemas need them too
from services.activities.constants import DEFAULT_FOLLOWUP_RULES, SHANGHAI, SUMMARY_PARTS  # noqa: F401
from services.activities.contracts import check_schedule, now_utc  # noqa: F401

MUNICIPALITIES = supervising.MUNICIPALITIES  # 北京, 天津, 上海, 重庆
PARTNER_FIELDS = ("partner_agencies", "partner_societies", "hosts", "organizers")

# the guide's words for each part (活动基本情况、主要成果成效、特色亮点、形成可复用的科普资源情况、工作体会), named in the message
SUMMARY_PART_NAMES = {"basic_facts": ("活动基本情况", "basic facts"), "results": ("主要成果成效", "results"),
                      "highlights": ("特色亮点", "highlights"),
                      "reusable_resources": ("形成可复用的科普资源情况", "reusable resources"),
                      "lessons": ("工作体会", "lessons learned")}


def shanghai_date(moment):
    return moment.astimezone(SHANGHAI).date()


def time_status(start_at, end_at, now):
    """未开始 / 进行中 / 已结束, comparing instants (the same in every time zone)."""
    if now < start_at:
        return "not_started"
    if now < end_at:
        return "ongoing"
    return "ended"


def check_window(campaign, now):
    """Activities are submitted (and edited) only inside the campaign's publishing window (Shanghai dates)."""
    today = shanghai_date(now)
    if not campaign["window_start"] <= today <= campaign["window_end"]:
        start, end = campaign["window_start"].isoformat(), campaign["window_end"].isoformat()
        raise RuleBroken("activity_outside_campaign_window", {"campaign_id": "campaign_window_closed"},
                         details={"window_start": start, "window_end": end, "campaign": campaign["name"]},
                         start=start, end=end, campaign=campaign["name"])


def check_region(code, field="region_code"):
    if regions.lookup(code) is None:
        return {field: ("region_unknown", {"as_of": regions.data_as_of()})}
    return {}


def is_municipal_district(code):
    return supervising.is_municipal_district(regions.path(code))


def check_supervising(category, org):
    """The supervising unit (归口单位) is a verified organization of the directory chosen under its category
    (kepu_common.domain.supervising.chosen_under, the rule identity's directory search applies to its suggestions):
    a district of a municipality is chosen under 市科协 (seed 004, point (2)), never under 区县科协."""
    if org is None or org["status"] != "verified":
        return {"supervising_org_id": "org_not_in_directory"}
    under = supervising.chosen_under(org["category"], regions.path(org["region_code"]))
    if under == category:
        return {}
    if category == "county_cast" and under == "city_cast":
        return {"supervising_category": "municipal_district_is_city_cast"}
    return {"supervising_org_id": ("supervising_category_mismatch", {"category": category})}


# the categories whose review is provincial: their unit's province reviews the activity first
PROVINCIAL_ROUTE = ("provincial_cast", "city_cast", "county_cast")


def supervising_warnings(category, unit_region_code, activity_region_code):
    """A provincial-route unit of another province than the activity's region is accepted (a unit may
    mobilize beyond its province) but said: the activity is reviewed by the unit's province, not its own."""
    if category not in PROVINCIAL_ROUTE:
        return []
    unit_province, activity_province = province_of(unit_region_code), province_of(activity_region_code)
    if unit_province == activity_province:
        return []
    return [{"code": "supervising_unit_other_province", "field": "supervising_org_id",
             "params": {"unit_province": regions.lookup(unit_province).name,
                        "region_province": regions.lookup(activity_province).name}}]


# "与其他活动有一定区分度": names this alike in one campaign and region get a warning
SIMILAR_NAME_RATIO = 0.85
_NAME_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def _name_key(name):
    return _NAME_NOISE.sub("", name).casefold()


def similar_name(name, others):
    """The first of others too close to name (the same once spaces and punctuation are dropped, or a
    SequenceMatcher ratio of 0.85 or more), or None."""
    from difflib import SequenceMatcher

    key = _name_key(name)
    for other in others:
        other_key = _name_key(other)
        if other_key == key or SequenceMatcher(None, key, other_key).ratio() >= SIMILAR_NAME_RATIO:
            return other
    return None


def name_warnings(name, others):
    other = similar_name(name, others)
    if other is None:
        return []
    return [{"code": "activity_name_similar", "field": "name", "params": {"name": other}}]


def check_partners(data, directory):
    """Partners, hosts and organizers named by id must be verified organizations of the directory."""
    errors = {}
    for field in PARTNER_FIELDS:
        for index, item in enumerate(data.get(field) or []):
            if item.get("org_id") is not None:
                org = directory.get(str(item["org_id"]))
                if org is None or org["status"] != "verified":
                    errors[f"{field}.{index}.org_id"] = "org_not_in_directory"
    return errors


def province_of(code):
    return regions.path(code)[0]


# --- follow-up materials ---------------------------------------------------------------------------
def participants_minimum(mode, rules):
    """offline ≥ 50, online ≥ 100; an activity both online and offline reaches an online audience, so it
    meets the stricter, online minimum (docs/architecture.md, Activities)."""
    if mode == "offline":
        return rules["min_participants_offline"]
    return rules["min_participants_online"]


def summary_deadline(end_at, rules):
    return shanghai_date(end_at) + timedelta(days=rules["summary_days"])


def followup_checklist(followup, mode, end_at, rules, today, deadline=None):
    """Every follow-up rule by name: {"rule", "field", "ok", "code", "params"}; a draft may fail some,
    a submission must pass all. today is the Asia/Shanghai date the materials are handed in."""
    photos = followup.get("photos") or []
    videos = followup.get("videos") or []
    summary = followup.get("summary") or {}
    deadline = deadline or summary_deadline(end_at, rules)  # an extension granted for this activity
    minimum = participants_minimum(mode, rules)
    items = [
        ("media_reports", "media_links", len(followup.get("media_links") or []) >= rules["min_media_links"],
         "followup_media_links_too_few", {"min": rules["min_media_links"]}),
        ("photo_count", "photos", rules["min_photos"] <= len(photos) <= rules["max_photos"],
         "followup_photo_count", {"min": rules["min_photos"], "max": rules["max_photos"], "count": len(photos)}),
        ("video_count", "videos", len(videos) <= rules["max_videos"],
         "followup_too_many_videos", {"max": rules["max_videos"], "count": len(videos)}),
    ]
    for index, video in enumerate(videos):
        seconds = video.get("duration_seconds")
        items.append((f"video_duration.{index}", f"videos.{index}",
                      seconds is not None and seconds <= rules["max_video_seconds"], "followup_video_too_long",
                      {"max_minutes": rules["max_video_seconds"] // 60,
                       "seconds": round(seconds) if seconds is not None else None}))
    participants = followup.get("participants")
    items += [
        ("participants", "participants", participants is not None and participants >= minimum,
         "followup_participants_too_few", {"min": minimum, "mode": mode}),
        ("participants_evidence", "photos.evidence", any(p.get("evidence") for p in photos),
         "followup_participants_no_evidence", {}),
    ]
    for part in SUMMARY_PARTS:
        items.append((f"summary.{part}", f"summary.{part}", bool((summary.get(part) or "").strip()),
                      "followup_summary_part_missing",
                      {"part": SUMMARY_PART_NAMES[part][0], "part_en": SUMMARY_PART_NAMES[part][1]}))
    items.append(("summary_deadline", "summary", today <= deadline, "followup_summary_too_late",
                  {"deadline": deadline.isoformat()}))
    return [{"rule": rule, "field": field, "ok": bool(ok), "code": code, "params": params}
            for rule, field, ok, code, params in items]


def broken(checklist):
    """{field: (code, params)} of the rules a checklist fails: every rule has a field of its own, so none
    hides another (photo_count on photos, participants_evidence on photos.evidence)."""
    return {item["field"]: (item["code"], item["params"]) for item in checklist if not item["ok"]}


# --- nominations ------------------------------------------------------------------------------------
def check_nomination_deadline(campaign, now, field="activity_id"):
    """Nominations are made and withdrawn up to the campaign's nomination deadline (an Asia/Shanghai date,
    the last day included); a campaign without one has not closed its nominations."""
    deadline = campaign.get("nomination_deadline")
    if deadline is not None and shanghai_date(now) > deadline:
        raise RuleBroken("nomination_deadline_passed", {field: ("nomination_deadline_passed",
                                                                {"deadline": deadline.isoformat()})},
                         details={"deadline": deadline.isoformat()}, deadline=deadline.isoformat())


def check_editable(nominated, end_at, now):
    """A nominated activity stays what was nominated, and an activity that has taken place is not rewritten
    afterwards: both are refused (withdraw the nomination first; the follow-up tells what happened)."""
    if nominated:
        raise RuleBroken("activity_nominated_not_editable", {"activity_id": "activity_nominated"})
    if now >= end_at:
        raise RuleBroken("activity_ended_not_editable", {"end_at": "activity_ended"},
                         details={"end_at": end_at.isoformat()})


def parse_date(value):
    return value if isinstance(value, date) else date.fromisoformat(value)

