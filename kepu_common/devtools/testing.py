"""Shared by the test suites: where the test broker and database server are, and database clean-up."""
import json
import os

import psycopg2

DATABASE_SERVER = os.environ.get("TEST_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
AMQP_URI = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672//")
RABBIT_API = os.environ.get("TEST_RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")


def admin_connection():
    conn = psycopg2.connect(f"{DATABASE_SERVER}/postgres")
    conn.autocommit = True
    return conn


def run_admin(sql):
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE cannot run in a transaction)."""
    conn = admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def drop_database(name):
    run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def publish_events(amqp_uri, events):
    """Publish events as their source's outbox relay does: to '<source>.events', persistent, confirmed."""
    from kepu_common.bus.amqp import ConfirmedPublisher
    from kepu_common.interfaces.contracts import exchange_name, routing_key

    publisher = ConfirmedPublisher(amqp_uri)
    try:
        publisher.publish_batch([(exchange_name(e["source"]), routing_key(e["event_type"], e), json.dumps(e).encode(),
                                  str(e["event_id"])) for e in events])
    finally:
        publisher.close()


def mint_token(private_key, roles=(), sub="u-1", ttl=300, typ="access", **claims):
    """An access token as identity issues them, signed with a test key pair (for tests and benchmarks)."""
    import time

    import jwt

    now = int(time.time())
    payload = {"sub": sub, "roles": list(roles), "iat": now, "exp": now + ttl, "typ": typ,
               "iss": "kepu-identity", "aud": "kepu", **claims}
    return jwt.encode(payload, private_key, algorithm="EdDSA")


def wait_for(predicate, timeout=60.0, step=0.1, what="condition"):
    """predicate()'s first truthy value, polled every `step` seconds; AssertionError after `timeout`."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)  # green under the suite's eventlet monkey patch
    raise AssertionError(f"{what} not reached within {timeout:.0f}s")
