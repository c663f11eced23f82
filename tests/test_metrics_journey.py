"""Register → verify → join an organization → share → return → points → redeem → org stats after the
rollup → leaderboard → recognition CSV: through the gateway, every service its own process."""
import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import requests

from kepu_common.interfaces.contracts import make_event
from kepu_common.devtools.testing import publish_events
from services.metrics import cli
from services.metrics.periods import as_of
from services.identity.cli import create_admin
from tests.test_identity_journey import PASSWORD, eventually, get, post, refused, verified_communicator
from tests.test_resources_journey import id_number, login, org_admin


def patch(platform, path, body, headers):
    return requests.patch(f"{platform.gateway_url}/api/v1{path}", json=body, headers=headers, timeout=20)


def put(platform, path, body, headers):
    return requests.put(f"{platform.gateway_url}/api/v1{path}", json=body, headers=headers, timeout=20)


def published_article(platform, org_id):
    """Stands in for a resource published through both reviews (tests/test_resources_journey.py does that):
    the event the resources service announces it with."""
    resource_id = str(uuid.uuid4())
    publish_events(platform.env["AMQP_URI"], [make_event(
        "resource_status_changed", "resources", resource_id=resource_id, org_id=org_id, type="article",
        status="published", previous_status="pending_scientific")])
    return resource_id


def test_a_communicator_shares_earns_points_redeems_and_is_recognised(platform, make_token):
    admin_headers = {"Authorization": f"Bearer {make_token(['platform_admin'], sub=str(uuid.uuid4()))}"}
    registrant, org_id = org_admin(platform, "13800007001", id_number(701), "北京市朝阳区科普之家")
    assert eventually(lambda: get(platform, f"/orgs/{org_id}", registrant).json().get("status") == "approved")
    sharer = verified_communicator(platform, "13800007002", id_number(702), org_id=org_id)
    sharer_id = get(platform, "/me", sharer).json()["id"]
    stranger = verified_communicator(platform, "13800007003", id_number(703))
    settings = patch(platform, "/admin/metrics/settings", {"channel_points": {"wechat_group": 10, "weibo": 0}},
                     admin_headers)
    assert settings.status_code == 200 and settings.json()["channel_points"]["wechat_group"] == 10, settings.text

    article = published_article(platform, org_id)
    started = eventually(lambda: post(platform, "/shares", {"content_type": "article", "content_id": article,
                                                             "channel": "wechat_group"}, sharer))
    assert started.status_code == 201, started.text
    share_id = started.json()["share_id"]
    refused(lambda headers: post(platform, "/shares", {"content_type": "resource", "content_id": str(uuid.uuid4()),
                                                       "channel": "qq"}, sharer, headers),
            404, "not_found", {"content_id": "not_shareable"})

    # the return: accepted once confirmed by the broker, the same answer when repeated, counted once
    for _ in range(3):
        back = post(platform, f"/shares/{share_id}/return", None, sharer)
        assert back.status_code == 202, back.text
        assert back.json() == {"share_id": share_id, "status": "accepted"}
    refused(lambda headers: post(platform, f"/shares/{share_id}/return", None, stranger, headers), 404, "not_found")
    forged = share_id[:-4] + ("AAAA" if not share_id.endswith("AAAA") else "BBBB")
    refused(lambda headers: post(platform, f"/shares/{forged}/return", None, sharer, headers), 404, "not_found")
    assert eventually(lambda: get(platform, "/me/points", sharer).json()["balance"] == 10)
    points = get(platform, "/me/points", sharer).json()
    assert [(e["delta"], e["reason"]) for e in points["items"]] == [(10, "share")]
    mine = get(platform, "/me/stats", sharer).json()
    assert (mine["shares_today"], mine["shares_total"], mine["points"]) == (1, 1, 10)

    # the district admin's area view has each communicator's counted shares
    create_admin(platform.database_url("identity"), "13800007009", PASSWORD)
    stranger_id = get(platform, "/me", stranger).json()["id"]
    granted = post(platform, f"/admin/users/{stranger_id}/roles", {"role": "district_admin", "scope": "110105"},
                   login(platform, "13800007009"))
    assert granted.status_code == 200, granted.text
    area = get(platform, "/regions/110105/communicators", login(platform, "13800007003"))
    assert area.status_code == 200, area.text
    assert {c["user_id"]: c["shares"] for c in area.json()["items"]}[sharer_id] == 1

    # the mall: one redemption, idempotent by its key; no more points for a second
    item = post(platform, "/mall/items", {"name": "科普图书", "cost": 10, "stock": 5}, headers=admin_headers)
    assert item.status_code == 201, item.text
    refused(lambda headers: post(platform, "/mall/items", {"name": "x", "cost": 1, "stock": 1}, sharer, headers),
            403, "forbidden")
    body = {"item_id": item.json()["id"], "quantity": 1, "client_key": "journey-1",
            "delivery": {"recipient": "王科普", "phone": "13800007002", "region_code": "110105", "address": "朝阳路1号"}}
    first = post(platform, "/mall/redemptions", body, sharer)
    assert first.status_code == 201 and first.json()["status"] == "pending", first.text
    again = post(platform, "/mall/redemptions", body, sharer)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    refused(lambda headers: post(platform, "/mall/redemptions", {**body, "client_key": "journey-2"}, sharer, headers),
            422, "rule_broken", {"quantity": "not_enough_points"})
    refused(lambda headers: post(platform, "/mall/redemptions", {**body, "quantity": -1, "client_key": "j-3"}, sharer,
                                 headers), 400, "validation_failed", {"quantity": "out_of_range"})
    fulfilled = post(platform, f"/mall/redemptions/{first.json()['id']}/fulfil",
                     {"carrier": "顺丰速运", "tracking_number": "SF1234567890"}, headers=admin_headers)
    assert fulfilled.json()["status"] == "fulfilled", fulfilled.text
    assert get(platform, "/me/points", sharer).json()["balance"] == 0

    # statistics are as of 00:00: let a day pass for what happened today, as the clock would, then roll up
    now = datetime.now(timezone.utc)
    cutoff, yesterday = as_of(now)
    platform.query("metrics", "UPDATE shares SET returned_at = returned_at - interval '1 day', day = day - 1 "
                              "WHERE day IS NOT NULL RETURNING id")
    platform.query("metrics", "UPDATE memberships SET joined_at = joined_at - interval '1 day' RETURNING id")
    platform.query("metrics", "UPDATE communicators SET verified_at = verified_at - interval '1 day' RETURNING 1")
    cli.rebuild(platform.database_url("metrics"), yesterday, yesterday)
    stats = get(platform, f"/orgs/{org_id}/stats", registrant)
    assert stats.status_code == 200, stats.text
    assert (stats.json()["communicators"], stats.json()["shares_total"]) == (2, 1)
    assert datetime.fromisoformat(stats.json()["as_of"]) == cutoff
    refused(lambda headers: get(platform, f"/orgs/{org_id}/stats", stranger, headers), 403, "forbidden")

    board = get(platform, "/leaderboard?scope=city&code=110000&period=day", sharer).json()
    # the platform is shared with the other journeys of this test process: find the sharer's own row
    mine = [(row["shares"], row["rank"]) for row in board["items"] if row["user_id"] == sharer_id]
    assert len(mine) == 1 and mine[0][0] == 1 and board["own_rank"] == mine[0][1]

    campaign = str(uuid.uuid4())
    window = {"name": "全国科普日", "starts_on": (yesterday - timedelta(days=1)).isoformat(),
              "ends_on": (yesterday + timedelta(days=30)).isoformat()}
    assert put(platform, f"/admin/metrics/campaigns/{campaign}", window, admin_headers).status_code == 200
    patch(platform, "/admin/metrics/settings", {"org_min_communicators": 2, "org_min_shares": 1,
                                                "individual_min_shares": 1}, admin_headers)
    exported = requests.get(f"{platform.gateway_url}/api/v1/recognitions.csv?campaign_id={campaign}",
                            headers=admin_headers, timeout=20)
    assert exported.status_code == 200, exported.text
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "类别"  # the header row first
    # a token identity never issued: identity does not know its holder as an admin, so the name stays masked
    listed = [(row[0], row[2]) for row in rows[1:]]  # other journeys' organizations and people may qualify too
    assert ("机构", "北京市朝阳区科普之家") in listed and ("个人", "王*普") in listed
    refused(lambda headers: get(platform, f"/recognitions.csv?campaign_id={campaign}", sharer, headers),
            403, "forbidden")


def test_share_returns_are_refused_clearly(platform, make_token):
    user = str(uuid.uuid4())
    token = make_token(["communicator"], sub=user)
    refused(lambda headers: post(platform, "/shares/not-a-share/return", None, token, headers), 404, "not_found")
    refused(lambda headers: post(platform, "/shares", {"content_type": "video", "content_id": "x", "channel": "fax"},
                                 token, headers), 400, "validation_failed",
            {"content_type": "not_one_of", "content_id": "not_a_uuid", "channel": "not_one_of"})
    # a share id whose window has closed (signed with the platform's key, as metrics would have)
    from services.metrics import contracts

    key = contracts.load_key(platform.env.get("SHARE_KEY_FILE", "var/keys/share-secret.key"))
    expired = contracts.make_share_id(key, uuid.uuid4(), user, datetime.now(timezone.utc) - timedelta(minutes=1))
    answer = refused(lambda headers: post(platform, f"/shares/{expired}/return", None, token, headers), 422,
                     "rule_broken", {"share_id": "return_window_closed"})
    assert "window_end" in answer.json()["error"]["details"]
