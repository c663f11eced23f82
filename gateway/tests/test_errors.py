"""Every error a client can cause gets the envelope, the right status and a readable message."""
import pytest

from gateway.errors import REMOTE_ERRORS, from_remote_error
from gateway.tests.conftest import error_of
from kepu_common.rpc_client import RemoteError


def test_unknown_path_is_404_with_a_hint(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "not_found" and "/api/v1/docs" in error["message"]


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
    assert "application/json" in error_of(response)["message"]


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
    assert set(error["fields"]) == {"message", "extra"}


def test_request_id_is_kept_when_sane_and_replaced_when_not(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"]
    assert replaced and "<" not in replaced


def test_error_body_carries_the_request_id(client):
    response = client.get("/api/v1/nothing", headers={"X-Request-ID": "trace-me"})
    assert error_of(response)["request_id"] == "trace-me"


@pytest.mark.parametrize("exc_type,status", sorted((k, v[0]) for k, v in REMOTE_ERRORS.items()))
def test_remote_errors_map_through_the_one_table(make_app, exc_type, status):
    with make_app().test_request_context():
        response = from_remote_error(RemoteError("identity", exc_type, ["what went wrong", {"field": "why"}], "x"))
    assert response.status_code == status
    body = response.get_json()["error"]
    assert body["code"] == REMOTE_ERRORS[exc_type][1]
    assert "Traceback" not in body["message"]


def test_domain_error_keeps_message_and_fields(make_app):
    with make_app().test_request_context():
        response = from_remote_error(RemoteError("identity", "Conflict", ["手机号已注册", {"phone": "taken"}], ""))
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == "手机号已注册"
    assert response.get_json()["error"]["fields"] == {"phone": "taken"}


def test_unmapped_remote_error_is_500_without_internals(make_app):
    with make_app().test_request_context():
        response = from_remote_error(RemoteError("identity", "KeyError", ["secret_column"], "'secret_column'"))
    assert response.status_code == 500
    assert "secret_column" not in response.get_data(as_text=True)
