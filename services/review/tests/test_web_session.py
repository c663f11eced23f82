"""The review UI's session, CSRF and headers through Flask's test client against a real review service
(RPC over RabbitMQ, PostgreSQL, S3). Identity is not running here: a sign-in refused with 400 was refused
before anyone was asked."""
import re

import pytest

from kepu_common.data.storage import Storage
from services.review.tests.test_service import ADMIN, as_, call, publish, request_review, review, user  # noqa: F401
from services.review.tests.test_web import body, signed_in, ui  # noqa: F401
from services.review.web import create_app, settings_from_env
from services.review.web.sessions import EncryptedSerializer


def cookie_header(response):
    return "; ".join(response.headers.getlist("Set-Cookie"))


def app_with(review, amqp_uri, storage_settings, jwt_keys, **settings):
    Storage.from_config(storage_settings).ensure_buckets()
    return create_app({"secret_key": "test-secret", "amqp_uri": amqp_uri, "storage": storage_settings,
                       "jwt": {"public_key": jwt_keys["public"], "issuer": "kepu-identity", "audience": "kepu"},
                       **settings})


def test_the_session_cookie_is_httponly_lax_and_encrypted(ui, make_token):
    client = ui.test_client()
    page = client.get("/login")
    flags = cookie_header(page)
    assert "review_session=" in flags and "HttpOnly" in flags and "SameSite=Lax" in flags and "Secure" not in flags
    admin = signed_in(ui, make_token, ADMIN, ["platform_admin"])
    cookie = admin.get_cookie("review_session").value
    assert "135****0001" not in cookie and "eyJ" not in cookie  # neither the phone nor a token shows through
    opened = EncryptedSerializer(["test-secret"]).loads(cookie, max_age=3600)
    assert opened["phone"] == "135****0001" and opened["access_token"].startswith("eyJ")
    assert admin.get("/").status_code == 200


def test_outside_development_the_cookie_is_secure_and_host_only(review, amqp_uri, storage_settings, jwt_keys):
    app = app_with(review, amqp_uri, storage_settings, jwt_keys, secure_cookies=True)
    try:
        flags = cookie_header(app.test_client().get("/login", base_url="https://review.example"))
        assert flags.startswith("__Host-review=") and "Secure" in flags and "HttpOnly" in flags
        assert "SameSite=Lax" in flags and "Path=/" in flags and "Domain" not in flags
    finally:
        app.extensions["rpc"].close()


def test_kepu_env_production_means_secure_cookies(tmp_path, monkeypatch):
    (tmp_path / "secret").write_text("s")
    (tmp_path / "public.pem").write_text("k")
    files = {"REVIEW_UI_SECRET_KEY_FILE": str(tmp_path / "secret"), "JWT_PUBLIC_KEY_FILE": str(tmp_path / "public.pem")}
    assert settings_from_env({**files, "KEPU_ENV": "production"})["secure_cookies"] is True
    assert settings_from_env({**files, "KEPU_ENV": "development"})["secure_cookies"] is False
    assert settings_from_env(files)["secure_cookies"] is False
    assert settings_from_env({**files, "KEPU_ENV": "production", "REVIEW_UI_SECURE_COOKIES": "0"})["secure_cookies"] is False
    assert settings_from_env({**files, "REVIEW_UI_SECURE_COOKIES": "1"})["secure_cookies"] is True
    assert settings_from_env(files)["metrics_networks"] == "127.0.0.0/8,::1/128"


def test_a_readable_or_altered_cookie_signs_nobody_in(ui, make_token):
    admin = signed_in(ui, make_token, ADMIN, ["platform_admin"])
    cookie = admin.get_cookie("review_session").value
    admin.set_cookie("review_session", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"))
    refused = admin.get("/tasks")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    # a cookie of the old kind (Flask's signed JSON, made with the same secret) is not a session any more
    from flask.sessions import SecureCookieSessionInterface
    old = SecureCookieSessionInterface().get_signing_serializer(ui).dumps(
        {"access_token": make_token(["platform_admin"], sub=user(ADMIN)), "csrf_token": "token"})
    forged = ui.test_client()
    forged.set_cookie("review_session", old)
    assert forged.get("/tasks").status_code == 302


def test_sign_in_needs_the_forms_csrf_token(ui):
    client = ui.test_client()
    no_token = client.post("/login", data={"phone": "13500000001", "password": "x"})
    assert no_token.status_code == 400 and "表单已失效" in body(no_token)
    client.get("/login")  # the form's token now sits in this browser's session
    wrong = client.post("/login", data={"phone": "13500000001", "password": "x", "csrf_token": "guessed"})
    assert wrong.status_code == 400
    page = client.get("/login", headers={"Accept-Language": "en"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    # another browser's token (a forging site's own session) does not open this one
    stranger = ui.test_client()
    stranger.get("/login")
    assert stranger.post("/login", data={"phone": "1", "password": "x", "csrf_token": token}).status_code == 400
    # with its own token the form reaches identity (not running in this test: the UI says it is unavailable)
    assert client.post("/login", data={"phone": "13500000001", "password": "x", "csrf_token": token}).status_code == 503


@pytest.mark.parametrize("path", ["/logout", "/tasks/{id}/claim", "/tasks/{id}/release", "/tasks/{id}/decision",
                                  "/decisions"])
@pytest.mark.parametrize("sent", [None, "", "guessed"])
def test_every_post_form_needs_the_sessions_csrf_token(ui, review, amqp_uri, make_token, path, sent):
    request_review(review, amqp_uri, "r-csrf")
    task, = call(review, "list_tasks", as_(ADMIN))
    admin = signed_in(ui, make_token, ADMIN, ["platform_admin"])
    form = {"decision": "approved", "task_ids": [task["id"]]}
    if sent is not None:
        form["csrf_token"] = sent
    refused = admin.post(path.format(id=task["id"]), data=form)
    assert refused.status_code == 400 and "表单已失效" in body(refused)
    after, = call(review, "list_tasks", as_(ADMIN))
    assert after["status"] == "open" and after["claimed_by"] is None  # nothing happened
    assert admin.get("/").status_code == 200  # still signed in


def test_every_response_carries_the_policy_and_nosniff(ui, review, amqp_uri, make_token):
    request_review(review, amqp_uri, "r-headers")
    task, = call(review, "list_tasks", as_(ADMIN))
    admin = signed_in(ui, make_token, ADMIN, ["platform_admin"])
    responses = {"login": ui.test_client().get("/login"), "queues": admin.get("/"), "tasks": admin.get("/tasks"),
                 "task": admin.get(f"/tasks/{task['id']}"), "bad filter": admin.get("/tasks?stage=bogus"),
                 "not found": admin.get("/tasks/00000000-0000-4000-8000-000000000000"),
                 "no route": admin.get("/nowhere"), "redirect": ui.test_client().get("/tasks"),
                 "static": admin.get("/static/review.css"), "healthz": admin.get("/healthz")}
    for name, response in responses.items():
        policy = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, name
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        assert (response.headers.get("Cache-Control") == "no-store") is (name != "static"), name


def test_inline_scripts_run_with_the_pages_nonce_only(ui, review, amqp_uri, make_token):
    request_review(review, amqp_uri, "r-nonce")
    task, = call(review, "list_tasks", as_(ADMIN))
    admin = signed_in(ui, make_token, ADMIN, ["platform_admin"])
    seen = set()
    for path in ("/tasks", f"/tasks/{task['id']}"):
        response = admin.get(path)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        scripts = re.findall(r"<script([^>]*)>", response.get_data(as_text=True))
        assert scripts and all(f'nonce="{nonce}"' in attributes for attributes in scripts), path
        seen.add(nonce)
    assert len(seen) == 2  # a fresh nonce per response


def test_metrics_only_for_the_allowed_networks(ui, review, amqp_uri, storage_settings, jwt_keys):
    assert ui.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    outside = ui.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 404 and b"kepu_review" not in outside.data
    scraped = app_with(review, amqp_uri, storage_settings, jwt_keys, metrics_networks="10.0.0.0/8")
    try:
        assert scraped.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "10.3.4.5"}).status_code == 200
        assert scraped.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404
    finally:
        scraped.extensions["rpc"].close()
    # behind one trusted proxy, the address that counts is the client's, not the proxy's
    proxied = app_with(review, amqp_uri, storage_settings, jwt_keys, trusted_proxies=1)
    try:
        via_proxy = proxied.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                              headers={"X-Forwarded-For": "203.0.113.9"})
        assert via_proxy.status_code == 404
    finally:
        proxied.extensions["rpc"].close()


@pytest.fixture
def identity(start_service):
    from services.identity.service import IdentityService

    return start_service(IdentityService)


NEXT_ATTACKS = ["/%09/evil.example/", "//evil.example", "/\\evil.example", "https://evil.example",
                "javascript:alert(1)", "/%2F%2Fevil.example", "/%5Cevil.example", "JaVaScRiPt%3Aalert(1)",
                "%2F%2Fevil.example", "/metrics"]


def test_a_real_sign_in_rotates_the_session_and_goes_only_to_pages_of_the_ui(ui, identity):
    from urllib.parse import quote, urlsplit

    from services.identity.cli import create_admin

    create_admin(identity.config["DATABASE_URL"], "13500000009", "Kepu-Review-2026")

    def sign_in(next_value):
        client = ui.test_client()
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        before = client.get_cookie("review_session").value
        done = client.post(f"/login?next={quote(next_value, safe='')}",
                           data={"phone": "13500000009", "password": "Kepu-Review-2026", "csrf_token": token})
        assert done.status_code == 302, body(done)
        after = client.get_cookie("review_session").value
        opened = EncryptedSerializer(["test-secret"]).loads(after, max_age=3600)
        assert after != before and opened["csrf_token"] != token  # a new session and a new form token
        assert "HttpOnly" in cookie_header(done) and "SameSite=Lax" in cookie_header(done)
        location = urlsplit(done.headers["Location"])
        assert location.netloc in ("", "localhost") and location.scheme in ("", "http"), done.headers["Location"]
        return location.path + (f"?{location.query}" if location.query else "")

    for attack in NEXT_ATTACKS:
        assert sign_in(attack) == "/", attack
    assert sign_in("/tasks?stage=realname") == "/tasks?stage=realname"
