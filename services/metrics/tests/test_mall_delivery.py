"""Prizes that reach people, against real PostgreSQL, RabbitMQ and S3: delivery details sealed and masked,
pickup sites, fulfilment seen by the person, cancelling once, events through the outbox, pictures checked."""
import io
import json
import uuid

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from kepu_common.interfaces.errors import InvalidInput, NotFound, problem_of_remote
from kepu_common.bus.rpc_client import RemoteError, RpcClient
from kepu_common.data.storage import Storage
from services.metrics import ledger
from services.metrics.tests.conftest import query
from tests.images import png

DELIVERY = {"recipient": "王小明", "phone": "138 0013 8000", "region_code": "110105", "address": "朝阳路1号院2楼301"}
TRACKING = {"carrier": "顺丰速运", "tracking_number": "SF1234567890"}
SITE = {"name": "中国科技馆服务台", "region_code": "110105", "address": "北辰东路5号", "hours": "9:00-16:30"}


def call(metrics, method, *args, **kwargs):
    with entrypoint_hook(metrics, method) as hook:
        return hook(*args, **kwargs)


@pytest.fixture
def client(metrics, amqp_uri):
    rpc = RpcClient(amqp_uri, timeout=60)
    yield rpc
    rpc.close()


@pytest.fixture
def store(metrics_config):
    return Storage.from_config(metrics_config["STORAGE"])


def rpc_problem(client, method, *args, **kwargs):
    with pytest.raises(RemoteError) as raised:
        client.call("metrics", method, *args, **kwargs)
    return problem_of_remote(raised.value.exc_type, raised.value.exc_args, "metrics")


def rich_user(db, points=100):
    user = uuid.uuid4()
    with db.cursor() as cur:
        ledger.append(cur, [(user, points, "share", str(uuid.uuid4()))])
    return user


def new_item(metrics, **extra):
    return call(metrics, "create_item", {"name": "家庭应急包", "cost": 10, "stock": 5, **extra})


def redeem(client, user, item_id, quantity=1, **handover):
    return client.call("metrics", "redeem", str(user), {"item_id": item_id, "client_key": uuid.uuid4().hex,
                                                        "quantity": quantity, **handover})["redemption"]


def state(db, user):
    return (query(db, "SELECT balance FROM balances WHERE user_id = %s", user),
            query(db, "SELECT id, stock FROM mall_items ORDER BY id"), query(db, "SELECT count(*) FROM redemptions"),
            query(db, "SELECT count(*) FROM ledger"), query(db, "SELECT count(*) FROM outbox"))


def outbox(db, event_type):
    return [row[0] for row in query(db, "SELECT payload FROM outbox WHERE event_type = %s ORDER BY id", event_type)]


def test_delivery_details_are_sealed_at_rest_masked_when_shown_and_whole_for_the_admin(metrics, db, client):
    found = new_item(metrics)
    user, admin = rich_user(db), str(uuid.uuid4())
    made = redeem(client, user, found["id"], delivery=DELIVERY)
    assert made["method"] == "delivery" and made["item"]["name"] == "家庭应急包"
    assert made["delivery"] == {"recipient": "王*明", "phone": "138****8000", "region_code": "110105",
                                "region_name": "北京市朝阳区", "address": "朝阳****"}
    sealed, = query(db, "SELECT delivery_sealed::text || delivery_masked::text FROM redemptions")[0]
    for secret in ("王小明", "13800138000", "朝阳路1号院"):
        assert secret not in sealed and secret.encode().hex() not in sealed
    # the owner's list and detail, and the admin's list: masked
    assert client.call("metrics", "redemptions", str(user))["items"][0]["delivery"]["phone"] == "138****8000"
    assert client.call("metrics", "get_redemption", str(user), made["id"])["delivery"]["recipient"] == "王*明"
    everyone = client.call("metrics", "redemptions", admin, {"everyone": True}, admin=True)["items"]
    assert everyone[0]["delivery"]["address"] == "朝阳****"
    # the admin fulfilling it reads the whole details, and the read is recorded
    whole = client.call("metrics", "redemption_delivery", admin, made["id"])
    assert whole == {"redemption_id": made["id"], "recipient": "王小明", "phone": "13800138000",
                     "region_code": "110105", "region_name": "北京市朝阳区", "address": "朝阳路1号院2楼301"}
    assert query(db, "SELECT redemption_id::text, admin_id::text FROM mall_delivery_reads") == [(made["id"], admin)]
    # a stranger finds nothing
    assert rpc_problem(client, "get_redemption", str(uuid.uuid4()), made["id"]).status == 404


@pytest.mark.parametrize("case", ["no_delivery", "site_not_offered", "division_unknown", "bad_phone", "both"])
def test_bad_handovers_store_nothing_and_move_no_points_or_stock(metrics, db, client, case):
    posted = new_item(metrics)
    other = new_item(metrics, pickup_sites=[SITE])
    user = rich_user(db)
    before = state(db, user)
    request = {
        "no_delivery": {},
        "site_not_offered": {"pickup_site_id": other["pickup_sites"][0]["id"]},
        "division_unknown": {"delivery": dict(DELIVERY, region_code="110199")},
        "bad_phone": {"delivery": dict(DELIVERY, phone="1380013800")},
        "both": {"delivery": DELIVERY, "pickup_site_id": other["pickup_sites"][0]["id"]},
    }[case]
    problem = rpc_problem(client, "redeem", str(user), {"item_id": posted["id"], "client_key": "k", **request})
    assert (problem.status, problem.code, {k: v["code"] for k, v in problem.fields.items()}) == {
        "no_delivery": (400, "delivery_required", {"delivery": "delivery_required"}),
        "site_not_offered": (422, "pickup_site_not_offered", {"pickup_site_id": "pickup_site_not_offered"}),
        "division_unknown": (400, "address_division_unknown", {"delivery.region_code": "region_unknown"}),
        "bad_phone": (400, "validation_failed", {"delivery.phone": "phone_invalid"}),
        "both": (400, "validation_failed", {"delivery": "choose_one", "pickup_site_id": "choose_one"}),
    }[case]
    assert state(db, user) == before


def test_the_admin_fulfils_with_a_tracking_number_the_person_sees_it_and_another_is_refused(metrics, db, client):
    found = new_item(metrics)
    user, admin = rich_user(db), str(uuid.uuid4())
    made = redeem(client, user, found["id"], delivery=DELIVERY)
    problem = rpc_problem(client, "fulfil_redemption", admin, made["id"], {})
    assert problem.status == 400 and set(problem.fields) == {"carrier", "tracking_number"}
    done = client.call("metrics", "fulfil_redemption", admin, made["id"], TRACKING)
    assert (done["status"], done["carrier"], done["tracking_number"]) == ("fulfilled", "顺丰速运", "SF1234567890")
    seen = client.call("metrics", "get_redemption", str(user), made["id"])
    assert (seen["status"], seen["status_label"], seen["tracking_number"]) == ("fulfilled", "已发放", "SF1234567890")
    assert client.call("metrics", "redemptions", str(user))["items"][0]["tracking_number"] == "SF1234567890"
    # the same again is a retry; another number is refused with its own error, and nothing changes
    assert client.call("metrics", "fulfil_redemption", admin, made["id"], TRACKING)["tracking_number"] == "SF1234567890"
    before = state(db, user)
    problem = rpc_problem(client, "fulfil_redemption", admin, made["id"], dict(TRACKING, tracking_number="YT9999999999"))
    assert (problem.status, problem.code) == (409, "redemption_already_fulfilled")
    assert problem.fields == {"tracking_number": {"code": "already_fulfilled", "params": {}}}
    assert state(db, user) == before
    assert query(db, "SELECT tracking_number FROM redemptions") == [("SF1234567890",)]
    # cancelling it now is refused too; one event for the one fulfilment
    assert rpc_problem(client, "cancel_redemption", str(user), made["id"]).code == "redemption_already_fulfilled"
    events = outbox(db, "redemption_fulfilled")
    assert len(events) == 1
    event = events[0]
    assert (event["redemption_id"], event["user_id"], event["item_name"], event["carrier"], event["tracking_number"],
            event["method"], event["actor_id"]) == (made["id"], str(user), "家庭应急包", "顺丰速运", "SF1234567890",
                                                    "delivery", admin)
    assert "王小明" not in json.dumps(event, ensure_ascii=False) and "13800138000" not in json.dumps(event)


def test_a_pickup_site_the_item_offers_gets_a_pickup_code_and_stays_named_when_taken_off(metrics, db, client):
    found = new_item(metrics, delivery=False, pickup_sites=[SITE, dict(SITE, name="科技馆东门")])
    assert [s["name"] for s in found["pickup_sites"]] == ["中国科技馆服务台", "科技馆东门"]
    assert found["pickup_sites"][0]["region_name"] == "北京市朝阳区"
    user, admin = rich_user(db), str(uuid.uuid4())
    site = found["pickup_sites"][1]
    problem = rpc_problem(client, "redeem", str(user), {"item_id": found["id"], "client_key": "d", "delivery": DELIVERY})
    assert problem.fields == {"delivery": {"code": "delivery_not_offered", "params": {}}}
    made = redeem(client, user, found["id"], pickup_site_id=site["id"])
    assert (made["method"], made["pickup_site"]["name"], made["delivery"]) == ("pickup", "科技馆东门", None)
    # the site is taken off the item: new redemptions cannot name it, the earlier one still does
    kept = call(metrics, "update_item", found["id"], {"pickup_sites": [found["pickup_sites"][0]]})
    assert [s["id"] for s in kept["pickup_sites"]] == [found["pickup_sites"][0]["id"]]
    assert rpc_problem(client, "redeem", str(user), {"item_id": found["id"], "client_key": "x",
                                                     "pickup_site_id": site["id"]}).code == "pickup_site_not_offered"
    done = client.call("metrics", "fulfil_redemption", admin, made["id"], {})
    assert done["pickup_site"]["name"] == "科技馆东门" and len(done["pickup_code"]) == 8
    assert client.call("metrics", "get_redemption", str(user), made["id"])["pickup_code"] == done["pickup_code"]
    assert outbox(db, "redemption_fulfilled")[0]["pickup_code"] == done["pickup_code"]
    with pytest.raises(InvalidInput):  # an item neither posted nor with a site
        call(metrics, "update_item", found["id"], {"pickup_sites": []})
    with pytest.raises(InvalidInput):
        new_item(metrics, delivery=False)


def test_the_owner_cancels_and_points_and_stock_return_exactly_once_under_concurrent_cancels(metrics, db, client):
    found = new_item(metrics, stock=5)
    user, stranger = rich_user(db, 30), str(uuid.uuid4())
    made = redeem(client, user, found["id"], delivery=DELIVERY, quantity=2)
    assert query(db, "SELECT balance FROM balances WHERE user_id = %s", user) == [(10,)]
    assert rpc_problem(client, "cancel_redemption", stranger, made["id"]).status == 404
    outcomes = list(eventlet.GreenPool(20).imap(
        lambda _: client.call("metrics", "cancel_redemption", str(user), made["id"], timeout=60)["status"], range(20)))
    assert outcomes == ["cancelled"] * 20
    assert query(db, "SELECT balance FROM balances WHERE user_id = %s", user) == [(30,)]
    assert query(db, "SELECT stock FROM mall_items") == [(5,)]
    assert query(db, "SELECT reason, delta FROM ledger WHERE user_id = %s ORDER BY id", user) == [
        ("share", 30), ("redemption", -20), ("redemption_cancelled", 20)]
    assert query(db, "SELECT cancelled_by, decided_by::text FROM redemptions") == [("owner", str(user))]
    events = outbox(db, "redemption_cancelled")
    assert [(e["redemption_id"], e["cancelled_by"], e["points"]) for e in events] == [(made["id"], "owner", 20)]
    with db.cursor() as cur:
        assert ledger.mismatches(cur) == []
    # fulfilling what was cancelled is refused, with the status in the reader's words
    problem = rpc_problem(client, "fulfil_redemption", stranger, made["id"], TRACKING)
    assert (problem.status, problem.message, problem.params) == (409, "redemption_already_decided", {"status": "已取消"})


def test_an_admin_cancels_with_a_reason(metrics, db, client):
    found = new_item(metrics)
    user, admin = rich_user(db), str(uuid.uuid4())
    made = redeem(client, user, found["id"], delivery=DELIVERY)
    done = client.call("metrics", "cancel_redemption", admin, made["id"], {"reason": "库存盘点有误"}, admin=True)
    assert (done["status"], done["cancelled_by"], done["cancel_reason"]) == ("cancelled", "admin", "库存盘点有误")
    assert outbox(db, "redemption_cancelled")[0]["reason"] == "库存盘点有误"


def test_the_same_client_key_with_other_delivery_details_is_a_conflict(metrics, db, client):
    found = new_item(metrics)
    user = rich_user(db)
    body = {"item_id": found["id"], "client_key": "same", "delivery": DELIVERY}
    first = client.call("metrics", "redeem", str(user), body)
    again = client.call("metrics", "redeem", str(user), dict(body, delivery=dict(DELIVERY, phone="+8613800138000")))
    assert not again["created"] and again["redemption"]["id"] == first["redemption"]["id"]
    problem = rpc_problem(client, "redeem", str(user), dict(body, delivery=dict(DELIVERY, address="别处")))
    assert (problem.status, problem.fields["client_key"]["code"]) == (409, "client_key_reused")
    assert query(db, "SELECT count(*) FROM redemptions") == [(1,)]


def test_item_pictures_are_checked_images_and_shown_on_items_and_redemptions(metrics, db, client, store):
    bucket = store.bucket("resources")
    picture, fake = "mall/items/a", "mall/items/b"
    store.put_stream(bucket, picture, io.BytesIO(png()), len(png()), content_type="image/png")
    html = b"\x89PNG\r\n\x1a\n<html>not an image</html>"
    store.put_stream(bucket, fake, io.BytesIO(html), len(html), content_type="image/png")
    store.put_stream(bucket, "elsewhere/c", io.BytesIO(png()), len(png()), content_type="image/png")
    problem = rpc_problem(client, "create_item", {"name": "x", "cost": 1, "stock": 1,
                                                  "image_keys": [picture, fake, "elsewhere/c", "mall/items/none"]})
    assert {k: v["code"] for k, v in problem.fields.items()} == {
        "image_keys.1": "not_an_image", "image_keys.2": "no_such_upload", "image_keys.3": "no_such_upload"}
    assert query(db, "SELECT count(*) FROM mall_items") == [(0,)]
    found = new_item(metrics, image_keys=[picture])
    assert found["images"][0]["content_type"] == "image/png" and found["image_url"] == found["images"][0]["url"]
    assert picture in found["image_url"]
    assert client.call("metrics", "get_item", found["id"])["image_url"].split("?")[0] == found["image_url"].split("?")[0]
    user = rich_user(db)
    redeem(client, user, found["id"], delivery=DELIVERY)
    listed = client.call("metrics", "redemptions", str(user))["items"][0]["item"]
    assert listed["name"] == "家庭应急包" and picture in listed["image_url"]


def test_an_item_off_sale_is_found_only_by_admins(metrics, client):
    found = new_item(metrics, active=False)
    assert rpc_problem(client, "get_item", found["id"]).status == 404
    assert client.call("metrics", "get_item", found["id"], admin=True)["active"] is False
    with pytest.raises(NotFound):
        call(metrics, "get_item", str(uuid.uuid4()), admin=True)


def test_pictures_no_item_names_are_found_for_removal(metrics, db, store):
    from datetime import datetime, timedelta, timezone

    from services.metrics import mall_images

    bucket = store.bucket("resources")
    for key in ("mall/items/used", "mall/items/dropped", "mall/items/never"):
        store.put_stream(bucket, key, io.BytesIO(png()), len(png()), content_type="image/png")
    store.put_stream(bucket, "resources/else", io.BytesIO(png()), len(png()), content_type="image/png")
    found = new_item(metrics, image_keys=["mall/items/used", "mall/items/dropped"])
    call(metrics, "update_item", found["id"], {"image_keys": ["mall/items/used"]})
    with db.cursor() as cur:
        later = datetime.now(timezone.utc) + timedelta(minutes=5)
        assert sorted(mall_images.abandoned(cur, store, later)) == ["mall/items/dropped", "mall/items/never"]
        assert mall_images.abandoned(cur, store, datetime.now(timezone.utc) - timedelta(days=1)) == []
