"""gateway.edge.Edge: the rules every request passes, the share return's fast path included (a control added
there cannot miss the busiest endpoint, as a Flask hook would)."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from gateway.share_fast_path import ShareReturnFastPath
from services.metrics import contracts


@pytest.fixture
def fast_app(make_app, tmp_path, monkeypatch):
    key_path = tmp_path / contracts.SHARE_KEY_NAME
    app = make_app(SHARE_KEY_FILE=str(key_path), TRUSTED_PROXIES=1)
    seen = []
    original = ShareReturnFastPath._publish

    def watching(self, environ, *args):
        seen.append(dict(environ))
        return original(self, environ, *args)

    monkeypatch.setattr(ShareReturnFastPath, "_publish", watching)
    return app, contracts.load_key(key_path), seen


def signed(key, user):
    return contracts.make_share_id(key, uuid.uuid4(), user, datetime.now(timezone.utc) + timedelta(hours=1))


def test_the_fast_path_sits_behind_the_edge(fast_app, make_token):
    """Trusted proxies, the request id and the security headers reach the fast path's answers."""
    app, key, seen = fast_app
    user = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {make_token(['communicator'], sub=user)}",
               "X-Forwarded-For": "203.0.113.9", "X-Request-ID": "edge-1"}
    client = app.test_client()
    client.post(f"/api/v1/shares/{signed(key, user)}/return", headers=headers)  # Flask verifies the token first
    answer = client.post(f"/api/v1/shares/{signed(key, user)}/return", headers=headers)
    assert answer.status_code == 202 and len(seen) == 1  # answered by the fast path
    assert seen[0]["REMOTE_ADDR"] == "203.0.113.9"  # ProxyFix ran before it
    assert seen[0]["kepu.request_id"] == "edge-1"
    assert answer.headers["X-Request-ID"] == "edge-1"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_request_refused_at_the_edge_never_reaches_the_fast_path(fast_app, make_token):
    app, key, seen = fast_app
    user = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {make_token(['communicator'], sub=user)}"}
    client = app.test_client()
    client.post(f"/api/v1/shares/{signed(key, user)}/return", headers=headers)
    answer = client.post(f"/api/v1/shares/{signed(key, user)}%00/return", headers=headers)
    assert answer.status_code == 400 and seen == []
    assert answer.get_json()["error"]["fields"]["path"]["code"] == "edge_control_character"
    assert answer.headers["X-Content-Type-Options"] == "nosniff" and answer.headers["X-Request-ID"]


def test_every_answer_carries_one_request_id_header(client):
    answer = client.get("/api/v1/nowhere", headers={"X-Request-ID": "abc"})
    assert answer.headers.getlist("X-Request-ID") == ["abc"]
    assert answer.headers.getlist("X-Content-Type-Options") == ["nosniff"]
