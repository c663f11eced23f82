"""The gateway's views with a fake RPC client and a fake object store (gateway/tests/fakes.py): no broker, no
service, no storage, so a 404, a 403 or a refused body is checked in milliseconds. What each view must do is the
same as in the route tests beside this file, which run the real services: refuse before any call what the gateway
itself refuses (roles, request schemas, hostile or oversized bodies), pass the signed-in person and the caller's
language to the service, and turn what the service raises into the one error envelope."""
import uuid

import pytest

from gateway import body_rules, create_app
from gateway.tests.conftest import error_of
from gateway.tests.fakes import FakeRpc, FakeStorage
from kepu_common.interfaces.errors import Conflict, Forbidden, NotFound, RuleBroken
from kepu_common.bus.rpc_client import BrokerUnavailable, RpcTimeout
from tests.images import png

ITEM = {"id": "6f1c1f0e-52a4-4d7e-9d55-0d3b6c1a2b3c", "name": "天文望远镜入门款", "description": "", "cost": 10,
        "stock": 3, "active": True, "created_at": "2026-12-01T02:00:00+00:00", "delivery": True, "pickup_sites": [],
        "images": [], "image_url": None}


@pytest.fixture(scope="module")
def gateway_app(jwt_keys):
    return create_app({
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:9//",  # never used: the fake answers every call
        "JWT_PUBLIC_KEYS": [jwt_keys["public"]],
        "TESTING": True,
    })


@pytest.fixture
def app(gateway_app):
    """The app made once per module (building the OpenAPI is most of the time), with new fakes for each test."""
    gateway_app.extensions["rpc"] = FakeRpc()
    gateway_app.extensions["storage"] = FakeStorage()
    return gateway_app


@pytest.fixture
def rpc(app):
    return app.extensions["rpc"]


@pytest.fixture
def store(app):
    return app.extensions["storage"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(make_token):
    def make(*roles, sub=None):
        return {"Authorization": f"Bearer {make_token(list(roles), sub=sub or str(uuid.uuid4()))}"}

    return make


# --- the mall (metrics) ------------------------------------------------------------------------------------------

def test_an_item_the_service_does_not_know_is_404_in_the_envelope_in_the_readers_language(client, rpc, auth):
    item = str(uuid.uuid4())
    rpc.fail("metrics", "get_item", NotFound("mall_item_not_found", item_id=item))
    answer = client.get(f"/api/v1/mall/items/{item}", headers=auth("communicator"))
    assert answer.status_code == 404
    error = error_of(answer)
    assert error["code"] == "not_found"
    assert error["message"] not in ("mall_item_not_found", "not_found")  # a catalogue text, zh-CN by default
    english = client.get(f"/api/v1/mall/items/{item}", headers={**auth("communicator"), "Accept-Language": "en"})
    assert error_of(english)["message"] != error["message"]
    # the service was asked for that item as a non-admin, and told the reader's language the second time
    (_, _, args, kwargs, context), (*_, english_context) = rpc.called("metrics", "get_item")
    assert args == [item] and kwargs == {"admin": False}
    assert "locale" not in (context or {}) and english_context["locale"] == "en"


def test_an_item_is_shown_through_its_schema(client, rpc, auth):
    rpc.answer("metrics", "get_item", {**ITEM, "internal_note": "never shown"})
    answer = client.get(f"/api/v1/mall/items/{ITEM['id']}", headers=auth("platform_admin"))
    assert answer.status_code == 200, answer.text
    assert answer.get_json() == ITEM  # what the schema does not name stays behind
    assert rpc.called("metrics", "get_item")[0][3] == {"admin": True}


def test_a_malformed_item_id_is_404_without_a_call(client, rpc, auth):
    answer = client.get("/api/v1/mall/items/not-a-uuid", headers=auth("communicator"))
    assert answer.status_code == 404
    assert error_of(answer)["code"] == "not_found"
    assert rpc.calls == []


def test_only_mall_admins_create_items_and_nothing_is_asked_of_the_service_otherwise(client, rpc, auth):
    body = {"name": "科普读物", "cost": 5, "stock": 1}
    assert client.post("/api/v1/mall/items", json=body).status_code == 401
    refused = client.post("/api/v1/mall/items", json=body, headers=auth("communicator"))
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "forbidden"
    assert rpc.calls == []


@pytest.mark.parametrize("body, field, code", [
    ({"cost": 5, "stock": 1}, "name", "required"),
    ({"name": "科普读物", "cost": 0, "stock": 1}, "cost", "out_of_range"),
    ({"name": "科普读物", "cost": "5", "stock": 1}, "cost", "not_an_integer"),
    ({"name": "科普读物", "cost": 5, "stock": -1}, "stock", "out_of_range"),
    ({"name": "x" * 101, "cost": 5, "stock": 1}, "name", "length_between"),
])
def test_an_item_the_schema_refuses_is_400_naming_the_field_and_never_reaches_the_service(client, rpc, auth, body,
                                                                                           field, code):
    answer = client.post("/api/v1/mall/items", json=body, headers=auth("platform_admin"))
    assert answer.status_code == 400, answer.text
    error = error_of(answer)
    assert error["code"] == "validation_failed"
    assert error["fields"][field]["code"] == code, error
    assert error["fields"][field]["message"] != code
    assert rpc.calls == []


def test_an_item_made_by_a_mall_admin_is_sent_as_the_schema_loaded_it(client, rpc, auth):
    rpc.answer("metrics", "create_item", with_=lambda item: {**ITEM, "name": item["name"], "cost": item["cost"]})
    answer = client.post("/api/v1/mall/items", json={"name": "科普读物", "cost": 5, "stock": 1},
                         headers=auth("platform_admin"))
    assert answer.status_code == 201, answer.text
    assert answer.get_json()["name"] == "科普读物" and answer.get_json()["cost"] == 5
    (_, _, (sent,), _, _), = rpc.called("metrics", "create_item")
    assert sent == {"name": "科普读物", "description": "", "cost": 5, "stock": 1, "active": True, "delivery": True,
                    "image_keys": [], "pickup_sites": []}


def test_a_picture_is_checked_as_an_image_before_anything_is_stored(client, store, auth):
    admin = {**auth("platform_admin"), "Content-Type": "image/png"}
    refused = client.post("/api/v1/mall/images", data=b"GIF89a" + b"\0" * 64, headers=admin)
    assert refused.status_code == 415
    assert error_of(refused)["fields"]["image"]["code"] == "not_an_image"
    assert client.post("/api/v1/mall/images", data=png(), headers={**auth("communicator"),
                                                                    "Content-Type": "image/png"}).status_code == 403
    assert store.objects == {}
    picture = png()
    stored = client.post("/api/v1/mall/images", data=picture, headers=admin)
    assert stored.status_code == 201, stored.text
    key = stored.get_json()["image_key"]
    assert stored.get_json() == {"image_key": key, "content_type": "image/png", "size": len(picture)}
    ((bucket, objects),) = store.objects.items()
    assert objects == {key: (picture, "image/png")}


def test_a_redemption_the_rules_refuse_comes_back_as_the_services_own_error(client, rpc, auth):
    rpc.fail("metrics", "redeem", RuleBroken("out_of_stock", {"quantity": "out_of_stock"}, details={"stock": 0},
                                             stock=0))
    user = str(uuid.uuid4())
    answer = client.post("/api/v1/mall/redemptions", headers=auth("communicator", sub=user),
                         json={"item_id": ITEM["id"], "quantity": 1, "client_key": "k-1"})
    if answer.status_code == 400:  # the request schema names what else it wants: the service is never asked
        assert rpc.calls == []
        pytest.fail(f"the redemption body in this test no longer fits the schema: {answer.text}")
    assert answer.status_code == 422, answer.text
    error = error_of(answer)
    assert error["code"] == "rule_broken" and error["fields"]["quantity"]["code"] == "out_of_stock"
    assert error["details"] == {"stock": 0}
    assert rpc.called("metrics", "redeem")[0][2][0] == user  # the signed-in person, from the token only


# --- notifications (identity) ------------------------------------------------------------------------------------

def test_marking_someone_elses_notifications_is_404_naming_them(client, rpc, auth):
    user, missing = str(uuid.uuid4()), str(uuid.uuid4())
    rpc.fail("identity", "mark_notifications_read",
             NotFound("notification_not_found", {"ids": "notification_not_found"}, details={"ids": [missing]}))
    answer = client.post("/api/v1/me/notifications/read", json={"ids": [missing]}, headers=auth(sub=user))
    assert answer.status_code == 404
    error = error_of(answer)
    assert error["details"] == {"ids": [missing]} and error["fields"]["ids"]["code"] == "notification_not_found"
    ((_, _, args, _, _),) = rpc.called("identity", "mark_notifications_read")
    assert args == [user, {"ids": [missing], "all": False}]


def test_a_mark_read_body_with_neither_ids_nor_all_is_400_before_any_call(client, rpc, auth):
    for body in ({}, {"ids": []}, {"ids": ["not-a-uuid"]}, {"ids": [str(uuid.uuid4())] * 101}):
        answer = client.post("/api/v1/me/notifications/read", json=body, headers=auth())
        assert answer.status_code == 400, (body, answer.text)
        assert error_of(answer)["code"] == "validation_failed"
    assert rpc.calls == []


def test_the_inbox_is_the_signed_in_persons(client, rpc, auth):
    user = str(uuid.uuid4())
    page = {"items": [{"id": str(uuid.uuid4()), "kind": "activity_approved", "title": "活动已通过审核", "body": "…",
                       "link": None, "read": False, "created_at": "2026-12-01T02:00:00+00:00", "read_at": None}],
            "total": 1, "unread": 1, "has_more": False}
    rpc.answer("identity", "list_notifications", page)
    answer = client.get("/api/v1/me/notifications", headers=auth(sub=user))
    assert answer.status_code == 200, answer.text
    assert answer.get_json()["unread"] == 1 and answer.get_json()["items"][0]["title"] == "活动已通过审核"
    assert rpc.called("identity", "list_notifications")[0][2][0] == user
    assert client.get("/api/v1/me/notifications").status_code == 401
    assert len(rpc.calls) == 1


# --- any view: what the transport reports ------------------------------------------------------------------------

def test_a_service_that_does_not_answer_is_503_with_retry_after(client, rpc, auth):
    rpc.down("identity", "unread_notifications", RpcTimeout("identity", "unread_notifications", 3.0))
    answer = client.get("/api/v1/me/notifications/unread-count", headers=auth())
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert error_of(answer)["code"] == "dependency_unavailable"
    assert error_of(answer)["details"] == {"dependency": "identity"}
    rpc.down("identity", "unread_notifications", BrokerUnavailable("message broker unreachable"))
    answer = client.get("/api/v1/me/notifications/unread-count", headers=auth())
    assert answer.status_code == 503 and error_of(answer)["details"] == {"dependency": "broker"}


def test_a_service_error_unknown_to_the_envelope_is_500_without_its_text(client, rpc, auth):
    rpc.fail("identity", "unread_notifications", KeyError("secret internals"))
    answer = client.get("/api/v1/me/notifications/unread-count", headers=auth())
    assert answer.status_code == 500
    assert error_of(answer)["code"] == "internal_error" and "secret" not in answer.text


def test_the_request_id_travels_to_the_service(client, rpc, auth):
    rpc.answer("identity", "unread_notifications", {"unread": 0})
    answer = client.get("/api/v1/me/notifications/unread-count", headers={**auth(), "X-Request-ID": "req-unit-1"})
    assert answer.status_code == 200 and answer.get_json() == {"unread": 0}
    assert answer.headers["X-Request-ID"] == "req-unit-1"
    assert rpc.calls[0][4]["request_id"] == "req-unit-1"


@pytest.mark.parametrize("error, status", [(Forbidden("not_org_admin"), 403), (Conflict("client_key_reused"), 409)])
def test_each_service_error_class_keeps_its_status(client, rpc, auth, error, status):
    rpc.fail("metrics", "get_item", error)
    answer = client.get(f"/api/v1/mall/items/{ITEM['id']}", headers=auth("communicator"))
    assert answer.status_code == status
    assert error_of(answer)["code"] == error.code


def test_a_call_no_test_described_fails_loudly(client, auth):
    with pytest.raises(AssertionError):
        client.application.extensions["rpc"].call("metrics", "points", "u-1")


def test_a_streamed_upload_a_server_gives_no_socket_is_taken_and_said_once(app, client, rpc, store, auth, caplog):
    """Under granian (no `gunicorn.socket`: the API side of the split gateway) a streamed upload still works, but
    the slow-client cut cannot act: one warning per process names the misrouting (docs/architecture.md)."""
    body_rules.warn_streams_without_their_server.cache_clear()
    user, org = str(uuid.uuid4()), str(uuid.uuid4())
    rpc.answer("resources", "stream_target", with_=lambda user_id, upload_id: {
        "size": 5, "org_id": org, "bucket": "fake-uploads", "key": f"uploads/{upload_id}", "content_type": "text/plain"})
    rpc.answer("resources", "complete_upload", with_=lambda user_id, upload_id, received: {
        "id": upload_id, "status": "complete", "size": received["received"]["size"]})
    app.testing = False
    try:
        for _ in range(2):
            upload_id = str(uuid.uuid4())
            answer = client.put(f"/api/v1/uploads/{upload_id}/content", data=b"hello",
                                headers={**auth("org_admin", sub=user), "Content-Type": "text/plain",
                                         "Content-Length": "5"},
                                environ_base={"SERVER_SOFTWARE": "granian"})
            assert answer.status_code == 200, answer.text
            assert store.objects["fake-uploads"][f"uploads/{upload_id}"][0] == b"hello"
    finally:
        app.testing = True
    said = [r for r in caplog.records if "without the client socket" in r.getMessage()]
    assert len(said) == 1 and said[0].levelname == "WARNING" and "granian" in said[0].getMessage()
    assert "/api/v1/uploads/<uuid:upload_id>/content" in said[0].getMessage()


def test_every_streamed_body_a_server_gives_no_socket_is_said_once_per_route(app, client, auth, caplog):
    """Not only upload content: the images (appointment letter, licence, mall pictures) stream too, and under
    granian their reads have no time-out either. Each such route is named once; gunicorn (a socket) and JSON
    routes say nothing."""
    body_rules.warn_streams_without_their_server.cache_clear()
    streamed = [rule.rule for rule in app.url_map.iter_rules()
                if body_rules._streams(app.view_functions[rule.endpoint])]
    assert "/api/v1/me/appointment-letter" in streamed and len(streamed) >= 4, streamed
    headers = {**auth("org_admin"), "Content-Type": "image/png", "Content-Length": "3"}
    app.testing = False
    try:
        for _ in range(2):
            client.post("/api/v1/me/appointment-letter", data=b"png", headers=headers,
                        environ_base={"SERVER_SOFTWARE": "granian"})
        client.post("/api/v1/me/appointment-letter", data=b"png", headers=headers,
                    environ_base={"SERVER_SOFTWARE": "gunicorn/23", "gunicorn.socket": object()})
        client.post("/api/v1/me/notifications/read", json={"ids": []}, headers=auth(),
                    environ_base={"SERVER_SOFTWARE": "granian"})
    finally:
        app.testing = True
    said = [r.getMessage() for r in caplog.records if "without the client socket" in r.getMessage()]
    assert len(said) == 1 and "/api/v1/me/appointment-letter" in said[0] and "granian" in said[0], said
