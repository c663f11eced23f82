"""nosniff everywhere, no-store on personal answers, /api/v1/system/* only for insiders (issue 11)."""
import pytest

from gateway.tests.conftest import error_of

OUTSIDER = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/openapi.json", "/api/v1/no-such-thing", "/api/v1/docs"])
def test_every_answer_says_nosniff(client, path):
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"


def test_errors_say_nosniff_and_json_answers_run_nothing(client):
    response = client.post("/api/v1/system/pings", data="x", content_type="text/plain")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_authenticated_answers_are_never_stored(client, make_token):
    headers = {"Authorization": f"Bearer {make_token(['platform_admin'])}"}
    response = client.post("/api/v1/system/pings", json={"message": ""}, headers=headers)
    assert response.status_code == 400 and response.headers["Cache-Control"] == "no-store"
    # even a bad token: the request carried a credential
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401 and response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/me"])
def test_sign_in_and_own_areas_are_never_stored_even_anonymously(client, path):
    response = client.post(path, json={})
    assert response.headers["Cache-Control"] == "no-store"


def test_anonymous_public_documents_may_be_cached(client):
    assert "no-store" not in client.get("/api/v1/openapi.json").headers.get("Cache-Control", "")


def test_system_endpoints_answer_insiders(client):
    response = client.get("/api/v1/system/services/nosuch")  # the test client comes from 127.0.0.1
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/system/services/identity", "/api/v1/system/services/nosuch",
                                  "/api/v1/system/pings/3f1c2a5e-0000-4000-8000-000000000000"])
def test_system_endpoints_refuse_outsiders(client, path):
    response = client.get(path, environ_base=OUTSIDER)
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "forbidden" and error["details"]["required_roles"] == ["platform_admin"]
    assert "内部" in error["message"]


def test_system_endpoints_answer_a_platform_admin_from_outside(client, make_token):
    headers = {"Authorization": f"Bearer {make_token(['platform_admin'])}"}
    response = client.get("/api/v1/system/services/nosuch", headers=headers, environ_base=OUTSIDER)
    assert response.status_code == 404


def test_other_roles_and_bad_tokens_from_outside_are_refused(client, make_token):
    headers = {"Authorization": f"Bearer {make_token(['org_admin'])}"}
    assert client.get("/api/v1/system/services/nosuch", headers=headers, environ_base=OUTSIDER).status_code == 403
    response = client.get("/api/v1/system/services/nosuch", headers={"Authorization": "Bearer x"},
                          environ_base=OUTSIDER)
    assert response.status_code == 401


@pytest.mark.parametrize("forwarded", ["203.0.113.7", "127.0.0.1, 203.0.113.7"])
def test_behind_the_proxy_the_client_address_decides_not_the_proxy_or_a_forged_header(make_app, forwarded):
    client = make_app(TRUSTED_PROXIES=1).test_client()
    # the proxy itself is on loopback; the real client is the last X-Forwarded-For entry
    response = client.get("/api/v1/system/services/nosuch", headers={"X-Forwarded-For": forwarded})
    assert response.status_code == 403


def test_internal_networks_are_a_setting(make_app):
    client = make_app(INTERNAL_NETWORKS="10.0.0.0/8").test_client()
    assert client.get("/api/v1/system/services/x", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    assert client.get("/api/v1/system/services/x").status_code == 403  # loopback is no longer listed
