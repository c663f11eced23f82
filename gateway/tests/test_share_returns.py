"""POST /shares/{id}/return in the gateway alone: checked without RPC, published confirmed and persistent
to the durable queue metrics reads, 503 naming the broker when it is away."""
import json
import uuid
from datetime import datetime, timedelta, timezone

import kombu
import pytest

from gateway.share_events import QUEUE
from kepu_common.bus.amqp import declare_consumer_queue
from gateway.tests.conftest import error_of
from services.metrics import contracts


@pytest.fixture
def share_key(tmp_path):
    path = tmp_path / contracts.SHARE_KEY_NAME
    return str(path), contracts.load_key(path)


def returning(make_app, make_token, share_key, **overrides):
    user = str(uuid.uuid4())
    client = make_app(SHARE_KEY_FILE=share_key[0], **overrides).test_client()
    headers = {"Authorization": f"Bearer {make_token(['communicator'], sub=user)}"}
    return client, headers, user


def queued(amqp_uri):
    """Every message waiting in metrics' share_returned queue."""
    messages = []
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        declare_consumer_queue(channel, "gateway", "share_returned", QUEUE)  # as metrics does at start
        while True:
            message = channel.basic_get(QUEUE, no_ack=True)
            if message is None:
                return messages
            messages.append(message)


def test_an_owned_share_in_its_window_is_published_persistent_before_202(make_app, make_token, share_key, amqp_uri):
    client, headers, user = returning(make_app, make_token, share_key)
    share = uuid.uuid4()
    share_id = contracts.make_share_id(share_key[1], share, user, datetime.now(timezone.utc) + timedelta(hours=1))
    for _ in range(2):
        answer = client.post(f"/api/v1/shares/{share_id}/return", headers=headers)
        assert answer.status_code == 202, answer.get_json()
        assert answer.get_json() == {"share_id": share_id, "status": "accepted"}
    messages = queued(amqp_uri)
    assert len(messages) == 2  # both are published; metrics counts the share once
    event = json.loads(messages[0].body)
    assert (event["event_type"], event["source"], event["share_id"], event["user_id"]) == \
        ("share_returned", "gateway", str(share), user)
    assert messages[0].properties["delivery_mode"] == 2


def test_someone_elses_forged_or_late_share_is_refused_and_nothing_is_published(make_app, make_token, share_key,
                                                                                amqp_uri):
    client, headers, user = returning(make_app, make_token, share_key)
    open_until = datetime.now(timezone.utc) + timedelta(hours=1)
    others = contracts.make_share_id(share_key[1], uuid.uuid4(), str(uuid.uuid4()), open_until)
    late = contracts.make_share_id(share_key[1], uuid.uuid4(), user, datetime.now(timezone.utc) - timedelta(seconds=5))
    for share_id, status in ((others, 404), ("x" * 20, 404), (others[:-3] + "abc", 404), (late, 422)):
        answer = client.post(f"/api/v1/shares/{share_id}/return", headers=headers)
        assert answer.status_code == status, (share_id, answer.get_json())
    assert error_of(client.post(f"/api/v1/shares/{late}/return", headers=headers))["fields"]["share_id"]["code"] == \
        "return_window_closed"
    assert client.post(f"/api/v1/shares/{others}/return").status_code == 401
    assert queued(amqp_uri) == []


def test_with_the_broker_away_the_answer_is_503_naming_it(make_app, make_token, share_key):
    client, headers, user = returning(make_app, make_token, share_key, AMQP_URI="amqp://guest:guest@127.0.0.1:9//",
                                      SHARE_CONFIRM_TIMEOUT=1.0)
    share_id = contracts.make_share_id(share_key[1], uuid.uuid4(), user, datetime.now(timezone.utc) + timedelta(hours=1))
    answer = client.post(f"/api/v1/shares/{share_id}/return", headers=headers)
    assert answer.status_code == 503
    assert error_of(answer)["details"]["dependency"] == "broker"
