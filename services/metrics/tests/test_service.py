import uuid

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from kepu_common.interfaces.contracts import make_event
from kepu_common.devtools.testing import publish_events
from services.metrics.service import MetricsService


@pytest.fixture
def metrics(start_service):
    return start_service(MetricsService)


def test_ping_event_becomes_a_receipt(metrics, amqp_uri):
    event = make_event("ping", "identity", ping_id=str(uuid.uuid4()), message="到达")
    with entrypoint_waiter(metrics, "on_ping"):
        publish_events(amqp_uri, [event])
    with entrypoint_hook(metrics, "ping_receipt") as receipt:
        found = receipt(event["ping_id"])
    assert found["message"] == "到达"
    assert found["event_id"] == event["event_id"]
    assert found["applied"] == 1


def test_redelivered_ping_is_not_applied_again(metrics, amqp_uri):
    event = make_event("ping", "identity", ping_id=str(uuid.uuid4()), message="twice")
    for _ in range(2):
        with entrypoint_waiter(metrics, "on_ping"):
            publish_events(amqp_uri, [event])
    with entrypoint_hook(metrics, "ping_receipt") as receipt:
        assert receipt(event["ping_id"])["applied"] == 1


def test_unknown_or_malformed_ping_id_has_no_receipt(metrics):
    with entrypoint_hook(metrics, "ping_receipt") as receipt:
        assert receipt(str(uuid.uuid4())) is None
        assert receipt("not-a-uuid") is None
