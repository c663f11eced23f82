"""The notification routes through the gateway: the inbox in both languages, marking read, someone else's
notification refused, preferences refusing unknown kinds, and all of it in the OpenAPI document."""
import os
import uuid

import psycopg2
import pytest

from gateway.tests.conftest import error_of
from kepu_common.interfaces.contracts import make_event
from kepu_common.devtools.testing import mint_token, publish_events, wait_for
from services.identity.dependencies import read_secret
from services.identity.phone_vault import PhoneVault
from services.identity.service import IdentityService


def schema_of(spec, ref_or_schema):
    ref = ref_or_schema.get("$ref") or ref_or_schema.get("items", {}).get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def test_openapi_documents_the_inbox_and_preferences(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    inbox = spec["paths"]["/api/v1/me/notifications"]["get"]
    assert {"page", "page_size", "unread_only"} <= {p["name"] for p in inbox["parameters"]}
    page = schema_of(spec, inbox["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"items", "page", "page_size", "has_more", "total", "unread"} <= set(page["properties"])
    assert "404" in spec["paths"]["/api/v1/me/notifications/read"]["post"]["responses"]
    assert "404" in spec["paths"]["/api/v1/me/notifications/{notification_id}/read"]["post"]["responses"]
    assert "get" in spec["paths"]["/api/v1/me/notifications/unread-count"]
    preferences = spec["paths"]["/api/v1/me/notification-preferences"]
    assert {"get", "put"} <= set(preferences) and "400" in preferences["put"]["responses"]


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService, NOTIFICATIONS={"quiet_hours": "off"})


def person(identity):
    user_id = str(uuid.uuid4())
    with psycopg2.connect(identity.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        vault = PhoneVault(read_secret(os.environ["IDENTITY_SECRET_KEY_FILE"]))  # the services' (conftest)
        cur.execute("INSERT INTO users (id, phone_lookup, phone_sealed, phone_masked, password_hash) "
                    "VALUES (%s, %s, %s, %s, 'x')", (user_id, *vault.columns(f"137{uuid.uuid4().int % 10**8:08d}", user_id)))
    return user_id


def test_the_inbox_through_the_gateway(identity, client, amqp_uri, jwt_keys):
    reader, other = person(identity), person(identity)
    auth = {"Authorization": f"Bearer {mint_token(jwt_keys['private'], sub=reader)}"}
    other_auth = {"Authorization": f"Bearer {mint_token(jwt_keys['private'], sub=other)}"}
    publish_events(amqp_uri, [make_event("user_verification_rejected", "identity", verification_id=str(uuid.uuid4()),
                                         user_id=user, comment="照片模糊") for user in (reader, other)])
    wait_for(lambda: client.get("/api/v1/me/notifications", headers=auth).get_json()["total"] == 1)
    wait_for(lambda: client.get("/api/v1/me/notifications", headers=other_auth).get_json()["total"] == 1)

    listed = client.get("/api/v1/me/notifications", headers=auth).get_json()
    [item] = listed["items"]
    assert item["title"] == "实名认证未通过" and "照片模糊" in item["body"] and item["read"] is False
    english = client.get("/api/v1/me/notifications", headers=dict(auth, **{"Accept-Language": "en"})).get_json()
    assert english["items"][0]["title"] == "Real-name verification rejected"
    assert client.get("/api/v1/me/notifications/unread-count", headers=auth).get_json() == {"unread": 1}
    beyond = client.get("/api/v1/me/notifications?page=5", headers=auth).get_json()
    assert (beyond["items"], beyond["has_more"], beyond["total"]) == ([], False, 1)
    too_big = client.get("/api/v1/me/notifications?page_size=101", headers=auth)
    assert too_big.status_code == 400 and "page_size" in error_of(too_big)["fields"]

    theirs = client.get("/api/v1/me/notifications", headers=other_auth).get_json()["items"][0]["id"]
    refused = client.post(f"/api/v1/me/notifications/{theirs}/read", headers=auth)
    assert refused.status_code == 404
    error = error_of(refused)
    assert error["code"] == "not_found" and error["message"] == "没有这条通知，或它不属于您。"
    assert error["details"]["ids"] == [theirs]
    refused_en = client.post("/api/v1/me/notifications/read", json={"ids": [theirs]},
                             headers=dict(auth, **{"Accept-Language": "en"}))
    assert error_of(refused_en)["message"] == "No such notification, or it is not yours."
    neither = client.post("/api/v1/me/notifications/read", json={}, headers=auth)
    assert neither.status_code == 400 and error_of(neither)["fields"]["ids"]["code"] == "notification_ids_or_all"

    marked = client.post(f"/api/v1/me/notifications/{item['id']}/read", headers=auth)
    assert marked.status_code == 200 and marked.get_json() == {"marked": 1, "unread": 0}
    assert client.get("/api/v1/me/notifications/unread-count", headers=other_auth).get_json() == {"unread": 1}
    assert client.post("/api/v1/me/notifications/read", json={"all": True}, headers=other_auth).get_json() == {
        "marked": 1, "unread": 0}


def test_preferences_through_the_gateway(identity, client, jwt_keys):
    auth = {"Authorization": f"Bearer {mint_token(jwt_keys['private'], sub=person(identity))}"}
    preferences = client.get("/api/v1/me/notification-preferences", headers=auth).get_json()
    assert preferences["sms"]["verification_rejected"] is True and preferences["sms_daily_limit"] == 5
    unknown = client.put("/api/v1/me/notification-preferences", json={"sms": {"no_such_kind": False}}, headers=auth)
    assert unknown.status_code == 400
    field = error_of(unknown)["fields"]["sms.no_such_kind"]
    assert field["code"] == "notification_kind_unknown" and "no_such_kind" in field["message"]
    never = client.put("/api/v1/me/notification-preferences", json={"sms": {"resource_published": True}},
                       headers=auth)
    assert error_of(never)["fields"]["sms.resource_published"]["code"] == "notification_sms_not_offered"
    not_bool = client.put("/api/v1/me/notification-preferences", json={"sms": {"org_rejected": "maybe"}},
                          headers=auth)
    assert not_bool.status_code == 400
    changed = client.put("/api/v1/me/notification-preferences", json={"sms": {"org_rejected": False}}, headers=auth)
    assert changed.status_code == 200 and changed.get_json()["sms"]["org_rejected"] is False
    assert client.get("/api/v1/me/notification-preferences", headers=auth).get_json()["sms"]["org_rejected"] is False
    assert client.get("/api/v1/me/notifications").status_code == 401
