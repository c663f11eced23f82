"""The share-return hot path in the gateway, without a broker: the event it publishes is the contract's, its
answer is the documented one, and a token verified once is trusted only until it expires, in its own app."""
import importlib
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from gateway import create_app
from kepu_common.interfaces.contracts import load_event
from kepu_common.operations.keys import generate_pair
from services.metrics import contracts

USER = str(uuid.uuid4())
auth = importlib.import_module("gateway.auth")  # the package's `auth` attribute is its auth blueprint


class RecordingPublisher:
    def __init__(self):
        self.events = []

    def publish(self, event):
        self.events.append(json.loads(json.dumps(event)))  # as it travels


@pytest.fixture
def make_app(jwt_keys, amqp_uri, storage_settings, tmp_path):
    apps = []

    def make(public_key=None):
        app = create_app({"AMQP_URI": amqp_uri, "JWT_PUBLIC_KEYS": [public_key or jwt_keys["public"]],
                          "STORAGE": storage_settings, "TESTING": True,
                          "SHARE_KEY_FILE": str(tmp_path / contracts.SHARE_KEY_NAME)})
        app.extensions["share_returns"] = RecordingPublisher()
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["rpc"].close()


def a_share(tmp_path, user=USER):
    key = contracts.load_key(tmp_path / contracts.SHARE_KEY_NAME)
    return contracts.make_share_id(key, uuid.uuid4(), user, datetime.now(timezone.utc) + timedelta(hours=1))


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_return_publishes_the_contracts_event_and_answers_202(make_app, make_token, tmp_path):
    app = make_app()
    share = a_share(tmp_path)
    answer = app.test_client().post(f"/api/v1/shares/{share}/return", headers=bearer(make_token(["communicator"], sub=USER)))
    assert answer.status_code == 202 and answer.mimetype == "application/json"
    assert answer.get_json() == {"share_id": share, "status": "accepted"}
    (event,) = app.extensions["share_returns"].events
    loaded = load_event(event)
    assert (loaded["share_id"].hex, str(loaded["user_id"]), loaded["source"]) == (share.split(".")[0], USER, "gateway")


def test_a_token_is_verified_once_and_trusted_only_until_it_expires(make_app, make_token, tmp_path, monkeypatch):
    app = make_app()
    client = app.test_client()
    verified = []
    verify = auth._verify
    monkeypatch.setattr(auth, "_verify", lambda token: verified.append(token) or verify(token))
    token = make_token(["communicator"], sub=USER, ttl=30)
    for _ in range(3):
        assert client.post(f"/api/v1/shares/{a_share(tmp_path)}/return", headers=bearer(token)).status_code == 202
    assert len(verified) == 1
    claims, until = app.extensions["verified_tokens"][token]
    assert until <= claims["exp"]  # never trusted past its expiry
    later = until + 1  # past the trusted time: the token is verified again
    monkeypatch.setattr(auth, "time", type("Later", (), {"time": staticmethod(lambda: later)}))
    client.post(f"/api/v1/shares/{a_share(tmp_path)}/return", headers=bearer(token))
    assert len(verified) == 2
    expired = make_token(["communicator"], sub=USER, ttl=-10)
    for _ in range(2):  # a refused token is never kept
        assert client.post(f"/api/v1/shares/{a_share(tmp_path)}/return", headers=bearer(expired)).status_code == 401
    assert verified.count(expired) == 2


def test_a_token_verified_by_one_app_is_not_trusted_by_an_app_with_other_keys(make_app, make_token, tmp_path):
    token = make_token(["communicator"], sub=USER)
    trusting = make_app().test_client()
    assert trusting.post(f"/api/v1/shares/{a_share(tmp_path)}/return", headers=bearer(token)).status_code == 202
    _, other_public = generate_pair()
    other = make_app(public_key=other_public).test_client()
    assert other.post(f"/api/v1/shares/{a_share(tmp_path)}/return", headers=bearer(token)).status_code == 401
