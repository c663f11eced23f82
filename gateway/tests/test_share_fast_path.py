"""The share return's fast path (gateway/share_fast_path.py) gives exactly the answer Flask's view gives, and
leaves every other request to Flask."""
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from gateway import requests_log
from gateway.share_fast_path import ShareReturnFastPath
from gateway.tests.conftest import error_of
from gateway.tests.test_share_returns import queued
from services.metrics import contracts

VARYING = {"X-Request-ID"}


@pytest.fixture
def share_key(tmp_path):
    path = tmp_path / contracts.SHARE_KEY_NAME
    return str(path), contracts.load_key(path)


@pytest.fixture
def apps(make_app, share_key, monkeypatch):
    """The same gateway with and without the fast path; counts the requests the fast path answered."""
    fast, slow = make_app(SHARE_KEY_FILE=share_key[0]), make_app(SHARE_KEY_FILE=share_key[0], SHARE_FAST_PATH=False)
    assert isinstance(fast.wsgi_app, ShareReturnFastPath) and not isinstance(slow.wsgi_app, ShareReturnFastPath)
    answered = []
    original = ShareReturnFastPath._publish

    def counting(self, *args):
        answered.append(args[2])
        return original(self, *args)

    monkeypatch.setattr(ShareReturnFastPath, "_publish", counting)
    return fast, slow, answered


def signed(share_key, user, hours=1):
    return contracts.make_share_id(share_key[1], uuid.uuid4(), user, datetime.now(timezone.utc) + timedelta(hours=hours))


def same_answer(fast_answer, slow_answer):
    assert fast_answer.status_code == slow_answer.status_code, (fast_answer.get_json(), slow_answer.get_json())
    assert fast_answer.get_json() == slow_answer.get_json()
    fast_headers = {k: v for k, v in fast_answer.headers.items() if k not in VARYING}
    slow_headers = {k: v for k, v in slow_answer.headers.items() if k not in VARYING}
    assert fast_headers == slow_headers


def test_an_accepted_return_is_answered_by_the_fast_path_exactly_as_by_flask(apps, make_token, share_key, amqp_uri):
    fast, slow, answered = apps
    user = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {make_token(['communicator'], sub=user)}"}
    fast_client, slow_client = fast.test_client(), slow.test_client()
    first = signed(share_key, user)
    assert fast_client.post(f"/api/v1/shares/{first}/return", headers=headers).status_code == 202
    assert answered == []  # a token not verified yet: Flask verified it (and cached it)
    share_id = signed(share_key, user)
    slow_client.post(f"/api/v1/shares/{first}/return", headers=headers)
    same_answer(fast_client.post(f"/api/v1/shares/{share_id}/return", headers=headers),
                slow_client.post(f"/api/v1/shares/{share_id}/return", headers=headers))
    assert answered == [share_id]
    events = [json.loads(m.body) for m in queued(amqp_uri)]
    assert [e["share_id"] for e in events].count(str(contracts.verify_share_id(share_key[1], share_id, user,
                                                                      datetime.now(timezone.utc)))) == 2
    assert {e["user_id"] for e in events} == {user}


def test_the_request_id_is_echoed_when_sane_and_made_otherwise(apps, make_token, share_key):
    fast, _, answered = apps
    user = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {make_token(['communicator'], sub=user)}"}
    client = fast.test_client()
    client.post(f"/api/v1/shares/{signed(share_key, user)}/return", headers=headers)  # caches the token
    sane = client.post(f"/api/v1/shares/{signed(share_key, user)}/return", headers={**headers, "X-Request-ID": "abc-1.2"})
    made = client.post(f"/api/v1/shares/{signed(share_key, user)}/return",
                       headers={**headers, "X-Request-ID": "bad id\u202e"})
    assert len(answered) == 2
    assert sane.headers["X-Request-ID"] == "abc-1.2"
    assert len(made.headers["X-Request-ID"]) == 32 and made.headers["X-Request-ID"].isalnum()


def test_the_fast_path_is_counted_under_the_same_route_as_flask(apps, make_token, share_key):
    fast, _, answered = apps
    user = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {make_token(['communicator'], sub=user)}"}
    client = fast.test_client()
    client.post(f"/api/v1/shares/{signed(share_key, user)}/return", headers=headers)
    counter = requests_log.REQUESTS.labels("/api/v1/shares/<share_id>/return", "POST", "202")
    before = counter._value.get()
    client.post(f"/api/v1/shares/{signed(share_key, user)}/return", headers=headers)
    assert answered and counter._value.get() == before + 1


def test_everything_it_cannot_prove_goes_to_flask_with_the_same_answer(apps, make_token, share_key, amqp_uri):
    fast, slow, answered = apps
    user, other = str(uuid.uuid4()), str(uuid.uuid4())
    token = make_token(["communicator"], sub=user)
    headers = {"Authorization": f"Bearer {token}"}
    fast_client, slow_client = fast.test_client(), slow.test_client()
    fast_client.post(f"/api/v1/shares/{signed(share_key, user)}/return", headers=headers)  # token cached
    mine = signed(share_key, user)
    late = signed(share_key, user, hours=-1)
    forged = mine[:-3] + ("abc" if not mine.endswith("abc") else "abd")
    variants = [
        ("someone else's share", "POST", f"/api/v1/shares/{signed(share_key, other)}/return", headers, None),
        ("forged", "POST", f"/api/v1/shares/{forged}/return", headers, None),
        ("after the window", "POST", f"/api/v1/shares/{late}/return", headers, None),
        ("not a share id", "POST", "/api/v1/shares/x/return", headers, None),
        ("upper-case hex", "POST", f"/api/v1/shares/{mine.upper()}/return", headers, None),
        ("no token", "POST", f"/api/v1/shares/{mine}/return", {}, None),
        ("another scheme", "POST", f"/api/v1/shares/{mine}/return", {"Authorization": f"Token {token}"}, None),
        ("a token never verified", "POST", f"/api/v1/shares/{mine}/return",
         {"Authorization": f"Bearer {make_token(['communicator'], sub=user, ttl=-10)}"}, None),
        ("a query string", "POST", f"/api/v1/shares/{mine}/return?x=%00", headers, None),
        ("a body", "POST", f"/api/v1/shares/{mine}/return", headers, {"share_id": mine}),
        ("GET", "GET", f"/api/v1/shares/{mine}/return", headers, None),
        ("a trailing slash", "POST", f"/api/v1/shares/{mine}/return/", headers, None),
    ]
    for name, method, path, request_headers, body in variants:
        request_headers = {**request_headers, "X-Request-ID": "same-id"}  # error bodies carry it
        answers = [client.open(path, method=method, headers=request_headers, json=body)
                   for client in (fast_client, slow_client)]
        assert answers[0].status_code != 202 or name in ("a query string", "a body"), name
        same_answer(*answers)
    assert answered == []
    assert all(json.loads(m.body)["user_id"] == user for m in queued(amqp_uri))


def test_an_account_without_the_communicator_role_earns_nothing_by_either_path(apps, make_token, share_key, amqp_uri):
    fast, slow, answered = apps
    user = str(uuid.uuid4())
    for roles in ([], ["org_admin"]):  # signed up but not verified; an organization's admin
        headers = {"Authorization": f"Bearer {make_token(roles, sub=user)}", "X-Request-ID": "same-id"}
        for _ in range(2):  # the second time the token is cached: the fast path sees it and still refuses
            share_id = signed(share_key, user)
            answers = [client.post(f"/api/v1/shares/{share_id}/return", headers=headers)
                       for client in (fast.test_client(), slow.test_client())]
            same_answer(*answers)
            assert answers[0].status_code == 403 and error_of(answers[0])["code"] == "forbidden"
            assert error_of(answers[0])["details"]["required_roles"] == ["communicator"]
    assert answered == []
    assert [m for m in queued(amqp_uri) if json.loads(m.body)["user_id"] == user] == []


def test_a_broker_that_does_not_confirm_gets_503_from_flask_and_one_publish(make_app, make_token, share_key,
                                                                             monkeypatch):
    app = make_app(SHARE_KEY_FILE=share_key[0], AMQP_URI="amqp://guest:guest@127.0.0.1:9//", SHARE_CONFIRM_TIMEOUT=1.0)
    user = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {make_token(['communicator'], sub=user)}"}
    client = app.test_client()
    assert client.post(f"/api/v1/shares/{signed(share_key, user)}/return", headers=headers).status_code == 503
    publisher = app.extensions["share_returns"]
    attempts = []
    original = publisher.publish
    monkeypatch.setattr(publisher, "publish", lambda event: (attempts.append(event), original(event)))
    answer = client.post(f"/api/v1/shares/{signed(share_key, user)}/return", headers=headers)
    assert answer.status_code == 503
    assert error_of(answer)["details"]["dependency"] == "broker"
    assert len(attempts) == 1  # the fast path's; Flask's view did not publish again
