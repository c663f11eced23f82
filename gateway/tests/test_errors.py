"""Every error a client can cause gets the envelope, the right status and a readable message."""
import pytest

from nameko.exceptions import serialize

from gateway.errors import from_remote_error
from kepu_common.interfaces import errors
from gateway.tests.conftest import error_of
from kepu_common.bus.rpc_client import RemoteError


def test_unknown_path_is_404_with_a_hint(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "not_found" and "接口文档" in error["message"]  # Chinese text names no path
    english = error_of(client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"}))
    assert "/api/v1/docs" in english["message"]


def test_wrong_method_is_405(client):
    response = client.delete("/api/v1/system/pings")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_malformed_json_is_400(client, make_token):
    response = client.post("/api/v1/system/pings", data='{"message": ', content_type="application/json",
                           headers={"Authorization": f"Bearer {make_token(['platform_admin'])}"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_json"


def test_wrong_content_type_is_415_and_says_what_to_send(client, make_token):
    response = client.post("/api/v1/system/pings", data="message=hi", content_type="application/x-www-form-urlencoded",
                           headers={"Authorization": f"Bearer {make_token(['platform_admin'])}"})
    assert response.status_code == 415
    # Chinese text names no MIME type (issue 23); the English one says what to send
    assert error_of(response)["message"] == "请求内容须为 JSON 格式。"
    english = client.post("/api/v1/system/pings", data="message=hi", content_type="application/x-www-form-urlencoded",
                          headers={"Authorization": f"Bearer {make_token(['platform_admin'])}",
                                   "Accept-Language": "en"})
    assert "application/json" in error_of(english)["message"]


def test_oversized_body_is_413(make_app, make_token):
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()
    response = client.post("/api/v1/system/pings", data='{"message": "' + "x" * 4096 + '"}',
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {make_token(['platform_admin'])}"})
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_schema_violations_name_each_field(client, make_token):
    response = client.post("/api/v1/system/pings", json={"message": "", "extra": 1},
                           headers={"Authorization": f"Bearer {make_token(['platform_admin'])}"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert error["fields"]["message"]["code"] == "length_between"
    assert error["fields"]["extra"] == {"code": "unknown_field", "message": "不认识的字段。"}


def test_request_id_is_kept_when_sane_and_replaced_when_not(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"]
    assert replaced and "<" not in replaced


def test_error_body_carries_the_request_id(client):
    response = client.get("/api/v1/nothing", headers={"X-Request-ID": "trace-me"})
    assert error_of(response)["request_id"] == "trace-me"


class VenueFull(errors.KepuError):  # a class the gateway has never heard of
    status, code = 423, "venue_full"


def _remote(exc, service="identity"):
    serialized = serialize(exc)
    return RemoteError(service, serialized["exc_type"], serialized["exc_args"], serialized["value"])


@pytest.mark.parametrize("cls", [errors.InvalidInput, errors.Unauthorized, errors.Forbidden, errors.NotFound,
                                 errors.Conflict, errors.TooLarge, errors.UnsupportedMediaType, errors.RuleBroken,
                                 errors.RateLimited, errors.Unavailable, VenueFull])
def test_every_error_class_maps_by_what_it_carries(make_app, cls):
    with make_app().test_request_context():
        response = from_remote_error(_remote(cls("not_found", {"phone": "required"})))
    assert response.status_code == cls.status
    body = response.get_json()["error"]
    assert body["code"] == cls.code
    assert body["fields"] == {"phone": {"code": "required", "message": "此项必填。"}}


def test_messages_follow_accept_language(make_app):
    error = _remote(errors.RateLimited("rate_limited", {"phone": ("too_long", {"max": 11})}, retry_after=30))
    with make_app().test_request_context(headers={"Accept-Language": "en-GB,en;q=0.8"}):
        english = from_remote_error(error).get_json()["error"]
    with make_app().test_request_context():
        chinese = from_remote_error(error).get_json()["error"]
    assert english["message"] == "Too many attempts; try again in 30 seconds."
    assert chinese["message"] == "操作过于频繁，请 30 秒后再试。"
    assert english["fields"]["phone"] == {"code": "too_long", "message": "Longer than the maximum length 11."}
    assert chinese["fields"]["phone"]["code"] == "too_long"


def test_a_schema_error_from_a_service_keeps_field_codes(make_app):
    from marshmallow import Schema, ValidationError, fields

    try:
        Schema.from_dict({"name": fields.String(required=True)})().load({})
    except ValidationError as exc:
        remote = _remote(errors.InvalidInput.from_messages(exc.messages))
    with make_app().test_request_context():
        body = from_remote_error(remote).get_json()["error"]
    assert body["code"] == "validation_failed" and body["fields"]["name"]["code"] == "required"


def test_unmapped_remote_error_is_500_without_internals(make_app):
    with make_app().test_request_context():
        response = from_remote_error(RemoteError("identity", "KeyError", ["secret_column"], "'secret_column'"))
    assert response.status_code == 500
    assert "secret_column" not in response.get_data(as_text=True)
