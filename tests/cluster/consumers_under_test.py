"""The consumers and database probes the cluster tests use (metrics' ping_receipts schema)."""
import uuid

import psycopg2
import psycopg2.extras

from kepu_common.bus.consumers import event_consumer
from kepu_common.interfaces.contracts import make_event
from kepu_common.data.db import Database, claim_events
from services.metrics import ping_receipts

DELIVERED = {"events": 0}
POISON_TRIES = {"count": 0}


class StreamCounter:
    """Applies identity's ping events once each (metrics' receipts), counting every delivery it is handed."""

    name = "cluster_stream"
    db = Database()

    @event_consumer("identity", "ping", batch_size=500, max_wait=0.05)
    def on_ping(self, events):
        DELIVERED["events"] += len(events)
        with self.db, self.db.cursor() as cur:
            ping_receipts.record(cur, claim_events(cur, "cluster_stream.on_ping", events))


class PoisonedConsumer:
    """Fails on the event whose message is "poison", as a bug that event triggers would."""

    name = "cluster_poison"
    db = Database()

    # max_attempts far above the broker's limit: on a quorum queue it is the broker that counts
    @event_consumer("identity", "ping", batch_size=20, max_wait=0.02, max_attempts=50)
    def on_ping(self, events):
        if any(event["message"] == "poison" for event in events):
            if len(events) == 1:
                POISON_TRIES["count"] += 1
            raise RuntimeError("a bug this event triggers")
        with self.db, self.db.cursor() as cur:
            ping_receipts.record(cur, claim_events(cur, "cluster_poison.on_ping", events))


def ping_events(count, message="m"):
    return [make_event("ping", "identity", ping_id=str(uuid.uuid4()), message=f"{message}{i}") for i in range(count)]


def write_outbox(url, events):
    """Committed outbox rows, as identity's ping RPC leaves them (in one transaction, for speed)."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(cur, "INSERT INTO outbox (event_id, event_type, payload) VALUES %s",
                                       [(e["event_id"], e["event_type"], psycopg2.extras.Json(e)) for e in events],
                                       page_size=2000)
    conn.close()


class Receipts:
    """Reads ping_receipts on one connection: (receipts, most applications of one event, events applied twice).

    A shared database server may refuse a connection for a moment: that reads as "not yet", not a failure."""

    def __init__(self, url):
        self.url = url
        self.conn = None

    def __call__(self):
        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg2.connect(self.url)
                self.conn.autocommit = True
            with self.conn.cursor() as cur:
                cur.execute("SELECT count(*), coalesce(max(applied), 0), count(*) FILTER (WHERE applied > 1) "
                            "FROM ping_receipts")
                return cur.fetchone()
        except psycopg2.OperationalError:
            self.close()
            return None

    def close(self):
        if self.conn is not None and not self.conn.closed:
            self.conn.close()
        self.conn = None
