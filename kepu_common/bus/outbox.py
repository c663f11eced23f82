"""Transactional outbox: events are rows written in the same transaction as the state change, then
relayed to RabbitMQ with publisher confirms and marked sent only after the broker confirmed them.

Several instances of a service relay side by side: rows are claimed with FOR UPDATE SKIP LOCKED.
Delivery is at least once (a crash between confirm and commit republishes); consumers de-duplicate.
"""
import logging
import select
import time

import psycopg2
import psycopg2.extras
from nameko.extensions import DependencyProvider

from kepu_common.bus.amqp import ConfirmedPublisher
from kepu_common.interfaces.contracts import exchange_name, make_event, routing_key

log = logging.getLogger(__name__)

SENT_RETENTION = "7 days"
CLEANUP_EVERY = 3600.0


def notify_channel(service_name):
    return f"outbox_{service_name}"


class OutboxWriter:
    """What a worker gets: add(cur, event_type, **payload) inside its own transaction."""

    def __init__(self, service_name):
        self.service_name = service_name

    def add(self, cur, event_type, **payload):
        event = make_event(event_type, self.service_name, **payload)
        cur.execute(
            "INSERT INTO outbox (event_id, event_type, payload) VALUES (%s, %s, %s)",
            (event["event_id"], event_type, psycopg2.extras.Json(event)),
        )
        # delivered at commit, and collapsed into one per transaction: wakes the relay without polling
        cur.execute(f"NOTIFY {notify_channel(self.service_name)}")
        return event


class OutboxRelay:
    """Moves committed outbox rows to the broker. Runs in its own (green) thread."""

    def __init__(self, service_name, database_url, amqp_uri, batch_size=500, poll_interval=1.0):
        self.service_name = service_name
        self.database_url = database_url
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.publisher = ConfirmedPublisher(amqp_uri)
        self.running = False
        self._conn = None
        self._listen = None
        self._last_cleanup = 0.0

    def _connect(self):
        if self._conn is None or self._conn.closed:
            self._conn = psycopg2.connect(self.database_url)
        if self._listen is None or self._listen.closed:
            self._listen = psycopg2.connect(self.database_url)
            self._listen.autocommit = True
            with self._listen.cursor() as cur:
                cur.execute(f"LISTEN {notify_channel(self.service_name)}")

    def relay_once(self):
        """Publish one batch of unsent events; returns how many were sent."""
        with self._conn, self._conn.cursor() as cur:
            cur.execute(
                "SELECT id, event_id, event_type, payload::text FROM outbox WHERE sent_at IS NULL "
                "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                (self.batch_size,),
            )
            rows = cur.fetchall()
            if not rows:
                return 0
            exchange = exchange_name(self.service_name)
            self.publisher.publish_batch(
                (exchange, routing_key(event_type, payload), payload.encode("utf-8"), str(event_id))
                for _, event_id, event_type, payload in rows
            )
            cur.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY(%s)", ([r[0] for r in rows],))
        return len(rows)

    def _cleanup(self):
        now = time.monotonic()
        if now - self._last_cleanup < CLEANUP_EVERY:
            return
        self._last_cleanup = now
        with self._conn, self._conn.cursor() as cur:
            cur.execute(f"DELETE FROM outbox WHERE sent_at < now() - interval '{SENT_RETENTION}'")

    def _wait_for_notify(self):
        if select.select([self._listen], [], [], self.poll_interval)[0]:
            self._listen.poll()
            self._listen.notifies.clear()

    def run(self):
        self.running = True
        backoff = 0.2
        try:
            while self.running:
                try:
                    self._connect()
                    sent = self.relay_once()
                    backoff = 0.2
                    if sent < self.batch_size:
                        self._cleanup()
                        self._wait_for_notify()
                except Exception as exc:  # database or broker away: keep the rows, retry with backoff
                    log.warning("outbox relay for %s: %s; retrying in %.1fs", self.service_name, exc, backoff)
                    self.close()
                    time.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            # also when the relay's green thread is killed: its connections are closed by the green thread that
            # used them, never by another one while a statement of theirs may still hold psycopg2's lock
            self.close()

    def stop(self):
        self.running = False

    def close(self):
        self.publisher.close()
        for conn in (self._conn, self._listen):
            if conn is not None and not conn.closed:
                try:
                    conn.close()
                except psycopg2.Error:
                    pass
        self._conn = self._listen = None


class Outbox(DependencyProvider):
    """Injects an OutboxWriter into workers and runs the relay beside the service."""

    def setup(self):
        config = self.container.config
        settings = config.get("OUTBOX", {})
        self.relay_enabled = settings.get("relay", True)
        self.relay = OutboxRelay(
            self.container.service_name,
            config["DATABASE_URL"],
            config["AMQP_URI"],
            batch_size=int(settings.get("batch_size", 500)),
            poll_interval=float(settings.get("poll_interval", 1.0)),
        )
        self._thread = None

    def start(self):
        if self.relay_enabled:
            self._thread = self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def stop(self):
        self.relay.stop()
        if self._thread is not None:
            self._thread.wait()

    def kill(self):
        self.relay.stop()
        if self._thread is not None:
            self._thread.kill()  # the relay closes its connections as it ends (OutboxRelay.run)
        else:
            self.relay.close()

    def get_dependency(self, worker_ctx):
        return OutboxWriter(self.container.service_name)


def pending_count(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        return cur.fetchone()[0]
