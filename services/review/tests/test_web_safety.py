"""Pure rules of the review UI's safety: where sign-in may send a reviewer, the headers, who reads /metrics,
and the encrypted session cookie."""
import json
import base64

import pytest
from itsdangerous import BadSignature

from kepu_common.operations import networks
from services.review.web import safety
from services.review.web.sessions import BORN, EncryptedSerializer

HOME = "/"

ATTACKS = [
    "/%09/evil.example/",          # the example: the tab is dropped, //evil.example/ is another host
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%0a/evil.example",
    "/%0d%0a/evil.example",
    "/%2509/evil.example",         # encoded twice
    "/\t/evil.example",
    "/ /evil.example",
    " //evil.example",
    "https://evil.example",
    "HTTPS://evil.example/tasks",
    "http:evil.example",
    "//evil.example/tasks",
    "/tasks@evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "/javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "tasks",
    "/tasks/../../evil",
    "/tasks/%2e%2e/%2e%2e",
    "/ｅvil.example",                # full-width letters fold to ASCII in some URL parsers
    "/tasks#//evil.example",
    "/logout",                     # a page that exists but is not a page to land on
    "/metrics",
    "/static/review.css",
    "/tasks?next=//evil.example",
    "",
    None,
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", ATTACKS)
def test_next_refuses_everything_that_is_not_a_page_of_the_ui(target):
    assert safety.next_target(target, HOME) == HOME


@pytest.mark.parametrize("target", ["/", "/tasks", "/tasks?stage=realname&status=open&page=2",
                                    "/tasks/7b2ad8a4-3f5e-4c4b-9b51-2d8d1a1b0c77", "/tasks?status=decided"])
def test_next_keeps_pages_of_the_ui(target):
    assert safety.next_target(target, HOME) == target


def test_next_after_a_redirect_to_sign_in_keeps_the_page_asked_for():
    # request.full_path of a page without a query ends with "?"
    assert safety.next_target("/tasks?", HOME) == "/tasks"
    assert safety.next_target("/?", HOME) == "/"


def test_the_policy_forbids_framing_and_foreign_scripts_and_allows_previews_from_storage():
    headers = safety.security_headers("n0nce", "https://files.example", personal=True)
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self' 'nonce-n0nce'" in policy
    assert "unsafe-inline" not in policy and "img-src 'self' https://files.example" in policy
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in safety.security_headers("n", "", personal=False)


def test_storage_origin_is_the_public_endpoint_when_there_is_one():
    assert safety.storage_origin({"endpoint": "http://minio:9000", "public_endpoint": "https://files.example/x"}) \
        == "https://files.example"
    assert safety.storage_origin({"endpoint": "http://127.0.0.1:9000", "public_endpoint": ""}) == "http://127.0.0.1:9000"
    assert safety.storage_origin({"endpoint": "javascript:alert(1)"}) == ""


@pytest.mark.parametrize("address,allowed", [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True),
                                             ("::ffff:127.0.0.1", True), ("10.0.0.5", False), ("203.0.113.9", False),
                                             ("", False), (None, False), ("not-an-address", False)])
def test_metrics_readers_by_address_loopback_by_default(address, allowed):
    assert networks.is_internal(address, networks.parse_networks(networks.LOOPBACK)) is allowed


def test_metrics_readers_from_named_networks():
    scrapers = networks.parse_networks("10.0.0.0/8, 192.168.1.7")
    assert networks.is_internal("10.42.0.3", scrapers) and networks.is_internal("192.168.1.7", scrapers)
    assert not networks.is_internal("192.168.1.8", scrapers) and not networks.is_internal("127.0.0.1", scrapers)


class Clock:
    def __init__(self, now=1_800_000_000):
        self.now = now

    def __call__(self):
        return self.now


def test_the_cookie_hides_its_content_and_opens_with_the_key():
    clock = Clock()
    serializer = EncryptedSerializer(["secret"], clock=clock)
    cookie = serializer.dumps({"phone": "13500000001", "refresh_token": "eyJhbGciOi.secret-refresh"})
    raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
    assert b"13500000001" not in raw and b"refresh" not in raw and b"eyJ" not in raw
    assert "13500000001" not in cookie and "eyJ" not in cookie
    opened = serializer.loads(cookie, max_age=3600)
    assert opened["phone"] == "13500000001" and opened[BORN] == clock.now


def test_a_cookie_from_another_key_or_altered_is_refused():
    cookie = EncryptedSerializer(["secret"]).dumps({"phone": "13500000001"})
    with pytest.raises(BadSignature):
        EncryptedSerializer(["another secret"]).loads(cookie, max_age=3600)
    altered = cookie[:-6] + ("A" if cookie[-6] != "A" else "B") + cookie[-5:]
    with pytest.raises(BadSignature):
        EncryptedSerializer(["secret"]).loads(altered, max_age=3600)
    with pytest.raises(BadSignature):
        EncryptedSerializer(["secret"]).loads("not a cookie", max_age=3600)
    # a signed-but-readable cookie of the old kind is not accepted either
    old_kind = base64.urlsafe_b64encode(json.dumps({"phone": "1"}).encode()).decode() + ".sig.sig"
    with pytest.raises(BadSignature):
        EncryptedSerializer(["secret"]).loads(old_kind, max_age=3600)


def test_an_old_secret_still_opens_cookies_while_keys_rotate():
    cookie = EncryptedSerializer(["old secret"]).dumps({"phone": "13500000001"})
    assert EncryptedSerializer(["new secret", "old secret"]).loads(cookie, max_age=3600)["phone"] == "13500000001"


def test_a_cookie_dies_on_the_servers_clock_idle_and_absolute():
    clock = Clock()
    serializer = EncryptedSerializer(["secret"], absolute_lifetime=24 * 3600, clock=clock)
    cookie = serializer.dumps({"phone": "1"})
    clock.now += 12 * 3600 + 1  # idle longer than the session lifetime, whatever the browser kept
    with pytest.raises(BadSignature):
        serializer.loads(cookie, max_age=12 * 3600)
    # busy all day: rewritten every hour, yet over after 24 hours from sign-in
    clock.now -= 12 * 3600 + 1
    for _ in range(24):
        data = serializer.loads(cookie, max_age=12 * 3600)
        clock.now += 3600
        cookie = serializer.dumps(data)
    clock.now += 1
    with pytest.raises(BadSignature):
        serializer.loads(cookie, max_age=12 * 3600)
