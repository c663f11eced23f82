"""The outbox relay when the database ends its listening session: it reconnects by itself and keeps
being woken by NOTIFY. pg_terminate_backend ends the session on the shared test server.
"""
import uuid

import eventlet
import kombu
import psycopg2
import pytest

from kepu_common.bus.amqp import declare_consumer_queue
from kepu_common.bus.outbox import OutboxRelay, OutboxWriter, pending_count
from kepu_common.devtools.testing import admin_connection

# far longer than the test waits: an event must arrive because NOTIFY woke the relay, not a poll
POLL_INTERVAL = 120.0


def write_events(url, count):
    writer = OutboxWriter("identity")
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        return [writer.add(cur, "ping", ping_id=str(uuid.uuid4()), message=f"m{i}")["event_id"] for i in range(count)]


def received(amqp_uri, queue, expected, timeout=20.0):
    got = []
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        with eventlet.Timeout(timeout, False):
            while len(got) < expected:
                message = channel.basic_get(queue, no_ack=True)
                if message is None:
                    eventlet.sleep(0.05)
                else:
                    got.append(message.properties["message_id"])
    return got


def terminate(pids):
    conn = admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(pg_terminate_backend(pid)) FROM unnest(%s::int[]) AS pid", (pids,))
            return cur.fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def relay_setup(database_factory, amqp_uri):
    url = database_factory("identity")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with kombu.Connection(amqp_uri) as conn:
        declare_consumer_queue(conn.channel(), "identity", "ping", queue)
    relay = OutboxRelay("identity", url, amqp_uri, batch_size=50, poll_interval=POLL_INTERVAL)
    thread = eventlet.spawn(relay.run)
    yield url, queue, relay
    relay.stop()
    with eventlet.Timeout(POLL_INTERVAL + 10):
        thread.kill()


def test_the_relay_listens_again_after_its_listening_session_ends(relay_setup, amqp_uri):
    """Only the idle LISTEN session ends (idle_session_timeout, a proxy dropping idle connections): the
    relay's reads of the outbox would never notice; its next read of the socket does. (Both sessions
    ending, as in a server restart, is in test_restarts_under_load.py.)"""
    url, queue, relay = relay_setup
    before = write_events(url, 10)
    assert received(amqp_uri, queue, 10) == before
    for _ in range(50):  # the relay holds both its sessions (the rows, LISTEN) before we end them
        if relay._conn is not None and relay._listen is not None:
            break
        eventlet.sleep(0.05)

    pids = [relay._listen.get_backend_pid()]
    ended = terminate(pids)
    eventlet.sleep(1.0)  # the relay notices, backs off and reconnects; then a service commits more events
    after = write_events(url, 10)

    got = received(amqp_uri, queue, 10)
    print(f"\nrelay sessions ended: {ended}; events after: 10 written, {len(got)} published")
    assert got == after
    # listening on a new session: on the dead one the relay would be woken by nothing, or by a socket
    # that stays readable (a busy loop)
    assert relay._listen is not None and relay._listen.get_backend_pid() not in pids
    with psycopg2.connect(url) as conn:
        assert pending_count(conn) == 0
