"""The mall's routes against a running metrics service: pictures uploaded and checked as images, delivery
details masked except for the mall admin, fulfilment and cancelling, each refusal in the envelope."""
import uuid

import psycopg2
import pytest

from gateway.tests.conftest import error_of
from services.metrics import ledger
from services.metrics.service import MetricsService
from tests.images import png

DELIVERY = {"recipient": "李四海", "phone": "13912345678", "region_code": "441900", "address": "南城街道宏图路8号"}


@pytest.fixture
def metrics(start_service, tmp_path):
    return start_service(MetricsService, METRICS={"share_key_file": str(tmp_path / "share.key"),
                                                  "mall_key_file": str(tmp_path / "mall.key")})


@pytest.fixture
def headers(make_token):
    def make(*roles, sub=None):
        return {"Authorization": f"Bearer {make_token(list(roles), sub=sub or str(uuid.uuid4()))}"}

    return make


def give_points(metrics, user, points):
    conn = psycopg2.connect(metrics.config["DATABASE_URL"])
    conn.autocommit = True
    with conn.cursor() as cur:
        ledger.append(cur, [(user, points, "share", str(uuid.uuid4()))])
    conn.close()


def upload(client, body, auth, content_type="image/png"):
    return client.post("/api/v1/mall/images", data=body, headers={**auth, "Content-Type": content_type})


def test_pictures_are_checked_as_images_and_only_mall_admins_upload_them(metrics, client, headers):
    admin = headers("platform_admin")
    assert upload(client, png(), headers("communicator")).status_code == 403
    fake = b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>" * 10
    for body in (b"GIF89a" + b"\0" * 64, fake, b"%PDF-1.4 not a picture"):
        answer = upload(client, body, admin)
        assert answer.status_code == 415, answer.text
        assert error_of(answer)["fields"] == {"image": {"code": "not_an_image", "message": error_of(answer)["fields"]
                                                        ["image"]["message"]}}
    stored = upload(client, png(), admin)
    assert stored.status_code == 201, stored.text
    assert stored.get_json()["content_type"] == "image/png" and stored.get_json()["image_key"].startswith("mall/items/")
    made = client.post("/api/v1/mall/items", json={"name": "天文望远镜入门款", "cost": 10, "stock": 3,
                                                   "image_keys": [stored.get_json()["image_key"]]}, headers=admin)
    assert made.status_code == 201, made.text
    shown = client.get(f"/api/v1/mall/items/{made.get_json()['id']}", headers=headers("communicator"))
    assert shown.status_code == 200 and shown.get_json()["image_url"]
    assert client.get(f"/api/v1/mall/items/{uuid.uuid4()}", headers=admin).status_code == 404


def test_a_redemption_is_masked_for_its_owner_whole_for_the_mall_admin_and_cancelled_by_its_owner(metrics, client,
                                                                                                   headers):
    admin, user = headers("platform_admin"), str(uuid.uuid4())
    person = headers("communicator", sub=user)
    item = client.post("/api/v1/mall/items", json={"name": "家庭应急包", "cost": 25, "stock": 2}, headers=admin).get_json()
    give_points(metrics, user, 60)
    answer = client.post("/api/v1/mall/redemptions", json={"item_id": item["id"], "client_key": "a"}, headers=person)
    assert answer.status_code == 400 and error_of(answer)["code"] == "delivery_required"
    answer = client.post("/api/v1/mall/redemptions", json={"item_id": item["id"], "client_key": "a",
                                                           "delivery": dict(DELIVERY, region_code="441999")},
                         headers={**person, "Accept-Language": "en"})
    assert answer.status_code == 400 and error_of(answer)["code"] == "address_division_unknown"
    assert "441999" in error_of(answer)["message"] and "{" not in error_of(answer)["message"]
    made = client.post("/api/v1/mall/redemptions", json={"item_id": item["id"], "client_key": "a",
                                                         "delivery": DELIVERY}, headers=person)
    assert made.status_code == 201, made.text
    redemption = made.get_json()
    assert redemption["delivery"] == {"recipient": "李*海", "phone": "139****5678", "region_code": "441900",
                                      "region_name": "广东省东莞市", "address": "南城****"}
    assert redemption["item"]["name"] == "家庭应急包" and redemption["status_label"] == "待发放"
    path = f"/api/v1/mall/redemptions/{redemption['id']}"
    assert client.get(path, headers=headers("communicator")).status_code == 404
    assert client.get(f"{path}/delivery", headers=person).status_code == 403
    whole = client.get(f"{path}/delivery", headers=admin)
    assert whole.status_code == 200 and whole.get_json()["phone"] == "13912345678"
    # the owner cancels (no body needed), again answers the same; points and stock are back
    for _ in range(2):
        cancelled = client.post(f"{path}/cancel", headers=person)
        assert cancelled.status_code == 200, cancelled.text
        assert (cancelled.get_json()["status"], cancelled.get_json()["cancelled_by"]) == ("cancelled", "owner")
    assert client.get("/api/v1/me/points", headers=person).get_json()["balance"] == 60
    assert client.get(f"/api/v1/mall/items/{item['id']}", headers=person).get_json()["stock"] == 2
    answer = client.post(f"{path}/fulfil", json={"carrier": "顺丰速运", "tracking_number": "SF1234567890"},
                         headers=admin)
    assert answer.status_code == 409 and "已取消" in error_of(answer)["message"]


def test_fulfilment_is_seen_by_the_person_and_a_second_tracking_number_is_refused(metrics, client, headers):
    admin, user = headers("platform_admin"), str(uuid.uuid4())
    person = headers("communicator", sub=user)
    item = client.post("/api/v1/mall/items", json={"name": "科普图书", "cost": 5, "stock": 2}, headers=admin).get_json()
    give_points(metrics, user, 5)
    made = client.post("/api/v1/mall/redemptions", json={"item_id": item["id"], "client_key": "b",
                                                         "delivery": DELIVERY}, headers=person).get_json()
    path = f"/api/v1/mall/redemptions/{made['id']}"
    assert client.post(f"{path}/fulfil", json={"carrier": "顺丰速运", "tracking_number": "SF1"}, headers=person) \
        .status_code == 403
    answer = client.post(f"{path}/fulfil", headers=admin)
    assert answer.status_code == 400 and set(error_of(answer)["fields"]) == {"carrier", "tracking_number"}
    done = client.post(f"{path}/fulfil", json={"carrier": "顺丰速运", "tracking_number": "SF1234567890"}, headers=admin)
    assert done.status_code == 200, done.text
    mine = client.get("/api/v1/mall/redemptions", headers=person).get_json()["items"]
    assert [(r["status_label"], r["carrier"], r["tracking_number"]) for r in mine] == [
        ("已发放", "顺丰速运", "SF1234567890")]
    answer = client.post(f"{path}/fulfil", json={"carrier": "顺丰速运", "tracking_number": "YT0000000001"},
                         headers=admin)
    assert answer.status_code == 409 and error_of(answer)["code"] == "redemption_already_fulfilled"
    assert error_of(answer)["fields"]["tracking_number"]["code"] == "already_fulfilled"
    answer = client.post(f"{path}/cancel", headers=person)
    assert answer.status_code == 409 and error_of(answer)["code"] == "redemption_already_fulfilled"


def test_the_mall_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/mall/items/{item_id}", "/api/v1/mall/images", "/api/v1/mall/redemptions/{redemption_id}",
                 "/api/v1/mall/redemptions/{redemption_id}/delivery", "/api/v1/mall/redemptions/{redemption_id}/fulfil",
                 "/api/v1/mall/redemptions/{redemption_id}/cancel"):
        assert path in paths, path
    assert "get" in paths["/api/v1/mall/items/{item_id}"]
    assert "delivery" in str(paths["/api/v1/mall/redemptions"]["post"])


def test_only_communicators_redeem_points_and_start_shares(metrics, client, headers):
    admin = headers("platform_admin")
    item = client.post("/api/v1/mall/items", json={"name": "科普图书一套", "cost": 1, "stock": 5}, headers=admin).get_json()
    user = str(uuid.uuid4())
    give_points(metrics, user, 100)  # points from before (or seeded): still no redemption without the role
    for roles in ((), ("org_admin",)):
        someone = headers(*roles, sub=user)
        answer = client.post("/api/v1/mall/redemptions", json={"item_id": item["id"], "client_key": "r",
                                                               "delivery": DELIVERY}, headers=someone)
        assert answer.status_code == 403 and error_of(answer)["details"]["required_roles"] == ["communicator"]
        answer = client.post("/api/v1/shares", json={"content_type": "resource", "content_id": str(uuid.uuid4()),
                                                     "channel": "qq"}, headers=someone)
        assert answer.status_code == 403 and error_of(answer)["details"]["required_roles"] == ["communicator"]
    answer = client.post("/api/v1/mall/redemptions", json={"item_id": item["id"], "client_key": "r",
                                                           "delivery": DELIVERY}, headers=headers("communicator", sub=user))
    assert answer.status_code == 201, answer.text
