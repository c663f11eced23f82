"""The outbox relay, confirmed publishing and batch consumption against real PostgreSQL and RabbitMQ."""
import json
import uuid

import eventlet
import kombu
import psycopg2
import pytest

from kepu_common.bus.amqp import DEAD_LETTER_QUEUE, declare_consumer_queue
from kepu_common.bus.consumers import event_consumer
from kepu_common.interfaces.contracts import make_event
from kepu_common.data.db import Database, claim_events
from kepu_common.interfaces.errors import Unavailable
from kepu_common.devtools.testing import publish_events
from kepu_common.bus.outbox import OutboxRelay, OutboxWriter, pending_count


def wait_until(predicate, timeout=15.0, step=0.05):
    deadline = eventlet.hubs.get_hub().clock() + timeout
    while eventlet.hubs.get_hub().clock() < deadline:
        value = predicate()
        if value:
            return value
        eventlet.sleep(step)
    raise AssertionError("condition not met in time")


def ping_event(message="hello"):
    return make_event("ping", "identity", ping_id=str(uuid.uuid4()), message=message)


def write_events(url, count):
    writer = OutboxWriter("identity")
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        return [writer.add(cur, "ping", ping_id=str(uuid.uuid4()), message=f"m{i}") for i in range(count)]


def drain(amqp_uri, queue, expected, timeout=10.0):
    """Take messages off an existing queue without redeclaring it (its arguments are the consumer's)."""
    got = []
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        deadline = eventlet.hubs.get_hub().clock() + timeout
        while len(got) < expected and eventlet.hubs.get_hub().clock() < deadline:
            message = channel.basic_get(queue, no_ack=True)
            if message is None:
                eventlet.sleep(0.02)
            else:
                got.append(message)
    return got


def queue_depth(amqp_uri, queue):
    with kombu.Connection(amqp_uri) as conn:
        return conn.channel().queue_declare(queue, passive=True).message_count


@pytest.fixture
def bound_queue(amqp_uri):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with kombu.Connection(amqp_uri) as conn:
        declare_consumer_queue(conn.channel(), "identity", "ping", queue)
    return queue


def test_relay_publishes_committed_events_persistently_and_marks_them_sent(
        database_factory, amqp_uri, bound_queue):
    url = database_factory("identity")
    events = write_events(url, 25)
    relay = OutboxRelay("identity", url, amqp_uri, batch_size=10, poll_interval=0.1)
    thread = eventlet.spawn(relay.run)
    try:
        messages = drain(amqp_uri, bound_queue, 25)
    finally:
        relay.stop()
        thread.wait()
    assert [json.loads(m.body)["event_id"] for m in messages] == [e["event_id"] for e in events]
    assert all(m.properties["delivery_mode"] == 2 for m in messages)
    with psycopg2.connect(url) as conn:
        assert pending_count(conn) == 0


def test_rolled_back_transaction_publishes_nothing(database_factory):
    url = database_factory("identity")
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        OutboxWriter("identity").add(cur, "ping", ping_id=str(uuid.uuid4()), message="x")
    conn.rollback()
    assert pending_count(conn) == 0
    conn.close()


def test_relay_keeps_events_while_the_broker_is_unreachable(database_factory, amqp_uri, bound_queue):
    url = database_factory("identity")
    write_events(url, 3)
    relay = OutboxRelay("identity", url, "amqp://guest:guest@127.0.0.1:1//", poll_interval=0.1)
    thread = eventlet.spawn(relay.run)
    eventlet.sleep(1.0)
    relay.stop()
    thread.wait()
    with psycopg2.connect(url) as conn:
        assert pending_count(conn) == 3  # nothing marked sent without a confirm

    relay = OutboxRelay("identity", url, amqp_uri, poll_interval=0.1)
    thread = eventlet.spawn(relay.run)
    try:
        assert len(drain(amqp_uri, bound_queue, 3)) == 3
    finally:
        relay.stop()
        thread.wait()


def test_two_relays_on_one_outbox_send_each_event_once(database_factory, amqp_uri, bound_queue):
    url = database_factory("identity")
    events = write_events(url, 400)
    relays = [OutboxRelay("identity", url, amqp_uri, batch_size=20, poll_interval=0.1) for _ in range(2)]
    threads = [eventlet.spawn(r.run) for r in relays]
    try:
        messages = drain(amqp_uri, bound_queue, 400)
        eventlet.sleep(0.5)
    finally:
        for r in relays:
            r.stop()
        for t in threads:
            t.wait()
    ids = [json.loads(m.body)["event_id"] for m in messages]
    assert sorted(ids) == sorted(e["event_id"] for e in events)
    assert queue_depth(amqp_uri, bound_queue) == 0


FAILURES = {"left": 0}


class PingRecorder:
    """A consumer like metrics' own: applies ping events once each, in one transaction per batch."""

    name = "metrics"
    db = Database()

    @event_consumer("identity", "ping", batch_size=50, max_wait=0.02, max_attempts=2)
    def on_ping(self, events):
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise Unavailable("database went away")
        if any(event["message"] == "poison" for event in events):
            raise RuntimeError("a bug this event triggers")
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, "test.on_ping", events):
                cur.execute(
                    "INSERT INTO ping_receipts (ping_id, event_id, message, sent_at) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (ping_id) DO UPDATE SET applied = ping_receipts.applied + 1",
                    (event["ping_id"], event["event_id"], event["message"], event["occurred_at"]),
                )


def receipts(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(max(applied), 0) FROM ping_receipts")
        return cur.fetchone()


@pytest.fixture
def recorder(start_service):
    FAILURES["left"] = 0
    return start_service(PingRecorder).config


def test_batch_consumer_applies_each_event_once_even_when_redelivered(recorder, amqp_uri):
    events = [ping_event(f"m{i}") for i in range(120)]
    publish_events(amqp_uri, events + events[:30])  # the last 30 arrive twice, as after a relay crash
    assert wait_until(lambda: receipts(recorder["DATABASE_URL"])[0] == 120)
    eventlet.sleep(0.3)
    assert receipts(recorder["DATABASE_URL"]) == (120, 1)


def test_copies_of_one_event_in_the_same_batch_apply_once(recorder, amqp_uri):
    event = ping_event("dup")
    publish_events(amqp_uri, [event, event, event])
    assert wait_until(lambda: receipts(recorder["DATABASE_URL"])[0] == 1)
    eventlet.sleep(0.3)
    assert receipts(recorder["DATABASE_URL"]) == (1, 1)


def test_failed_batch_is_requeued_and_applied_after_recovery(recorder, amqp_uri):
    FAILURES["left"] = 2
    publish_events(amqp_uri, [ping_event(f"m{i}") for i in range(10)])
    assert wait_until(lambda: receipts(recorder["DATABASE_URL"])[0] == 10, timeout=20)
    assert FAILURES["left"] == 0
    assert receipts(recorder["DATABASE_URL"]) == (10, 1)


def test_message_breaking_its_contract_goes_to_the_dead_letter_queue(recorder, amqp_uri):
    broken = ping_event()
    broken["ping_id"] = "not-a-uuid"
    good = ping_event("fine")
    publish_events(amqp_uri, [broken, good])
    assert wait_until(lambda: receipts(recorder["DATABASE_URL"])[0] == 1)
    dead = drain(amqp_uri, DEAD_LETTER_QUEUE, 1)
    assert json.loads(dead[0].body)["event_id"] == broken["event_id"]


def test_event_that_keeps_failing_is_dead_lettered_and_the_rest_applied(recorder, amqp_uri):
    poison = ping_event("poison")
    publish_events(amqp_uri, [ping_event(f"m{i}") for i in range(10)] + [poison] + [ping_event(f"n{i}") for i in range(10)])
    assert wait_until(lambda: receipts(recorder["DATABASE_URL"])[0] == 20, timeout=20)
    dead = drain(amqp_uri, DEAD_LETTER_QUEUE, 1, timeout=20)
    assert json.loads(dead[0].body)["event_id"] == poison["event_id"]
    assert receipts(recorder["DATABASE_URL"]) == (20, 1)


def test_unavailable_dependency_never_dead_letters(recorder, amqp_uri):
    FAILURES["left"] = 4  # more failures than max_attempts: still requeued, then applied
    publish_events(amqp_uri, [ping_event("patient")])
    assert wait_until(lambda: receipts(recorder["DATABASE_URL"])[0] == 1, timeout=30)
    assert drain(amqp_uri, DEAD_LETTER_QUEUE, 1, timeout=0.5) == []
