"""review_decided reaches only the service that owns the subject, and queues keep what they held."""
import json
import uuid

import eventlet
import kombu
import psycopg2
import pytest

from kepu_common.bus.amqp import declare_consumer_queue
from kepu_common.bus.consumers import event_consumer
from kepu_common.interfaces.contracts import binding_keys, routing_key
from kepu_common.bus.outbox import OutboxRelay, OutboxWriter
from kepu_common.tests.test_event_bus import drain, queue_depth


def decision(cur, subject_type):
    return OutboxWriter("review").add(
        cur, "review_decided", task_id=str(uuid.uuid4()), subject_type=subject_type, subject_id=str(uuid.uuid4()),
        stage="national", decision="approved", comment="", reviewer_id=str(uuid.uuid4()),
        decided_at="2026-09-01T00:00:00+00:00")


def test_routing_keys_name_the_subject():
    assert routing_key("review_decided", {"subject_type": "activity"}) == "review_decided.activity"
    assert routing_key("review_decided", '{"subject_type": "resource"}') == "review_decided.resource"
    assert routing_key("ping", {"subject_type": "x"}) == "ping"
    assert binding_keys("review_decided", ("resource", "activity")) == ["review_decided.resource",
                                                                         "review_decided.activity"]
    with pytest.raises(ValueError):
        binding_keys("review_decided")


def test_a_consumer_of_a_routed_event_must_name_its_subjects():
    with pytest.raises(ValueError):
        event_consumer("review", "review_decided")(lambda self, events: None)


def test_each_owner_gets_only_its_decisions(database_factory, amqp_uri):
    url = database_factory("review")
    queues = {subject: f"test-route-{subject}-{uuid.uuid4().hex[:6]}" for subject in ("resource", "activity")}
    with kombu.Connection(amqp_uri) as conn:
        for subject, queue in queues.items():
            declare_consumer_queue(conn.channel(), "review", "review_decided", queue, subjects=(subject,))
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        sent = {"resource": [decision(cur, "resource") for _ in range(3)],
                "activity": [decision(cur, "activity") for _ in range(2)]}
        decision(cur, "organization")  # nobody here owns it
    relay = OutboxRelay("review", url, amqp_uri, poll_interval=0.1)
    thread = eventlet.spawn(relay.run)
    try:
        got = {subject: drain(amqp_uri, queue, len(sent[subject])) for subject, queue in queues.items()}
        eventlet.sleep(0.3)  # anything misrouted would have arrived by now
    finally:
        relay.stop()
        thread.wait()
    for subject, messages in got.items():
        assert [json.loads(m.body)["event_id"] for m in messages] == [e["event_id"] for e in sent[subject]]
        assert queue_depth(amqp_uri, queues[subject]) == 0


def test_an_existing_queue_keeps_its_messages_and_its_old_binding_while_migrating(amqp_uri):
    """A queue bound the old way (by event type) holds messages; re-declaring it with subjects keeps them, and a
    not-yet-upgraded producer's plain 'review_decided' still reaches it through the kept legacy binding."""
    queue = f"test-route-legacy-{uuid.uuid4().hex[:6]}"
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        exchange = kombu.Exchange("review.events", type="topic", durable=True)
        declare_consumer_queue(channel, "review", "review_decided", queue, subjects=("resource",))
        channel.queue_bind(queue, "review.events", "review_decided")  # how queues were bound before routing
        producer = kombu.Producer(channel, exchange=exchange)
        producer.publish({"old": 1}, routing_key="review_decided", delivery_mode=2)
        declare_consumer_queue(channel, "review", "review_decided", queue, subjects=("resource",), legacy=True)
        producer.publish({"old": 2}, routing_key="review_decided", delivery_mode=2)
        producer.publish({"new": 3}, routing_key="review_decided.resource", delivery_mode=2)
        producer.publish({"other": 4}, routing_key="review_decided.activity", delivery_mode=2)
    bodies = [json.loads(m.body) for m in drain(amqp_uri, queue, 3)]
    assert bodies == [{"old": 1}, {"old": 2}, {"new": 3}]
    assert queue_depth(amqp_uri, queue) == 0
