"""Seed 000 (应用“科普中国”…操作指南) end to end, as its people meet the platform: a communicator registers and
is verified, enters the organization (机构入驻) that a colleague then chooses, the organization uploads a video
that passes initial and scientific review, the public finds and downloads it, communicators share it and come
back to the app, earn points and redeem them, see their and their organization's statistics as of 00:00, a
district admin sees the district, and the platform lists those to recognise.

Every review is decided in the review UI (headless Chromium), everything else through the gateway. Runs in the
browser pass: KEPU_TEST_NO_EVENTLET=1 pytest -m browser tests/test_guide_000.py"""
import csv
import io
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import requests

from services.metrics.periods import as_of
from services.resources.tests.conftest import video_bytes
from tests import images
from tests.guide_steps import (
    BROWSER_TESTS, ReviewDesk, enter_organization, platform_staff, register, submit_verification, uploaded,
)
from tests.test_identity_journey import eventually, get, post, refused
from tests.test_resources_journey import id_number, login

pytestmark = BROWSER_TESTS

FUTIAN, SHENZHEN = "440304", "440300"  # 广东省深圳市福田区: no other browser test has anyone there
ORG = "深圳市科学技术协会"
FIREFOX = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"}


def patch(platform, path, body, token):
    return requests.patch(f"{platform.gateway_url}/api/v1{path}", json=body, timeout=20,
                          headers={"Authorization": f"Bearer {token}"})


def put(platform, path, body, token):
    return requests.put(f"{platform.gateway_url}/api/v1{path}", json=body, timeout=20,
                        headers={"Authorization": f"Bearer {token}"})


def public(platform, path, **kwargs):
    return requests.get(f"{platform.gateway_url}/api/v1{path}", timeout=20, **kwargs)


def shared_and_returned(platform, token, resource_id, channel):
    """分享, then 返回科普中国客户端: only the return counts."""
    started = post(platform, "/shares", {"content_type": "resource", "content_id": resource_id, "channel": channel},
                   token)
    assert started.status_code == 201, started.text
    back = post(platform, f"/shares/{started.json()['share_id']}/return", None, token)
    assert back.status_code == 202 and back.json()["status"] == "accepted", back.text


def rolled_up(platform, day):
    """The daily rollup of a day, by the operations command (the metrics timer does the same each day)."""
    rolled = subprocess.run([sys.executable, "-m", "services.metrics.cli", "--database",
                             platform.database_url("metrics"), "rebuild-day", day.isoformat()],
                            capture_output=True, text=True, timeout=60, env=platform.env)
    assert rolled.returncode == 0, rolled.stderr


def a_day_passes(platform, user_ids, org_id):
    """The clock cannot be turned: what happened today is moved to yesterday (only this guide's people), and
    yesterday is rolled up again, as after a midnight."""
    _, yesterday = as_of(datetime.now(timezone.utc))
    platform.query("metrics", "UPDATE shares SET returned_at = returned_at - interval '1 day', day = day - 1 "
                              "WHERE day IS NOT NULL AND user_id::text = ANY(%s) RETURNING id", (user_ids,))
    platform.query("metrics", "UPDATE memberships SET joined_at = joined_at - interval '1 day' "
                              "WHERE org_id::text = %s RETURNING user_id", (org_id,))
    rolled_up(platform, yesterday)
    return yesterday


def test_seed_000_from_registration_to_recognition(browser, platform):
    # the platform's staff: the first admin from the CLI; reviewers (科普中国工作人员, experts) granted by the admin
    admin, staff = platform_staff(browser, platform, "13914000001", {"13914000002": ["realname", "org"],
                                                          "13914000003": ["initial"], "13914000004": ["scientific"]})

    # 二(一)3: 林 signs up and verifies as a communicator; his unit has no organization account yet, so none is chosen
    lin_id_number = id_number(11, FUTIAN, "19800808")
    lin = register(platform, "13914000010")
    assert ORG not in [o["name"] for o in get(platform, "/orgs?q=" + quote("深圳科协"), lin).json()]
    submit_verification(platform, lin, "林海峰", lin_id_number, FUTIAN, ORG, "深圳市福田区上步中路1001号")
    refused(lambda headers: requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=images.png(), timeout=20,
                                          headers={"Authorization": f"Bearer {lin}", "Content-Type": "image/png",
                                                   **headers}), 403, "forbidden")  # not a communicator yet
    queues = staff.queues()  # the staff's start page: their stages only
    assert "实名认证" in queues and "资源初审" not in queues and "省级审批" not in queues, queues
    text = staff.open("realname", "林海峰")
    assert "4403**********" + lin_id_number[-4:] in text and lin_id_number not in text  # masked for the reviewer too
    assert "广东省深圳市福田区" in text and "深圳市科学技术协会" in text and "个人用户" in text
    staff.approve()
    assert eventually(lambda: get(platform, "/me", lin).json()["verification"]["status"] == "approved")
    lin = login(platform, "13914000010")  # roles live in the token
    assert "communicator" in get(platform, "/auth/session", lin).json()["roles"]

    # 三1: 机构入驻 with the business licence's photo; the staff see the licence and approve
    org_id = enter_organization(platform, lin, ORG, "city_cast", SHENZHEN, "林海峰", "13914000010")
    text = staff.open("org", ORG)
    assert "营业执照" in text and "广东省深圳市" in text and "林海峰" in text and "市科协" in text
    assert staff.preview_width() == 640  # the licence's photo, shown to the reviewer
    staff.approve()
    assert eventually(lambda: get(platform, f"/orgs/{org_id}", lin).json()["status"] == "approved")
    lin = login(platform, "13914000010")
    assert [o["name"] for o in get(platform, "/me", lin).json()["administers"]] == [ORG]

    # 二(一)4: 周 signs up, finds the organization in the directory by what people type, and chooses it
    zhou = register(platform, "13914000011")
    hits = eventually(lambda: [o for o in get(platform, "/orgs?q=" + quote("深圳科协"), zhou).json()
                               if o["name"] == ORG])
    assert hits and hits[0]["id"] == org_id
    submit_verification(platform, zhou, "周小雨", id_number(12, FUTIAN, "19950606"), "440304001", "福田区南园街道办事处",
                        "深圳市福田区南园路68号", org_id=org_id)
    text = staff.open("realname", "周小雨")
    assert "所属机构\n" + ORG in text  # the organization chosen from the directory, beside the unit typed
    staff.approve()
    assert eventually(lambda: (get(platform, "/me", zhou).json()["organization"] or {}).get("id") == org_id)
    zhou = login(platform, "13914000011")
    zhou_id, lin_user = get(platform, "/me", zhou).json()["id"], get(platform, "/me", lin).json()["id"]

    # 三1: the organization sees its communicators (本机构所属科普员), phones masked
    members = get(platform, f"/orgs/{org_id}/members", lin)
    assert members.status_code == 200, members.text
    assert sorted((m["phone"], m["real_name"]) for m in members.json()["items"]) == [
        ("139****0010", "林海峰"), ("139****0011", "周小雨")]
    refused(lambda headers: get(platform, f"/orgs/{org_id}/members", zhou, headers), 403, "forbidden")

    # 五: the organization uploads an original video; it waits for initial and scientific review
    clip = video_bytes(seconds=2)
    upload = uploaded(platform, lin, clip, "video", "video/mp4", "大气与健康.mp4")
    form = {"title": "大气与健康", "type": "video", "keywords": ["雾霾", "PM2.5", "大气污染", "空气质量"],
            "topics": ["守护健康 抗击新型肺炎"], "upload_id": upload["id"],
            "description": "深圳市科学技术协会联合深圳市环境监测协会围绕公众关切的大气污染问题出品了《大气与健康》科普专题片。"}
    submitted = post(platform, "/resources", form, lin)
    assert submitted.status_code == 201, submitted.text
    resource_id = submitted.json()["id"]
    # a member is not the organization's account: members do not upload
    refused(lambda headers: post(platform, "/resources", form, zhou, headers), 403, "forbidden")

    def my_row():
        return next(r for r in get(platform, "/my/resources", lin).json()["items"] if r["id"] == resource_id)

    row = my_row()  # the guide's table: ID, name, keywords, description, type, size, thumbnail, status, updated
    assert (row["title"], row["keywords"], row["type_label"], row["status_label"]) == (
        "大气与健康", form["keywords"], "视频", "待初审")
    assert row["file_size_label"].endswith("KB") and row["thumbnail_url"] and row["updated_at"]

    initial = ReviewDesk(browser, platform, "13914000003")
    text = initial.open("initial", "大气与健康")
    assert "视频" in text and ORG in text and "0:02" in text
    assert initial.page.locator(".preview video").count() == 1  # the reviewer can play it
    initial.approve()
    assert eventually(lambda: my_row()["status_label"] == "初审通过/待科学性审核")
    ReviewDesk(browser, platform, "13914000004").decide("scientific", "大气与健康")
    assert eventually(lambda: my_row()["status_label"] == "已发布")

    # 四: anyone searches the resource centre and downloads it
    found = public(platform, "/resources?q=" + quote("雾霾") + "&type=video").json()["items"]
    assert [(r["id"], r["org_name"]) for r in found if r["id"] == resource_id] == [(resource_id, ORG)]
    download = public(platform, f"/resources/{resource_id}/download", headers=FIREFOX, allow_redirects=False)
    assert download.status_code == 302, download.text
    assert requests.get(download.headers["Location"], timeout=30).content == clip
    assert eventually(lambda: public(platform, f"/resources/{resource_id}").json()["downloads"] == 1)

    # 二(二)1 and 六2: shares count only once the sharer comes back to the app (返回科普中国客户端)
    never_returned = eventually(lambda: post(platform, "/shares", {"content_type": "resource",
                                                                   "content_id": resource_id, "channel": "link"},
                                             zhou).status_code == 201)
    assert never_returned, "metrics never learned the resource was published"
    for channel in ("wechat_group", "wechat_moments", "qq_group"):
        shared_and_returned(platform, zhou, resource_id, channel)
    shared_and_returned(platform, lin, resource_id, "wechat_group")
    assert eventually(lambda: get(platform, "/me/stats", zhou).json()["shares_total"] == 3)
    mine = get(platform, "/me/stats", zhou).json()  # 我的—科普员管理: one's own figures, live
    assert (mine["shares_today"], mine["shares_total"], mine["points"]) == (3, 3, 3), mine
    points = get(platform, "/me/points", zhou).json()
    assert points["balance"] == 3 and [e["reason"] for e in points["items"]] == ["share"] * 3

    # 二(二)5: the points mall
    item = post(platform, "/mall/items", {"name": "科普图书《大气与健康》", "cost": 2, "stock": 10}, admin)
    assert item.status_code == 201, item.text
    assert item.json()["id"] in [i["id"] for i in get(platform, "/mall/items", zhou).json()["items"]]
    # the prize is posted: where to (stored encrypted, shown masked)
    delivery = {"recipient": "周科普", "phone": "13800000001", "region_code": "110105", "address": "朝阳路1号"}
    redeemed = post(platform, "/mall/redemptions", {"item_id": item.json()["id"], "client_key": "guide-000",
                                                    "delivery": delivery}, zhou)
    assert redeemed.status_code == 201 and redeemed.json()["status"] == "pending", redeemed.text
    refused(lambda headers: post(platform, "/mall/redemptions", {"item_id": item.json()["id"], "client_key": "again",
                                                                 "delivery": delivery},
                                 zhou, headers), 422, "rule_broken", {"quantity": "not_enough_points"})
    fulfilled = post(platform, f"/mall/redemptions/{redeemed.json()['id']}/fulfil",
                     {"carrier": "中国邮政", "tracking_number": "1178822334455"}, admin)
    assert fulfilled.json()["status"] == "fulfilled", fulfilled.text
    assert get(platform, "/me/points", zhou).json()["balance"] == 1

    # 六1: the organization's statistics are as of today 00:00, so today's shares are not in them yet
    cutoff, yesterday = as_of(datetime.now(timezone.utc))
    rolled_up(platform, yesterday)
    today = get(platform, f"/orgs/{org_id}/stats", lin).json()
    assert datetime.fromisoformat(today["as_of"]) == cutoff and today["shares_total"] == 0, today
    yesterday = a_day_passes(platform, [zhou_id, lin_user], org_id)
    stats = get(platform, f"/orgs/{org_id}/stats", lin)
    assert stats.status_code == 200, stats.text
    assert (stats.json()["name"], stats.json()["communicators"], stats.json()["shares_total"],
            stats.json()["shares_last_day"]) == (ORG, 2, 4, 4), stats.json()
    refused(lambda headers: get(platform, f"/orgs/{org_id}/stats", login(platform, "13914000003"), headers),
            403, "forbidden")
    board = get(platform, f"/leaderboard?scope=city&code={SHENZHEN}&period=day", zhou).json()
    assert [(r["user_id"], r["shares"], r["rank"]) for r in board["items"]] == [(zhou_id, 3, 1), (lin_user, 1, 2)]
    assert board["own_rank"] == 1
    members = {m["real_name"]: m["shares"] for m in get(platform, f"/orgs/{org_id}/members", lin).json()["items"]}
    assert members == {"林海峰": 1, "周小雨": 3}

    # 三2: a district admin (区科协) sees every communicator of the district with their figures
    huang = register(platform, "13914000012")
    submit_verification(platform, huang, "黄文静", id_number(13, FUTIAN, "19850505"), FUTIAN, "深圳市福田区科学技术协会",
                        "深圳市福田区福中三路2002号", communicator_type="district_admin")
    text = staff.open("realname", "黄文静")
    assert "区县级管理员" in text  # approving it grants the district's admin role: the reviewer reads that
    staff.approve()
    assert eventually(lambda: get(platform, "/me", huang).json()["verification"]["status"] == "approved")
    huang = login(platform, "13914000012")
    area = get(platform, f"/regions/{FUTIAN}/communicators", huang)
    assert area.status_code == 200, area.text
    seen = {c["real_name"]: (c["phone"], c["organization"], c["shares"]) for c in area.json()["items"]}
    assert seen["林海峰"] == ("139****0010", ORG, 1) and seen["周小雨"] == ("139****0011", ORG, 3), seen
    assert set(seen) == {"林海峰", "周小雨", "黄文静"}
    refused(lambda headers: get(platform, "/regions/440303/communicators", huang, headers), 403, "forbidden")  # 罗湖区

    # 三2: recognition after the campaign (thresholds set by the platform, here small enough for this guide)
    campaign = str(uuid.uuid4())
    window = {"name": "疫情防控应急科普", "starts_on": (yesterday - timedelta(days=7)).isoformat(),
              "ends_on": (yesterday + timedelta(days=30)).isoformat()}
    assert put(platform, f"/admin/metrics/campaigns/{campaign}", window, admin).status_code == 200
    settings = patch(platform, "/admin/metrics/settings", {"org_min_communicators": 2, "org_min_shares": 4,
                                                           "individual_min_shares": 3}, admin)
    assert settings.status_code == 200, settings.text
    listed = get(platform, f"/recognitions?campaign_id={campaign}", admin).json()
    assert [(o["name"], o["communicators"], o["shares"]) for o in listed["orgs"]] == [(ORG, 2, 4)]
    assert [(p["user_id"], p["shares"]) for p in listed["individuals"]] == [(zhou_id, 3)]
    exported = get(platform, f"/recognitions.csv?campaign_id={campaign}", admin)
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")  # Excel opens the Chinese as Chinese
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "疫情防控应急科普" and rows[1][0] == "类别"
    assert [row[0] for row in rows[2:]] == ["机构", "个人"] and rows[2][2] == ORG and rows[2][5] == "4"
    refused(lambda headers: get(platform, f"/recognitions.csv?campaign_id={campaign}", lin, headers), 403, "forbidden")

