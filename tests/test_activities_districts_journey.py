"""Seed 004 to the last mile through the gateway, every service its own process (issue 22): a 北京市朝阳区
organizer finds its supervising unit under 市科协 by keyword and publishes; Beijing's provincial review, then
national review; an edit while approved keeps it shareable and counted; the activity ends; follow-up with
real photos and a short real video; the supervising unit's admin views them through their URLs and
nominates; the nominated list shows it. Then the bad input of the issue, each with its own code, nothing
stored."""
from datetime import date, timedelta

import requests

from services.identity.cli import create_admin
from services.resources.tests.conftest import png_bytes, video_bytes
from tests.test_activities_journey import activity_form, ended, organization, put, reviewer, status_of, uploaded
from tests.test_identity_journey import PASSWORD, eventually, get, post, refused, verified_communicator
from tests.test_resources_journey import decide_in_review, id_number, login

BEIJING = "110000"
API = "/api/v1"


def delete(platform, path, token, headers=None):
    return requests.delete(f"{platform.gateway_url}{API}{path}", timeout=20,
                           headers={"Authorization": f"Bearer {token}", **(headers or {})})


def patch(platform, path, body, token):
    return requests.patch(f"{platform.gateway_url}{API}{path}", json=body, timeout=20,
                          headers={"Authorization": f"Bearer {token}"})


def count(platform, statement, args=()):
    return platform.query("activities", statement, args)[0][0]


def test_a_beijing_district_publishes_under_city_cast_and_its_unit_judges_the_evidence(platform):
    create_admin(platform.database_url("identity"), "13900220001", PASSWORD)
    admin = login(platform, "13900220001")
    reviewers = {"provincial": reviewer(platform, admin, "13900220002", f"provincial:{BEIJING}"),
                 "national": reviewer(platform, admin, "13900220003", "national")}
    publisher, _ = organization(platform, "13900220010", 221, "朝阳区青少年科技活动中心", "other", "110105")
    chaoyang_admin, chaoyang_cast = organization(platform, "13900220011", 222, "北京市朝阳区科学技术协会",
                                                 "county_cast", "110105")
    stranger = verified_communicator(platform, "13900220012", id_number(223))
    today = date.today()
    made = post(platform, "/campaigns", {"name": "全国科普日（直辖市旅程）", "year": today.year,
                                         "window_start": (today - timedelta(days=5)).isoformat(),
                                         "window_end": (today + timedelta(days=40)).isoformat(),
                                         "nomination_deadline": (today + timedelta(days=60)).isoformat(),
                                         "quotas": {"city_cast": 1}}, admin)
    assert made.status_code == 201, made.text
    campaign = made.json()["id"]

    # the guide: choose the category 市科协 first, then type a keyword and pick the suggested name
    hits = get(platform, "/orgs?q=北京朝阳&supervising_category=city_cast", publisher).json()
    assert [(h["id"], h["category"], h["supervising_category"]) for h in hits] == [
        (chaoyang_cast, "county_cast", "city_cast")]
    assert get(platform, "/orgs?q=北京朝阳&supervising_category=county_cast", publisher).json() == []

    poster = uploaded(platform, publisher, png_bytes(), "activity_poster", "image/png", "海报.png")
    form = activity_form(campaign, chaoyang_cast, "city_cast", poster, "朝阳区青少年气象科普开放日", region="110105")
    form["venue"] = {"address": "朝阳公园南门科普广场"}
    # bad input: the same unit under 区县科协 (retried until activities knows the directory and the publisher)
    under_county = eventually(lambda: "supervising_category" in post(
        platform, "/activities", {**form, "supervising_category": "county_cast"}, publisher).json().get(
        "error", {}).get("fields", {}))
    assert under_county, "the activities service never learned the directory or the publisher's role"
    refused(lambda headers: post(platform, "/activities", {**form, "supervising_category": "county_cast"}, publisher,
                                 headers), 400, "validation_failed",
            {"supervising_category": "municipal_district_is_city_cast"})
    assert count(platform, "SELECT count(*) FROM activities WHERE campaign_id = %s", (campaign,)) == 0
    created = post(platform, "/activities", form, publisher)
    assert created.status_code == 201, created.text
    activity = created.json()
    assert activity["review_status"] == "pending_provincial" and activity["warnings"] == []

    # Beijing's provincial review (the review service's tasks), then national
    task = decide_in_review(platform, reviewers["provincial"], activity["id"], "provincial")
    assert task["scope"] == BEIJING and task["snapshot"]["venue"] == "北京市朝阳区朝阳公园南门科普广场"
    decide_in_review(platform, reviewers["national"], activity["id"], "national")
    assert status_of(platform, publisher, activity["id"], "approved")

    # an edit while approved: still shareable and counted, as its approved version, until the edit is decided
    edited = put(platform, f"/activities/{activity['id']}", {**form, "name": "朝阳区青少年气象科普开放日（第二场）"},
                 publisher)
    assert edited.status_code == 200 and edited.json()["review_status"] == "pending_provincial", edited.text
    sharer = verified_communicator(platform, "13900220013", id_number(224))
    shared = eventually(lambda: post(
        platform, "/shares", {"content_type": "activity", "content_id": activity["id"], "channel": "wechat_group"},
        sharer).status_code == 201)
    assert shared, "an approved activity under edit could not be shared"
    counted = get(platform, f"/stats/activities?campaign_id={campaign}", admin).json()
    assert counted["approved"] == 1 and counted["by_channel"] == [{"key": "city_cast", "approved": 1}], counted
    public = requests.get(f"{platform.gateway_url}{API}/activities/{activity['id']}", timeout=10).json()
    assert public["name"] == "朝阳区青少年气象科普开放日" and public["venue"]["address"] == "朝阳公园南门科普广场"
    decide_in_review(platform, reviewers["provincial"], activity["id"], "provincial")
    decide_in_review(platform, reviewers["national"], activity["id"], "national")
    assert status_of(platform, publisher, activity["id"], "approved")

    # the activity ends; its follow-up: real photos and a short real video
    ended(platform, activity["id"])
    photo_bytes = [png_bytes(640 + n, 480) for n in range(3)]
    photos = [{"upload_id": uploaded(platform, publisher, data, "followup_photo", "image/png", f"现场{n}.png"),
               "evidence": n == 0, "caption": f"现场{n}"} for n, data in enumerate(photo_bytes)]
    clip = video_bytes(seconds=2)
    video = uploaded(platform, publisher, clip, "followup_video", "video/mp4", "现场.mp4")
    materials = {"media_links": ["https://news.example.cn/chaoyang"], "photos": photos, "video_upload_ids": [video],
                 "participants": 160,
                 "summary": {"basic_facts": "参与160人。", "results": "完成雨量筒制作。", "highlights": "预报员讲解。",
                             "reusable_resources": "课程包一套。", "lessons": "提前预约效果好。"}, "submit": True}
    done = put(platform, f"/activities/{activity['id']}/followup", materials, publisher)
    assert done.status_code == 200 and done.json()["complete"], done.text
    mine = next(a for a in get(platform, "/my/activities", publisher).json()["items"] if a["id"] == activity["id"])
    assert mine["followup_status"] == "submitted" and mine["followup_deadline"]

    # the supervising unit's admin looks at the evidence through its URLs; a stranger is refused
    seen = get(platform, f"/activities/{activity['id']}/followup", chaoyang_admin)
    assert seen.status_code == 200 and seen.json()["viewer"] == "supervising_unit", seen.text
    evidence = seen.json()
    assert [requests.get(p["url"], timeout=10).content for p in evidence["photos"]] == photo_bytes
    assert all(requests.get(p["thumbnail_url"], timeout=10).content[:3] == b"\xff\xd8\xff" for p in evidence["photos"])
    assert requests.get(evidence["videos"][0]["url"], timeout=10).content == clip
    refused(lambda headers: get(platform, f"/activities/{activity['id']}/followup", stranger, headers), 403,
            "forbidden", {"activity_id": "followup_not_yours_to_view"})

    # nominated by the unit; the nominated list shows it with who and when
    nominated = post(platform, f"/activities/{activity['id']}/nomination", {}, chaoyang_admin)
    assert nominated.status_code == 201, nominated.text
    listed = get(platform, f"/nominations?campaign_id={campaign}", chaoyang_admin).json()
    chaoyang_admin_id = get(platform, "/me", chaoyang_admin).json()["id"]
    assert [(i["activity_id"], i["nominated_by"], i["name"]) for i in listed["items"]] == [
        (activity["id"], chaoyang_admin_id, "朝阳区青少年气象科普开放日（第二场）")]
    units = get(platform, f"/activities/stats?campaign_id={campaign}", chaoyang_admin).json()["units"]
    assert [(u["name"], u["approved"], u["followups_complete"], u["nominated"], u["quota_left"]) for u in units] == [
        ("北京市朝阳区科学技术协会", 1, 1, 1, 0)]

    # bad input: withdrawing someone else's nomination, beyond the unit's quota, after the deadline
    refused(lambda headers: delete(platform, f"/activities/{activity['id']}/nomination", publisher, headers), 403,
            "forbidden", {"activity_id": "not_your_nomination"})
    second_form = {**activity_form(campaign, chaoyang_cast, "city_cast", poster, "朝阳区机器人科普嘉年华",
                                   region="110105"), "venue": {"address": "朝阳体育馆"}}
    second = post(platform, "/activities", second_form, publisher).json()
    decide_in_review(platform, reviewers["provincial"], second["id"], "provincial")
    decide_in_review(platform, reviewers["national"], second["id"], "national")
    assert status_of(platform, publisher, second["id"], "approved")
    ended(platform, second["id"])
    photos2 = [{"upload_id": uploaded(platform, publisher, png_bytes(700 + n, 500), "followup_photo", "image/png",
                                      f"赛场{n}.png"), "evidence": True} for n in range(3)]
    assert put(platform, f"/activities/{second['id']}/followup", {**materials, "photos": photos2,
                                                                 "video_upload_ids": []},
               publisher).status_code == 200
    refused(lambda headers: post(platform, f"/activities/{second['id']}/nomination", {}, chaoyang_admin, headers),
            422, "rule_broken", {"activity_id": "nomination_quota_full"})
    closed = patch(platform, f"/campaigns/{campaign}", {"nomination_deadline": (today - timedelta(days=1)).isoformat(),
                                                        "reason": "推优截止"}, admin)
    assert closed.status_code == 200, closed.text
    refused(lambda headers: delete(platform, f"/activities/{activity['id']}/nomination", chaoyang_admin, headers),
            422, "rule_broken", {"activity_id": "nomination_deadline_passed"})
    assert count(platform, "SELECT count(*) FROM nominations WHERE campaign_id = %s", (campaign,)) == 1


def test_the_issues_bad_input_each_with_its_own_code_and_nothing_stored(platform):
    create_admin(platform.database_url("identity"), "13900220101", PASSWORD)
    admin = login(platform, "13900220101")
    publisher, _ = organization(platform, "13900220110", 225, "海淀区科普教育基地", "other", "110108")
    _, haidian_cast = organization(platform, "13900220111", 226, "北京市海淀区科学技术协会", "county_cast", "110108")
    today = date.today()
    campaign = post(platform, "/campaigns", {"name": "全国科普日（错误输入二）", "year": today.year,
                                             "window_start": (today - timedelta(days=1)).isoformat(),
                                             "window_end": (today + timedelta(days=30)).isoformat()}, admin).json()
    poster = uploaded(platform, publisher, png_bytes(), "activity_poster", "image/png", "海报.png")
    form = {**activity_form(campaign["id"], haidian_cast, "city_cast", poster, "海淀科普嘉年华", region="110108"),
            "venue": {"address": "中关村大街 1 号"}}
    assert eventually(lambda: post(platform, "/activities", {**form, "name": "科" * 51}, publisher).status_code == 400)

    def send(body):
        return lambda headers: post(platform, "/activities", body, publisher, headers)

    refused(send({**form, "venue": {"address": ""}}), 400, "validation_failed",
            {"venue.address": "venue_address_required"})
    refused(send({**form, "name": "海淀科普\n嘉年华"}), 400, "validation_failed", {"name": "control_character_refused"})
    refused(send({**form, "hosts": []}), 400, "validation_failed", {"hosts": "activity_hosts_required"})
    past = {"start_at": "2020-09-16T09:00:00+08:00", "end_at": "2020-09-16T12:00:00+08:00"}
    refused(send({**form, "name": "科" * 51, **past}), 400, "validation_failed",
            {"name": "activity_name_too_long", "start_at": "start_not_in_future"})  # one round
    not_an_image = uploaded(platform, publisher, video_bytes(seconds=1), "followup_video", "video/mp4", "片.mp4")
    picture = send({**form, "pictures": [{"upload_id": not_an_image, "part": "participation_channel"}]})
    answer = picture({})
    assert answer.status_code == 400 and list(answer.json()["error"]["fields"]) == ["upload_ids.0"], answer.text
    assert count(platform, "SELECT count(*) FROM activities WHERE campaign_id = %s", (campaign["id"],)) == 0
