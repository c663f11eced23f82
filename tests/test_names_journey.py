"""Issue 23, as the seed's people meet it: a communicator shares and returns one article many times (counted
by the counting rule), appears on the city board under a masked name, and the city's 科协 admin downloads
the recognition CSV that pandas reads as a table with her full name; an admin not concerned sees her
masked. Through the gateway, every service its own process."""
import io
import uuid
from datetime import datetime, timezone
from urllib.parse import unquote

import pandas
import requests

from services.identity.cli import create_admin
from services.metrics import cli
from services.metrics.periods import as_of
from tests import images
from tests.test_identity_journey import PASSWORD, eventually, get, post, refused, review_decides, verified_communicator
from tests.test_metrics_journey import patch, published_article, put
from tests.test_resources_journey import id_number, login


def org_of_category(platform, phone, number, name, category, region_code):
    """A verified communicator registers an organization of a category, approved; (their fresh token, org id)."""
    token = verified_communicator(platform, phone, number, region_code=region_code)
    licence = requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=images.png(),
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"}, timeout=20)
    org = post(platform, "/orgs", {"name": name, "category": category, "region_code": region_code,
                                   "licence_key": licence.json()["licence_key"], "contact_name": "刘联络",
                                   "contact_phone": phone}, token)
    assert org.status_code == 202, org.text
    review_decides(platform, "organization", org.json()["id"], "org")
    assert eventually(lambda: get(platform, f"/orgs/{org.json()['id']}", token).json().get("status") == "approved")
    return login(platform, phone), org.json()["id"]  # the token now carries org_admin


def test_a_communicator_is_counted_by_the_rule_named_on_the_board_and_in_the_citys_csv(platform):
    create_admin(platform.database_url("identity"), "13800023009", PASSWORD)
    admin = login(platform, "13800023009")
    cast, cast_id = org_of_category(platform, "13800023001", id_number(231), "北京市科学技术协会（测试）",
                                    "provincial_cast", "110000")
    elsewhere, _ = org_of_category(platform, "13800023002", id_number(232, region="440305"), "深圳市南山区某中学",
                                   "school", "440305")
    sharer = verified_communicator(platform, "13800023003", id_number(233), real_name="王小明", org_id=cast_id)
    sharer_id = get(platform, "/me", sharer).json()["id"]
    article = published_article(platform, cast_id)

    # 12 share-and-return pairs of one article on one channel, 2 on another, as fast as the client can
    def share_and_return(channel):
        started = eventually(lambda: post(platform, "/shares", {"content_type": "article", "content_id": article,
                                                                 "channel": channel}, sharer))
        assert started.status_code == 201, started.text
        back = post(platform, f"/shares/{started.json()['share_id']}/return", None, sharer)
        assert back.status_code == 202, back.text

    for channel in ["wechat_group"] * 12 + ["weibo"] * 2:
        share_and_return(channel)
    assert eventually(lambda: get(platform, "/me/stats", sharer).json()["returns_today"] == 14)
    mine = get(platform, "/me/stats", sharer).json()
    assert (mine["shares_today"], mine["shares_total"], mine["returns_total"]) == (2, 2, 14)
    assert mine["not_counted_today"] == {"duplicate": 12, "minute_ceiling": 0}
    assert mine["counts_for_boards"] is True

    # as of 00:00: let a day pass for what happened today, as the clock would, then roll up
    cutoff, yesterday = as_of(datetime.now(timezone.utc))
    platform.query("metrics", "UPDATE shares SET returned_at = returned_at - interval '1 day', day = day - 1 "
                              "WHERE day IS NOT NULL RETURNING id")
    platform.query("metrics", "UPDATE memberships SET joined_at = joined_at - interval '1 day' RETURNING id")
    platform.query("metrics", "UPDATE communicators SET verified_at = verified_at - interval '1 day' RETURNING 1")
    cli.rebuild(platform.database_url("metrics"), yesterday, yesterday)

    board = get(platform, "/leaderboard?scope=city&code=110100&period=day", sharer)
    assert board.status_code == 200, board.text
    rows = [(r["user_id"], r["masked_name"], r["org_name"], r["region_name"], r["shares"], r["rank"])
            for r in board.json()["items"]]
    assert rows == [(sharer_id, "王*明", "北京市科学技术协会（测试）", "北京市朝阳区", 2, 1)]
    assert (board.json()["scope_code"], board.json()["scope_name"]) == ("110000", "北京市")
    assert "real_name" not in board.json()["items"][0] and "phone" not in board.json()["items"][0]
    same = get(platform, "/leaderboard?scope=city&code=110000&period=day", sharer).json()
    assert same["items"] == board.json()["items"]
    refused(lambda headers: get(platform, "/leaderboard?scope=city&code=440000&period=day", sharer, headers),
            400, "validation_failed", {"code": "not_a_city"})

    campaign = str(uuid.uuid4())
    window = {"name": "全国科普日", "starts_on": yesterday.isoformat(), "ends_on": yesterday.isoformat()}
    as_admin = {"Authorization": f"Bearer {admin}"}
    assert put(platform, f"/admin/metrics/campaigns/{campaign}", window, as_admin).status_code == 200
    assert patch(platform, "/admin/metrics/settings", {"individual_min_shares": 2}, as_admin).status_code == 200

    exported = get(platform, f"/recognitions.csv?campaign_id={campaign}", cast)
    assert exported.status_code == 200, exported.text
    assert exported.headers["Content-Type"].startswith("text/csv")
    disposition = unquote(exported.headers["Content-Disposition"])
    assert "表扬名单_全国科普日_" in disposition and yesterday.isoformat() in disposition
    table = pandas.read_csv(io.BytesIO(exported.content), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["类别", "名次", "名称", "手机号（已隐藏中间四位）", "所属机构", "地区代码", "地区",
                                   "注册科普员数", "分享次数"]
    person = table[table["类别"] == "个人"].to_dict("records")
    assert person == [{"类别": "个人", "名次": "1", "名称": "王小明", "手机号（已隐藏中间四位）": "138****3003",
                       "所属机构": "北京市科学技术协会（测试）", "地区代码": "110105", "地区": "北京市朝阳区",
                       "注册科普员数": "", "分享次数": "2"}]
    # an organization's admin in another city: the list, with the name masked and no phone
    theirs = get(platform, f"/recognitions?campaign_id={campaign}", elsewhere).json()["individuals"]
    assert [(p["user_id"], p["masked_name"], p["real_name"], p["phone"]) for p in theirs] == [
        (sharer_id, "王*明", None, None)]
    platform_view = get(platform, f"/recognitions?campaign_id={campaign}", admin).json()["individuals"]
    assert [(p["real_name"], p["phone"]) for p in platform_view] == [("王小明", "138****3003")]
    refused(lambda headers: get(platform, f"/recognitions.csv?campaign_id={campaign}", sharer, headers),
            403, "forbidden")
