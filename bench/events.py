"""Outbox relay and event consumption, end to end, beside a raw kombu publish/consume of the same messages.

Ours: N ping events committed to identity's outbox in one transaction; the clock runs from that commit
until metrics has applied all N (relay → RabbitMQ with confirms → batch consumer → one transaction
per batch with de-duplication). Raw: the same N JSON bodies published persistently with kombu to a
durable queue and consumed with kombu (prefetch 500, one ack per message), nothing stored; the clock
runs from the first publish to the last message received.
"""
import threading
import time
import uuid

import kombu
import psycopg2
import psycopg2.extras

from bench.common import platform
from kepu_common.interfaces.contracts import make_event

EVENTS = 50_000


def outbox_rows(count):
    rows = []
    for n in range(count):
        event = make_event("ping", "identity", ping_id=str(uuid.uuid4()), message=f"bench-{n}")
        rows.append((event["event_id"], "ping", psycopg2.extras.Json(event)))
    return rows


def ours(running, rows):
    with psycopg2.connect(running.database_url("identity")) as conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(cur, "INSERT INTO outbox (event_id, event_type, payload) VALUES %s", rows,
                                       page_size=5000)
        cur.execute("NOTIFY outbox_identity")
    started = time.perf_counter()  # the transaction above committed on leaving the block
    metrics = psycopg2.connect(running.database_url("metrics"))
    metrics.autocommit = True
    with metrics.cursor() as cur:
        while True:
            cur.execute("SELECT count(*) FROM ping_receipts")
            if cur.fetchone()[0] >= len(rows):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        cur.execute("SELECT max(applied) FROM ping_receipts")
        assert cur.fetchone()[0] == 1
    metrics.close()
    return {"events": len(rows), "seconds": round(elapsed, 2), "events_per_s": round(len(rows) / elapsed)}


def raw_kombu(amqp_uri, bodies):
    queue = kombu.Queue(f"bench-raw-{uuid.uuid4().hex[:8]}", durable=True, auto_delete=False)
    received = threading.Event()
    count = {"n": 0}

    def consume():
        with kombu.Connection(amqp_uri) as conn:
            def on_message(message):
                message.ack()
                count["n"] += 1
                if count["n"] == len(bodies):
                    received.set()

            with conn.Consumer(queue, on_message=on_message, prefetch_count=500):
                while not received.is_set():
                    try:
                        conn.drain_events(timeout=1)
                    except TimeoutError:
                        pass

    with kombu.Connection(amqp_uri) as conn:
        queue(conn.default_channel).declare()
    consumer = threading.Thread(target=consume)
    consumer.start()
    time.sleep(0.5)
    started = time.perf_counter()
    with kombu.Connection(amqp_uri) as conn:
        producer = conn.Producer()
        for body in bodies:
            producer.publish(body, routing_key=queue.name, delivery_mode=2, content_type="application/json",
                             content_encoding="utf-8")
    received.wait(300)
    elapsed = time.perf_counter() - started
    consumer.join()
    with kombu.Connection(amqp_uri) as conn:
        queue(conn.default_channel).delete()
    return {"events": len(bodies), "seconds": round(elapsed, 2), "events_per_s": round(len(bodies) / elapsed)}


def run(count=EVENTS, **settings):
    rows = outbox_rows(count)
    bodies = [row[2].dumps(row[2].adapted) for row in rows]
    with platform(("identity", "metrics"), **settings) as running:
        relayed = ours(running, rows)
        raw = raw_kombu(running.env["AMQP_URI"], bodies)
    return {"outbox_to_consumer": relayed, "raw_kombu": raw,
            "ratio": round(relayed["events_per_s"] / raw["events_per_s"], 2)}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
