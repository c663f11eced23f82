"""Prizes that reach people, through the gateway with every service its own process: a communicator redeems a
prize with delivery details, the mall admin reads them and fulfils it with a tracking number, the communicator
sees it; another redeems and cancels and has points and stock back. Bad input moves nothing."""
import uuid

import requests

from tests import images
from tests.test_identity_journey import eventually, get, post, refused, verified_communicator
from tests.test_metrics_journey import published_article
from tests.test_resources_journey import id_number, org_admin

CHANNELS = ("wechat_group", "qq_group", "weibo", "qq")
DELIVERY = {"recipient": "张晓红", "phone": "13800009101", "region_code": "110105", "address": "朝阳路甲1号院3单元502"}


def earn(platform, token, org_id, points):
    """Counted shares (each of another article, by another channel), one point each by default."""
    channels = CHANNELS
    for n in range(points):
        article = published_article(platform, org_id)
        started = eventually(lambda: post(platform, "/shares", {"content_type": "article", "content_id": article,
                                                                 "channel": channels[n % len(channels)]}, token))
        assert started.status_code == 201, started.text
        back = post(platform, f"/shares/{started.json()['share_id']}/return", None, token)
        assert back.status_code == 202, back.text
    assert eventually(lambda: get(platform, "/me/points", token).json()["balance"] == points)


def events(platform, event_type):
    return [row[0] for row in platform.query("metrics", "SELECT payload FROM outbox WHERE event_type = %s ORDER BY id",
                                             (event_type,))]


def test_a_prize_is_posted_to_one_communicator_and_cancelled_by_another(platform, make_token):
    admin = {"Authorization": f"Bearer {make_token(['platform_admin'], sub=str(uuid.uuid4()))}"}
    # a point per counted share on the channels used here, whatever other journeys on this platform set
    settings = requests.patch(f"{platform.gateway_url}/api/v1/admin/metrics/settings", headers=admin, timeout=20,
                              json={"daily_cap": 50, "channel_points": {c: 1 for c in CHANNELS}})
    assert settings.status_code == 200, settings.text
    registrant, org_id = org_admin(platform, "13800009100", id_number(910), "北京市朝阳区科普驿站")
    assert eventually(lambda: get(platform, f"/orgs/{org_id}", registrant).json().get("status") == "approved")
    zhang = verified_communicator(platform, "13800009101", id_number(911), org_id=org_id)
    li = verified_communicator(platform, "13800009102", id_number(912), org_id=org_id)
    earn(platform, zhang, org_id, 2)
    earn(platform, li, org_id, 2)

    # the mall admin uploads the prize's picture (checked as an image) and puts it on offer
    picture = requests.post(f"{platform.gateway_url}/api/v1/mall/images", data=images.png(),
                            headers={**admin, "Content-Type": "image/png"}, timeout=20)
    assert picture.status_code == 201, picture.text
    fake = requests.post(f"{platform.gateway_url}/api/v1/mall/images", data=b"\x89PNG\r\n\x1a\n<html></html>",
                         headers={**admin, "Content-Type": "image/png"}, timeout=20)
    assert fake.status_code == 415 and fake.json()["error"]["fields"]["image"]["code"] == "not_an_image"
    item = post(platform, "/mall/items", {"name": "家庭应急包", "description": "手电、口哨、急救毯等十件套。", "cost": 2,
                                          "stock": 3, "image_keys": [picture.json()["image_key"]]}, headers=admin)
    assert item.status_code == 201, item.text
    tickets = post(platform, "/mall/items", {"name": "科技馆门票", "cost": 1, "stock": 10, "delivery": False,
                                             "pickup_sites": [{"name": "中国科学技术馆服务台", "region_code": "110105",
                                                               "address": "北辰东路5号"}]}, headers=admin).json()
    item_id = item.json()["id"]
    shown = get(platform, f"/mall/items/{item_id}", zhang).json()
    assert shown["name"] == "家庭应急包" and shown["delivery"] is True
    assert requests.get(shown["image_url"], timeout=20).content == images.png()

    # bad input: each its own error, nothing stored, no points or stock moved
    body = {"item_id": item_id, "client_key": "zhang-1"}
    refused(lambda h: post(platform, "/mall/redemptions", body, zhang, h), 400, "delivery_required",
            {"delivery": "delivery_required"})
    refused(lambda h: post(platform, "/mall/redemptions", {**body, "delivery": {**DELIVERY, "region_code": "110199"}},
                           zhang, h), 400, "address_division_unknown", {"delivery.region_code": "region_unknown"})
    refused(lambda h: post(platform, "/mall/redemptions", {**body, "pickup_site_id": tickets["pickup_sites"][0]["id"]},
                           zhang, h), 422, "pickup_site_not_offered", {"pickup_site_id": "pickup_site_not_offered"})
    assert get(platform, "/me/points", zhang).json()["balance"] == 2
    assert get(platform, f"/mall/items/{item_id}", zhang).json()["stock"] == 3
    assert get(platform, "/mall/redemptions", zhang).json()["items"] == []

    # zhang redeems with delivery details: she sees them masked
    made = post(platform, "/mall/redemptions", {**body, "delivery": DELIVERY}, zhang)
    assert made.status_code == 201, made.text
    assert made.json()["delivery"] == {"recipient": "张*红", "phone": "138****9101", "region_code": "110105",
                                       "region_name": "北京市朝阳区", "address": "朝阳****"}
    redemption_id = made.json()["id"]

    # the mall admin finds it among the pending ones (masked), reads the whole details to post it, fulfils it
    pending = get(platform, "/mall/redemptions?everyone=true&status=pending", admin["Authorization"][7:]).json()
    # other journeys of this test process may have pending redemptions too (without delivery: virtual items)
    assert [r["delivery"]["phone"] for r in pending["items"] if r["id"] == redemption_id] == ["138****9101"]
    refused(lambda h: get(platform, f"/mall/redemptions/{redemption_id}/delivery", zhang, h), 403, "forbidden")
    whole = get(platform, f"/mall/redemptions/{redemption_id}/delivery", admin["Authorization"][7:]).json()
    assert (whole["recipient"], whole["phone"], whole["address"]) == ("张晓红", "13800009101", "朝阳路甲1号院3单元502")
    tracking = {"carrier": "顺丰速运", "tracking_number": "SF1402938475610"}
    done = post(platform, f"/mall/redemptions/{redemption_id}/fulfil", tracking, headers=admin)
    assert done.status_code == 200 and done.json()["status"] == "fulfilled", done.text
    refused(lambda h: post(platform, f"/mall/redemptions/{redemption_id}/fulfil",
                           {**tracking, "tracking_number": "YT9988776655"}, headers={**admin, **h}),
            409, "redemption_already_fulfilled", {"tracking_number": "already_fulfilled"})

    # zhang sees it: the item's name and picture, fulfilled, the carrier and the tracking number
    mine = get(platform, "/mall/redemptions", zhang).json()["items"]
    assert [(r["item"]["name"], r["status"], r["status_label"], r["carrier"], r["tracking_number"]) for r in mine] == [
        ("家庭应急包", "fulfilled", "已发放", "顺丰速运", "SF1402938475610")]
    assert requests.get(mine[0]["item"]["image_url"], timeout=20).content == images.png()
    assert get(platform, f"/mall/redemptions/{redemption_id}", zhang).json()["tracking_number"] == "SF1402938475610"
    refused(lambda h: post(platform, f"/mall/redemptions/{redemption_id}/cancel", None, zhang, h), 409,
            "redemption_already_fulfilled", {"status": "already_fulfilled"})
    assert get(platform, "/me/points", zhang).json()["balance"] == 0

    # li redeems and cancels before it is fulfilled: points and stock come back, once
    hers = post(platform, "/mall/redemptions", {"item_id": item_id, "client_key": "li-1", "delivery": {
        **DELIVERY, "recipient": "李明", "phone": "13800009102"}}, li)
    assert hers.status_code == 201, hers.text
    assert get(platform, "/me/points", li).json()["balance"] == 0
    assert get(platform, f"/mall/items/{item_id}", li).json()["stock"] == 1
    refused(lambda h: post(platform, f"/mall/redemptions/{hers.json()['id']}/cancel", None, zhang, h), 404,
            "not_found")
    for _ in range(2):
        cancelled = post(platform, f"/mall/redemptions/{hers.json()['id']}/cancel", None, li)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    assert get(platform, "/me/points", li).json()["balance"] == 2
    assert get(platform, f"/mall/items/{item_id}", li).json()["stock"] == 2
    assert [e["reason"] for e in get(platform, "/me/points", li).json()["items"]][:2] == [
        "redemption_cancelled", "redemption"]

    # the events a notifications service will tell people from
    fulfilled = [e for e in events(platform, "redemption_fulfilled") if e["redemption_id"] == redemption_id]
    assert [(e["tracking_number"], e["item_name"]) for e in fulfilled] == [("SF1402938475610", "家庭应急包")]
    cancelled = [e for e in events(platform, "redemption_cancelled") if e["redemption_id"] == hers.json()["id"]]
    assert [(e["cancelled_by"], e["points"]) for e in cancelled] == [("owner", 2)]
