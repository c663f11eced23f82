"""全国科普日 in every state: a campaign whose window covers the past 30 days (so its recognition list has a
history), activities in every review status, every time status and both shelf states, follow-up materials
with real photos and a real short video, and nominations."""
import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta, timezone

from scripts.demo import clock, media
from scripts.demo.api import ApiFailure, eventually
from services.metrics.periods import SHANGHAI, shanghai_day

QUOTAS = {"ministry": 3, "provincial_cast": 3, "city_cast": 3, "county_cast": 3, "national_society": 3}
# name, publisher's category, supervising category, goal. Goals: a review status, or approved plus what
# happens after (ongoing, ended, followup = ended with materials, nominated, off = taken off the shelf)
ACTIVITIES = [
    ("走进气象台：全国科普日开放日", "other", "county_cast", "approved"),
    ("科学之夜：广东科技馆夜场", "provincial_cast", "provincial_cast", "ongoing"),
    ("青少年无人机科普赛", "school", "city_cast", "nominated"),
    ("气象防灾减灾科普周", "other", "ministry", "followup"),
    ("科学家进校园：大气与我们", "school", "national_society", "ended"),
    ("社区健康讲座：合理膳食", "community", "county_cast", "off"),
    ("街道应急演练开放日", "street", "county_cast", "pending_provincial"),
    ("企业开放日：智能制造体验", "enterprise", "provincial_cast", "provincial_rejected"),
    ("营养学会健康饮食周", "society", "national_society", "pending_national"),
    ("杭州西湖科普骑行", "city_cast", "city_cast", "national_rejected"),
]
PROVINCIAL = ("provincial_cast", "city_cast", "county_cast")
AFTER_APPROVAL = ("approved", "ongoing", "ended", "followup", "nominated", "off")
REASONS = {"provincial_rejected": "活动海报缺少全国科普日标识", "national_rejected": "活动内容与本届主题关联不足"}


def campaign(api, admin, days_back=30):
    """The campaign of this year (made once), known to metrics with the same window."""
    today = shanghai_day(datetime.now(timezone.utc))
    name = f"{today.year}年全国科普日（演示）"
    found = next((c for c in api.call("GET", "/campaigns?page_size=100", admin)["items"] if c["name"] == name), None)
    if found is None:
        found = api.call("POST", "/campaigns", admin, json={
            "name": name, "year": today.year, "theme": "弘扬科学精神 提升全民科学素质",
            "window_start": (today - timedelta(days=days_back)).isoformat(),
            "window_end": (today + timedelta(days=60)).isoformat(), "quotas": QUOTAS})
    api.call("PUT", f"/admin/metrics/campaigns/{found['id']}", admin, json={
        "name": name, "starts_on": found["window_start"], "ends_on": found["window_end"]})
    return found


def _start(name, days_ahead):
    """A start people would choose: 09:00 or 14:00 Beijing time, days_ahead days from today."""
    day = shanghai_day(datetime.now(timezone.utc)) + timedelta(days=days_ahead)
    return datetime.combine(day, time(9 if len(name) % 2 else 14), tzinfo=SHANGHAI)


def _poster(name, start, publisher, mark=True):
    """The poster seed 004 asks for: the 全国科普日 mark (left off where the demo's reviewer refuses it for
    that), the activity's name, its time and its host."""
    when = f"{start.year}年{start.month}月{start.day}日 {start:%H:%M}"
    lines = ([(f"{start.year}全国科普日", 96)] if mark else [("科学嘉年华", 96)]) + [
        (name, 52), (f"时间：{when}", 48), (f"地点：{publisher['name']}活动大厅", 40),
        (f"主办单位：{publisher['name']}", 40)]
    return media.poster(lines)


def _form(campaign_id, publisher, supervisor, name, poster_upload_id, start):
    key = "demo-" + hashlib.sha256(name.encode()).hexdigest()[:32]  # a retried publication is made once
    return {"campaign_id": campaign_id, "name": name, "client_key": key, "mode": "offline", "type": "open_day",
            "start_at": start.isoformat(), "end_at": (start + timedelta(hours=3)).isoformat(),
            "region_code": publisher["region"], "supervising_category": supervisor["category"],
            "supervising_org_id": supervisor["id"], "youth_festival": "青少年" in name,
            "hosts": [{"org_id": publisher["id"]}], "organizers": [{"name": publisher["name"]}],
            "expected_participants": 200, "poster_upload_id": poster_upload_id,
            "venue": {"address": f"{publisher['name']}活动大厅"},
            "details": {"content": f"{name}：现场讲解、动手实验与互动问答。", "audience": "中小学生及家长、社区居民",
                        "scientists": "气象、健康领域的科技工作者", "contact_person": "陈老师",
                        "contact_phone": "020-38881234"}}


def _publish(api, token, form):
    """POST /activities, or None while the activities service has not yet heard of the organizations (or
    was too slow to answer)."""
    try:
        return api.call("POST", "/activities", token, json=form)
    except ApiFailure as exc:
        if exc.status == 503:  # too slow to answer: sent again with the same client key, it is made once
            return None
        if exc.status == 403 or (exc.status == 400 and "org_not_in_directory" in str(exc)):
            return None
        raise


def _followup(api, org, title):
    photos = [{"upload_id": api.upload(org["token"], "followup_photo", f"现场{n}.jpg",
                                       media.picture(f"{title}现场{n}", (800, 600), "JPEG"))["id"],
               "evidence": n == 0} for n in range(3)]
    video = api.upload(org["token"], "followup_video", "现场.mp4", media.video(title))
    return {"media_links": ["https://www.kepu.gov.cn/news/demo"], "photos": photos, "video_upload_ids": [video["id"]],
            "participants": 180, "submit": True,
            "summary": {"basic_facts": "现场参与180人，线上观看逾千人次。", "results": "发放科普资料500份。",
                        "highlights": "科学家与青少年面对面交流。", "reusable_resources": "课程包与展板一套。",
                        "lessons": "提前预约、分批入场效果好。"}}


def activities(api, admin, orgs, database_url, count=len(ACTIVITIES), workers=4):
    """Every activity of ACTIVITIES[:count] brought to its goal. Returns the ids of the approved ones."""
    the_campaign = campaign(api, admin)
    by_category = {o["category"]: o for o in orgs}
    specs = [(name, by_category[pub], by_category[sup], goal) for name, pub, sup, goal in ACTIVITIES[:count]]
    mine = {}
    for org in {s[1]["id"]: s[1] for s in specs}.values():
        for a in api.call("GET", "/my/activities?page_size=100", org["token"])["items"]:
            mine[a["name"]] = a

    def submitted(spec):
        name, publisher, supervisor, goal = spec
        if name not in mine:
            start = _start(name, days_ahead=10 + len(name) % 20)
            poster = api.upload(publisher["token"], "activity_poster", "海报.jpg",
                                _poster(name, start, publisher, mark=goal != "provincial_rejected"))
            form = _form(the_campaign["id"], publisher, supervisor, name, poster["id"], start)
            mine[name] = eventually(lambda: _publish(api, publisher["token"], form),
                                    what="the activities service to learn the directory and the publisher")
        return mine[name]

    with ThreadPoolExecutor(workers) as pool:
        found = dict(zip([s[0] for s in specs], pool.map(submitted, specs)))
    status = {name: a["review_status"] for name, a in found.items()}
    api.decide(admin, "provincial", {found[n]["id"]: ("rejected: " + REASONS[g]) if g == "provincial_rejected"
                                     else "approved" for n, _, _, g in specs
                                     if status[n] == "pending_provincial" and g != "pending_provincial"})
    api.decide(admin, "national", {found[n]["id"]: ("rejected: " + REASONS[g]) if g == "national_rejected"
                                   else "approved" for n, _, sup, g in specs
                                   if g in AFTER_APPROVAL + ("national_rejected",)
                                   and (status[n] == "pending_national"
                                        or (status[n] == "pending_provincial" and sup["category"] in PROVINCIAL))})

    def finished(spec):
        name, publisher, _, goal = spec
        activity_id = found[name]["id"]
        wanted = "approved" if goal in AFTER_APPROVAL else goal
        current = eventually(lambda: (lambda a: a if a["review_status"] == wanted else None)(
            api.call("GET", f"/activities/{activity_id}", publisher["token"])), what=f"{name} to be {wanted}")
        if goal in AFTER_APPROVAL:
            _after_approval(api, admin, publisher, current, goal, database_url)
            return activity_id
        return None

    with ThreadPoolExecutor(workers) as pool:
        return [a for a in pool.map(finished, specs) if a]


def _after_approval(api, admin, publisher, activity, goal, database_url):
    activity_id = activity["id"]
    if goal == "ongoing" and activity["time_status"] != "ongoing":
        clock.ongoing(database_url, activity_id)
    if goal in ("ended", "followup", "nominated") and activity["time_status"] != "ended":
        clock.ended(database_url, activity_id)
    if goal in ("followup", "nominated"):
        materials = api.attempt("GET", f"/activities/{activity_id}/followup", publisher["token"], retry_on=(404,))
        if not materials or materials.get("status") != "submitted":
            api.call("PUT", f"/activities/{activity_id}/followup", publisher["token"],
                     json=_followup(api, publisher, activity["name"]))
    if goal == "nominated" and not activity["nominated"]:
        api.call("POST", f"/activities/{activity_id}/nomination", admin, json={})
    if goal == "off" and activity["shelf"] == "on":
        api.call("POST", f"/activities/{activity_id}/shelf", publisher["token"],
                 json={"shelf": "off", "reason": "场地维修，活动延期"})
