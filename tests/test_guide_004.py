"""Seed 004 (全国科普日平台发布重点活动操作指南) end to end: a publisher registers and verifies, her unit enters the
organization library, the county CAST that supervises the activity (归口单位) enters it too so that it can be
chosen, the platform opens the campaign, the activity is published and reviewed by the province and then
nationally, it is listed, an edit re-enters review while the public keeps the approved version, a second one is
refused with its reason, follow-up materials are filed after it ended, the county CAST nominates it (推优),
and the activity statistics count only approved activities.

Every review is decided in the review UI (headless Chromium), everything else through the gateway. Runs in the
browser pass: KEPU_TEST_NO_EVENTLET=1 pytest -m browser tests/test_guide_004.py"""
from datetime import date, timedelta
from urllib.parse import quote

import requests

from services.resources.tests.conftest import png_bytes, video_bytes
from tests.guide_steps import (
    BROWSER_TESTS, ReviewDesk, enter_organization, platform_staff, register, submit_verification, uploaded,
)
from tests.test_activities_journey import activity_form, ended
from tests.test_identity_journey import eventually, get, post, refused
from tests.test_resources_journey import id_number, login

pytestmark = BROWSER_TESTS

SICHUAN, WUHOU = "510000", "510107"  # 四川省成都市武侯区: no other browser test publishes there
PUBLISHER_ORG = "成都市武侯区青少年科技活动中心"
COUNTY_CAST = "成都市武侯区科学技术协会"
NAME = "武侯科学之夜：走进气象站"


def put(platform, path, body, token):
    return requests.put(f"{platform.gateway_url}/api/v1{path}", json=body, timeout=20,
                        headers={"Authorization": f"Bearer {token}"})


def public(platform, path):
    return requests.get(f"{platform.gateway_url}/api/v1{path}", timeout=20)


def verified(platform, staff, phone, real_name, sequence, unit_name):
    """注册登录 with the phone, then 实名认证, approved by the platform's staff in the review UI."""
    token = register(platform, phone)
    submit_verification(platform, token, real_name, id_number(sequence, WUHOU, "19870921"), WUHOU, unit_name,
                        "四川省成都市武侯区人民南路四段11号")
    staff.decide("realname", real_name)
    assert eventually(lambda: get(platform, "/me", token).json()["verification"]["status"] == "approved")
    return login(platform, phone)


def organization_entered(platform, staff, token, phone, name, category, contact):
    """组织入驻—新建组织, approved by the staff in the review UI after looking at the licence."""
    org_id = enter_organization(platform, token, name, category, WUHOU, contact, phone)
    text = staff.open("org", name)
    assert "四川省成都市武侯区" in text and staff.preview_width() == 640
    staff.approve()
    assert eventually(lambda: get(platform, f"/orgs/{org_id}", token).json()["status"] == "approved")
    return login(platform, phone), org_id


def review_status(platform, token, activity_id):
    return get(platform, f"/activities/{activity_id}", token).json()["review_status_label"]


def test_seed_004_from_registration_to_activity_statistics(browser, platform):
    admin, staff = platform_staff(browser, platform, "13914040001", {"13914040002": ["realname", "org"],
                                                          "13914040003": [f"provincial:{SICHUAN}"],  # 省级科协
                                                          "13914040004": ["national"]})  # 中国科协团队

    # 二: registration with the phone and real-name verification; the publisher's unit enters the library
    he = verified(platform, staff, "13914040010", "何静怡", 41, PUBLISHER_ORG)
    he, publisher_org = organization_entered(platform, staff, he, "13914040010", PUBLISHER_ORG, "other", "何静怡")

    # 三(二)归口单位(4): the county CAST is not in the library yet, so it cannot be chosen; it enters it itself
    assert COUNTY_CAST not in [o["name"] for o in get(platform, "/orgs?q=" + quote("武侯区科协"), he).json()]
    deng = verified(platform, staff, "13914040011", "邓志远", 42, COUNTY_CAST)
    deng, county_cast = organization_entered(platform, staff, deng, "13914040011", COUNTY_CAST, "county_cast", "邓志远")
    chosen = eventually(lambda: [o for o in get(platform, "/orgs?q=" + quote("武侯区科协") + "&category=county_cast",
                                                he).json() if o["name"] == COUNTY_CAST])
    assert chosen and chosen[0]["id"] == county_cast and chosen[0]["category_label"] == "区县科协"

    # 三(一): the campaign and its publishing window
    today = date.today()
    made = post(platform, "/campaigns", {"name": f"{today.year}年全国科普日（四川）", "year": today.year,
                                         "theme": "提升全民科学素质", "window_start": (today - timedelta(days=5)).isoformat(),
                                         "window_end": (today + timedelta(days=40)).isoformat(),
                                         "quotas": {"county_cast": 1}}, admin)
    assert made.status_code == 201, made.text
    campaign = made.json()["id"]
    assert campaign in [c["id"] for c in public(platform, "/campaigns").json()["items"]]

    # 三(二): 我要发布 — the form with its poster; it waits for the province (归口: 区县科协)
    poster = uploaded(platform, he, png_bytes(600, 840), "activity_poster", "image/png", "海报.png")["id"]
    form = activity_form(campaign, county_cast, "county_cast", poster, NAME, region=WUHOU)
    form["hosts"], form["organizers"] = [{"org_id": county_cast}], [{"org_id": publisher_org}]
    refused(lambda headers: requests.post(f"{platform.gateway_url}/api/v1/activities", json={**form, "name": "科" * 51},
                                          timeout=20, headers={"Authorization": f"Bearer {he}", **headers}),
            400, "validation_failed", {"name": "activity_name_too_long"})
    # the activities service learns the library and the publisher's role from events; a retried 保存 carries the
    # same client key, so it answers the activity published the first time
    assert eventually(lambda: get(platform, "/my/activities", he).status_code == 200)
    keyed = {**form, "client_key": "guide-004-first"}
    submitted = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(
        post(platform, "/activities", keyed, he)))
    assert submitted, "publishing never succeeded"
    activity = submitted.json()
    assert post(platform, "/activities", keyed, he).json()["id"] == activity["id"]  # pressed twice: one activity
    assert (activity["review_status_label"], activity["time_status_label"]) == ("省管理员审批中", "未开始")
    activity_id = activity["id"]
    assert public(platform, f"/activities/{activity_id}").status_code == 404  # not public before approval

    # 三(三)/(2)(3): the province reviews first (poster and every part of the form in front of it), then the nation
    province = ReviewDesk(browser, platform, "13914040003")
    queues = province.queues()
    assert "省级审批" in queues and "实名认证" not in queues, queues
    text = province.open("provincial", NAME)
    assert COUNTY_CAST in text and "陈老师" in text and "四川省" in text
    assert province.preview_width() == 600  # the poster
    province.approve()
    assert eventually(lambda: review_status(platform, he, activity_id) == "全国审批中")
    nation = ReviewDesk(browser, platform, "13914040004")
    nation.decide("national", NAME)
    assert eventually(lambda: review_status(platform, he, activity_id) == "已通过")

    # listing: approved and on the shelf, found by region and campaign
    listed = public(platform, f"/activities?region={SICHUAN}&campaign={campaign}").json()
    assert [(a["id"], a["name"], a["shelf"], a["time_status_label"]) for a in listed["items"]] == [
        (activity_id, NAME, "on", "未开始")]
    mine = {a["id"]: a for a in get(platform, "/my/activities", he).json()["items"]}
    assert (mine[activity_id]["review_status_label"], mine[activity_id]["shelf_label"]) == ("已通过", "上架")

    # 三(三)3: an edit re-enters review; the public keeps the approved version until it is approved again
    edited = put(platform, f"/activities/{activity_id}", {**form, "name": NAME + "（加场）"}, he)
    assert edited.status_code == 200 and edited.json()["review_status_label"] == "省管理员审批中", edited.text
    assert public(platform, f"/activities/{activity_id}").json()["name"] == NAME
    text = province.open("provincial", NAME + "（加场）")
    assert "本次修改\n名称\n" in text  # the reviewer is shown what changed: the name
    province.approve()
    nation.decide("national", NAME + "（加场）")
    assert eventually(lambda: public(platform, f"/activities/{activity_id}").json()["name"] == NAME + "（加场）")
    versions = get(platform, f"/activities/{activity_id}/versions", he).json()
    assert len(versions) == 2 and versions[0]["revision"] > versions[1]["revision"], versions  # newest first
    assert versions[0]["changes"] == ["name"] and versions[0]["data"]["name"] == NAME + "（加场）"

    # a second activity refused by the province: 省管理员审批拒绝 with the reason, and it does not count
    second = post(platform, "/activities", {**form, "name": "武侯区青少年无人机科普赛", "client_key": "guide-004-second"},
                  he).json()
    province.decide("provincial", "武侯区青少年无人机科普赛", "rejected", "海报缺少全国科普日标识")
    assert eventually(lambda: review_status(platform, he, second["id"]) == "省管理员审批拒绝")
    assert get(platform, f"/activities/{second['id']}", he).json()["review_comment"] == "海报缺少全国科普日标识"

    # 三(四)1: follow-up materials once it has ended; a draft says what is missing, rule by rule
    ended(platform, activity_id)
    assert public(platform, f"/activities/{activity_id}").json()["time_status_label"] == "已结束"
    photos = [{"upload_id": uploaded(platform, he, png_bytes(640 + n, 480), "followup_photo", "image/png",
                                     f"现场{n}.png")["id"], "evidence": n == 0} for n in range(3)]
    draft = put(platform, f"/activities/{activity_id}/followup", {"photos": photos[:2], "submit": False}, he)
    assert draft.status_code == 200 and draft.json()["status"] == "draft", draft.text
    missing = [item for item in draft.json()["checklist"] if not item["ok"]]
    assert missing and all(any("\u4e00" <= c <= "\u9fff" for c in item["message"]) for item in missing)
    clip = uploaded(platform, he, video_bytes(seconds=2), "followup_video", "video/mp4", "现场.mp4")["id"]
    materials = {"media_links": ["https://news.example.cn/wuhou-kepuri"], "photos": photos, "video_upload_ids": [clip],
                 "participants": 120, "submit": True,
                 "summary": {"basic_facts": "参与120人。", "results": "完成气象观测体验。", "highlights": "预报员现场讲解。",
                             "reusable_resources": "观测课程包一套。", "lessons": "提前预约效果好。"}}
    done = put(platform, f"/activities/{activity_id}/followup", materials, he)
    assert done.status_code == 200 and done.json()["status"] == "submitted" and done.json()["complete"], done.text
    assert 1.5 < done.json()["videos"][0]["duration_seconds"] < 2.5  # measured from the file

    # 推优: the supervising county CAST nominates it within its quota
    refused(lambda headers: requests.post(f"{platform.gateway_url}/api/v1/activities/{activity_id}/nomination",
                                          json={}, timeout=20, headers={"Authorization": f"Bearer {he}", **headers}),
            403, "forbidden", {"activity_id": "not_your_supervised_activity"})  # only its supervising unit
    # (or the platform) nominates
    nominated = post(platform, f"/activities/{activity_id}/nomination", {}, deng)
    assert nominated.status_code == 201 and nominated.json()["used"] == 1, nominated.text
    assert get(platform, f"/activities/{activity_id}", he).json()["nominated"] is True

    # 三(三)2: only approved activities count in the channels' statistics
    stats = get(platform, f"/stats/activities?campaign_id={campaign}", deng)
    assert stats.status_code == 200, stats.text
    assert stats.json()["approved"] == 1 and stats.json()["by_channel"] == [{"key": "county_cast", "approved": 1}]
    assert stats.json()["by_region"] == [{"key": WUHOU, "name": "四川省成都市武侯区", "approved": 1}]
    assert stats.json()["by_campaign"] == [{"key": campaign, "approved": 1}]
