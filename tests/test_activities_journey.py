"""全国科普日 through the gateway, every service its own process: a campaign, activities routed by their
supervising unit through provincial and national review in the review service, an edit and a rejection
re-entering review, the public listing and calendar, follow-up materials with real videos whose length
is read from the file, and nominations within the channel's quota."""
import hashlib
from datetime import date, datetime, timedelta, timezone

import requests
from icalendar import Calendar

from services.identity.cli import create_admin
from services.resources.tests.conftest import png_bytes, video_bytes
from tests.test_identity_journey import (
    PASSWORD, eventually, get, post, refused, review_decides, sign_up, verified_communicator, verify_by_admin,
)
from tests.test_resources_journey import decide_in_review, id_number, login, put_content
from tests import images

GUANGDONG, BEIJING = "440000", "110000"


def put(platform, path, body, token):
    return requests.put(f"{platform.gateway_url}/api/v1{path}", json=body, timeout=20,
                        headers={"Authorization": f"Bearer {token}"})


def organization(platform, phone, sequence, name, category, region):
    """A verified organization of the directory and its admin's token (signed in again: the role is in it)."""
    token = verified_communicator(platform, phone, id_number(sequence))
    licence = requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=images.png(),
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"}, timeout=20)
    org = post(platform, "/orgs", {"name": name, "category": category, "region_code": region,
                                   "licence_key": licence.json()["licence_key"], "contact_name": "刘联络",
                                   "contact_phone": phone}, token)
    assert org.status_code == 202, org.text
    review_decides(platform, "organization", org.json()["id"], "org")
    return login(platform, phone), org.json()["id"]


def reviewer(platform, admin, phone, scope):
    user = sign_up(platform, phone)
    verify_by_admin(platform, user, admin)  # reviewer roles go only to real-name-verified accounts
    granted = post(platform, f"/admin/users/{user['user']['id']}/roles", {"role": "reviewer", "scope": scope}, admin)
    assert granted.status_code == 200, granted.text
    return login(platform, phone)


def uploaded(platform, token, data, purpose, content_type, filename):
    body = {"purpose": purpose, "filename": filename, "size": len(data), "content_type": content_type,
            "sha256": hashlib.sha256(data).hexdigest(), "method": "stream"}
    started = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(post(platform, "/uploads", body, token)))
    assert started, "the resources service never learned this organization's admin"
    sent = put_content(platform, token, started.json()["id"], data)
    assert sent.status_code == 200, sent.text
    return started.json()["id"]


def activity_form(campaign_id, supervisor, category, poster_upload_id, name, region="440106", days=12):
    start = (datetime.now(timezone.utc) + timedelta(days=days)).replace(microsecond=0)
    return {"campaign_id": campaign_id, "name": name, "mode": "offline", "type": "open_day",
            "start_at": start.isoformat(), "end_at": (start + timedelta(hours=3)).isoformat(), "region_code": region,
            "supervising_category": category, "supervising_org_id": supervisor, "youth_festival": True,
            "joint_action": {"included": True, "categories": ["science_museums"]},
            "hosts": [{"org_id": supervisor}], "organizers": [{"name": "天河区气象科普馆"}],
            "reservation": {"enabled": True, "url": "https://booking.example.cn/tianhe"}, "expected_participants": 200,
            "poster_upload_id": poster_upload_id, "venue": {"address": "气象观测场（天河路 2 号）"},
            "details": {"content": "参观气象观测场，动手制作雨量筒。", "audience": "中小学生及家长",
                        "scientists": "广州市气象台预报员", "contact_person": "陈老师", "contact_phone": "020-38881234"}}


def status_of(platform, token, activity_id, wanted):
    return eventually(lambda: get(platform, f"/activities/{activity_id}", token).json()["review_status"] == wanted)


def ended(platform, activity_id, days_ago=1):
    """The activity took place days ago: the clock cannot be turned, the stored dates can."""
    end = datetime.now(timezone.utc) - timedelta(days=days_ago)
    platform.query("activities", "UPDATE activity_versions SET data = data || jsonb_build_object('start_at', "
                                 "%s::text, 'end_at', %s::text) WHERE activity_id = %s RETURNING revision",
                   ((end - timedelta(hours=3)).isoformat(), end.isoformat(), activity_id))


def approve_all(platform, reviewers, activity_id, stages=("provincial", "national")):
    for stage in stages:
        decide_in_review(platform, reviewers[stage], activity_id, stage)


def test_publish_route_review_edit_follow_up_nominate(platform):
    create_admin(platform.database_url("identity"), "13900120001", PASSWORD)
    admin = login(platform, "13900120001")
    reviewers = {"provincial": reviewer(platform, admin, "13900120002", f"provincial:{GUANGDONG}"),
                 "national": reviewer(platform, admin, "13900120003", "national")}
    beijing_reviewer = reviewer(platform, admin, "13900120004", f"provincial:{BEIJING}")
    publisher, _ = organization(platform, "13900120010", 121, "天河区气象科普馆", "other", "440106")
    tianhe_admin, tianhe_cast = organization(platform, "13900120011", 122, "广州市天河区科学技术协会",
                                             "county_cast", "440106")
    _, ministry = organization(platform, "13900120012", 123, "中国气象局（活动旅程）", "ministry", "110000")

    today = date.today()
    made = post(platform, "/campaigns", {"name": "全国科普日（旅程）", "year": today.year, "theme": "提升全民科学素质",
                                         "window_start": (today - timedelta(days=5)).isoformat(),
                                         "window_end": (today + timedelta(days=40)).isoformat(),
                                         "quotas": {"county_cast": 1}}, admin)
    assert made.status_code == 201, made.text
    campaign = made.json()["id"]
    assert post(platform, "/campaigns", {"name": "x", "year": 2023, "window_start": "2023-08-21",
                                         "window_end": "2023-09-30"}, publisher).status_code == 403

    poster = uploaded(platform, publisher, png_bytes(), "activity_poster", "image/png", "海报.png")
    form = activity_form(campaign, tianhe_cast, "county_cast", poster, "走进天河：气象科普开放日")
    # retried until activities knows the directory; the key keeps a retry after a time-out from publishing twice
    submitted = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(
        post(platform, "/activities", {**form, "client_key": "journey-tianhe-open-day"}, publisher)))
    assert submitted, "the activities service never learned the directory or the publisher's role"
    county = submitted.json()
    assert (county["review_status"], county["review_status_label"]) == ("pending_provincial", "省管理员审批中")

    # a county CAST: its province reviews first (a reviewer of another province does not see it), then national
    task = decide_in_review(platform, reviewers["provincial"], county["id"], "provincial")
    assert task["scope"] == GUANGDONG and task["snapshot"]["files"][0]["kind"] == "image"
    assert county["id"] not in [t["subject_id"] for t in
                                get(platform, "/review/tasks?stage=provincial", beijing_reviewer).json()["items"]]
    assert status_of(platform, publisher, county["id"], "pending_national")
    decide_in_review(platform, reviewers["national"], county["id"], "national")
    assert status_of(platform, publisher, county["id"], "approved")
    listed = requests.get(f"{platform.gateway_url}/api/v1/activities?region={GUANGDONG}&youth_festival=true",
                          timeout=10).json()
    assert county["id"] in [a["id"] for a in listed["items"]] and listed["total"] >= 1

    # a ministry: national review only
    ministry_form = activity_form(campaign, ministry, "ministry", poster, "气象防灾减灾科普周")
    national_only = post(platform, "/activities", ministry_form, publisher).json()
    assert national_only["review_status"] == "pending_national"
    decide_in_review(platform, reviewers["national"], national_only["id"], "national")
    assert status_of(platform, publisher, national_only["id"], "approved")

    # an edit re-enters review; the public keeps the approved version; a rejection carries its reason
    renamed = put(platform, f"/activities/{county['id']}", {**form, "name": "走进天河：气象科普开放日（加场）"},
                  publisher)
    assert renamed.status_code == 200 and renamed.json()["review_status"] == "pending_provincial", renamed.text
    public = requests.get(f"{platform.gateway_url}/api/v1/activities/{county['id']}", timeout=10).json()
    assert public["name"] == "走进天河：气象科普开放日"
    task = decide_in_review(platform, reviewers["provincial"], county["id"], "provincial", "rejected",
                            "海报缺少全国科普日标识")
    assert "活动宣传图" not in task["snapshot"]["changes"]
    assert status_of(platform, publisher, county["id"], "provincial_rejected")
    mine = get(platform, "/my/activities", publisher).json()["items"]
    rejected = next(a for a in mine if a["id"] == county["id"])
    assert (rejected["review_status_label"], rejected["review_comment"]) == ("省管理员审批拒绝", "海报缺少全国科普日标识")
    new_poster = uploaded(platform, publisher, png_bytes(1000, 1400), "activity_poster", "image/png", "海报2.png")
    resubmitted = put(platform, f"/activities/{county['id']}", {**form, "name": "走进天河：气象科普开放日（加场）",
                                                                "poster_upload_id": new_poster}, publisher)
    assert resubmitted.status_code == 200 and resubmitted.json()["review_status"] == "pending_provincial"
    approve_all(platform, reviewers, county["id"])
    assert eventually(lambda: requests.get(f"{platform.gateway_url}/api/v1/activities/{county['id']}",
                                           timeout=10).json()["name"] == "走进天河：气象科普开放日（加场）")
    ics = requests.get(f"{platform.gateway_url}/api/v1/activities/{county['id']}.ics", timeout=10)
    assert ics.headers["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event["SEQUENCE"] == 1
    assert str(event["URL"]).endswith(f"/activities/{county['id']}") and str(event["ORGANIZER"]).startswith("tel:")
    # a subscriber's next poll costs a 304 (ETag, or Last-Modified alone)
    assert ics.headers["ETag"] and ics.headers["Last-Modified"]
    for validator in ({"If-None-Match": ics.headers["ETag"]}, {"If-Modified-Since": ics.headers["Last-Modified"]}):
        again = requests.get(f"{platform.gateway_url}/api/v1/activities/{county['id']}.ics", headers=validator,
                             timeout=10)
        assert again.status_code == 304 and again.content == b"", (validator, again.status_code)

    # follow-up materials once it has ended: videos are measured from the file
    ended(platform, county["id"])
    photos = [{"upload_id": uploaded(platform, publisher, png_bytes(640 + n, 480), "followup_photo", "image/png",
                                     f"现场{n}.png"), "evidence": n == 0} for n in range(3)]
    too_long = uploaded(platform, publisher, video_bytes(seconds=181, fps=1), "followup_video", "video/mp4", "长.mp4")
    short = uploaded(platform, publisher, video_bytes(seconds=2), "followup_video", "video/mp4", "短.mp4")
    materials = {"media_links": ["https://news.example.cn/tianhe"], "photos": photos, "participants": 120,
                 "summary": {"basic_facts": "参与120人。", "results": "完成雨量筒制作。", "highlights": "预报员讲解。",
                             "reusable_resources": "课程包一套。", "lessons": "提前预约效果好。"}, "submit": True}
    refused = put(platform, f"/activities/{county['id']}/followup", {**materials, "video_upload_ids": [too_long]},
                  publisher)
    assert refused.status_code == 422, refused.text
    assert {k: v["code"] for k, v in refused.json()["error"]["fields"].items()} == {"videos.0": "followup_video_too_long"}
    done = put(platform, f"/activities/{county['id']}/followup", {**materials, "video_upload_ids": [short]}, publisher)
    assert done.status_code == 200 and done.json()["status"] == "submitted", done.text
    assert 1.5 < done.json()["videos"][0]["duration_seconds"] < 2.5

    # nominations: within the county CAST channel's quota of 1, and one refused beyond it
    second = post(platform, "/activities", activity_form(campaign, tianhe_cast, "county_cast", new_poster,
                                                         "天河区青少年无人机科普赛"), publisher).json()
    approve_all(platform, reviewers, second["id"])
    assert status_of(platform, publisher, second["id"], "approved")
    ended(platform, second["id"])
    photos2 = [{"upload_id": uploaded(platform, publisher, png_bytes(700 + n, 500), "followup_photo", "image/png",
                                      f"赛场{n}.png"), "evidence": True} for n in range(3)]
    assert put(platform, f"/activities/{second['id']}/followup", {**materials, "photos": photos2},
               publisher).status_code == 200
    nominated = post(platform, f"/activities/{county['id']}/nomination", {}, tianhe_admin)
    assert nominated.status_code == 201 and nominated.json()["used"] == 1, nominated.text
    beyond = post(platform, f"/activities/{second['id']}/nomination", {}, tianhe_admin)
    assert beyond.status_code == 422 and beyond.json()["error"]["fields"]["activity_id"]["code"] == \
        "nomination_quota_full", beyond.text


def test_bad_input_is_named_in_the_readers_language(platform):
    create_admin(platform.database_url("identity"), "13900120101", PASSWORD)
    admin = login(platform, "13900120101")
    publisher, _ = organization(platform, "13900120110", 124, "番禺区科技馆", "other", "440113")
    other, _ = organization(platform, "13900120111", 125, "海珠区科普基地", "other", "440105")
    _, panyu_cast = organization(platform, "13900120112", 126, "广州市番禺区科学技术协会", "county_cast", "440113")
    today = date.today()
    campaign = post(platform, "/campaigns", {"name": "全国科普日（错误输入）", "year": today.year,
                                             "window_start": (today - timedelta(days=1)).isoformat(),
                                             "window_end": (today + timedelta(days=30)).isoformat()}, admin).json()
    closed = post(platform, "/campaigns", {"name": "2023年全国科普日", "year": 2023, "window_start": "2023-08-21",
                                           "window_end": "2023-09-30"}, admin).json()
    poster = uploaded(platform, publisher, png_bytes(), "activity_poster", "image/png", "海报.png")
    form = activity_form(campaign["id"], panyu_cast, "county_cast", poster, "番禺科普嘉年华", region="440113")
    assert eventually(lambda: post(platform, "/activities", {**form, "name": "科" * 51}, publisher).status_code == 400)

    def send(body, token=publisher):
        return lambda headers: post(platform, "/activities", body, token, headers)

    refused(send({**form, "name": "科" * 51}), 400, "validation_failed", {"name": "activity_name_too_long"})
    refused(send({**form, "reservation": {"enabled": True, "url": "javascript:alert(1)"}}), 400,
            "validation_failed", {"reservation.url": "reservation_url_not_web"})
    refused(send({**form, "reservation": {"enabled": True}}), 400, "validation_failed",
            {"reservation.url": "reservation_url_required"})
    refused(send({**form, "supervising_category": "ministry"}), 400, "validation_failed",
            {"supervising_org_id": "supervising_category_mismatch"})
    refused(send({**form, "region_code": "990000"}), 400, "validation_failed", {"region_code": "region_unknown"})
    answer = refused(send({**form, "campaign_id": closed["id"]}), 422, "rule_broken",
                     {"campaign_id": "campaign_window_closed"})
    assert answer.json()["error"]["details"]["window_end"] == "2023-09-30"
    assert "2023-08-21" in answer.json()["error"]["message"]
    created = post(platform, "/activities", form, publisher)
    assert created.status_code == 201, created.text
    refused(lambda headers: put_json(platform, f"/activities/{created.json()['id']}", {**form, "name": "别人的"},
                                     other, headers), 403, "forbidden", {"activity_id": "not_your_activity"})
    pending = lambda headers: put_json(platform, f"/activities/{created.json()['id']}/followup",  # noqa: E731
                                       {"submit": False}, publisher, headers)
    refused(pending, 422, "rule_broken", {"activity_id": "activity_not_approved"})
    mine = get(platform, "/my/activities", publisher).json()
    assert [a["name"] for a in mine["items"]] == ["番禺科普嘉年华"] and mine["total"] == 1


def put_json(platform, path, body, token, headers=None):
    return requests.put(f"{platform.gateway_url}/api/v1{path}", json=body, timeout=20,
                        headers={"Authorization": f"Bearer {token}", **(headers or {})})
