"""Notifications (issue 24): fan-out of events into inbox rows, beside raw kombu consumption of the same events;
and the inbox read through the gateway for a person with 10,000 notifications.

Fan-out: N people exist in identity; N user_verified events (one per person, an approval: inbox only) are
published to identity.events as the outbox relay publishes them (persistent, confirmed). The clock runs from the
first publish until identity has written all N inbox rows (consumer → claim → one notification per event and
person, in one transaction per batch). Raw: the same N JSON bodies published persistently with kombu to a durable
queue and consumed with kombu (prefetch 500, one ack per message), nothing stored; first publish to last message.

Inbox: one person with 10,000 notifications (a third read); GET /api/v1/me/notifications (page 1, 20 items, with
total and unread) from one client, then from 4 client threads, 20 s each; latency percentiles of every answer
(all must be 200).
"""
import statistics
import threading
import time
import uuid

import psycopg2
import psycopg2.extras
import requests

from bench.common import platform
from bench.events import raw_kombu
from kepu_common.interfaces.contracts import make_event
from kepu_common.devtools.testing import publish_events

PEOPLE = 100_000
INBOX = 10_000
READER = "00000000-0000-0000-0000-000000000001"  # bench.common's token subject


NEW_USER = "INSERT INTO users (id, phone_lookup, phone_sealed, phone_masked, password_hash) VALUES %s"


def vault_of(running):
    from services.identity.dependencies import read_secret
    from services.identity.phone_vault import PhoneVault

    return PhoneVault(read_secret(running.env["IDENTITY_SECRET_KEY_FILE"]))  # phones are sealed at rest


def people(conn, count, vault):
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(cur, NEW_USER, [(i, *vault.columns(f"14{n:09d}", i), "x")
                                                       for n, i in enumerate(ids)], page_size=5000)
    return ids


def fan_out(running, count):
    conn = psycopg2.connect(running.database_url("identity"))
    ids = people(conn, count, vault_of(running))
    events = [make_event("user_verified", "identity", verification_id=str(uuid.uuid4()), user_id=i, comment="")
              for i in ids]
    started = time.perf_counter()
    for n in range(0, len(events), 10_000):
        publish_events(running.env["AMQP_URI"], events[n:n + 10_000])
    published = time.perf_counter() - started
    conn.autocommit = True
    with conn.cursor() as cur:
        while True:
            cur.execute("SELECT count(*) FROM notifications")
            if cur.fetchone()[0] >= count:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        cur.execute("SELECT count(*), count(DISTINCT user_id) FROM notifications")
        rows, distinct = cur.fetchone()
    conn.close()
    assert rows == distinct == count
    bodies = [psycopg2.extras.Json(e).dumps(e) for e in events]
    return {"notifications": count, "seconds": round(elapsed, 2), "per_s": round(count / elapsed),
            "publish_seconds": round(published, 2)}, bodies


def fill_inbox(running, count):
    with psycopg2.connect(running.database_url("identity")) as conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(cur, NEW_USER, [(READER, *vault_of(running).columns("13999999999", READER), "x")])
        rows = []
        for n in range(count):
            kind, params = (("resource_initial_rejected", {"resource_id": str(uuid.uuid4()), "title": f"资源{n}",
                                                           "reason": "来源未注明"}) if n % 2 else
                            ("activity_national_approved", {"activity_id": str(uuid.uuid4()), "title": f"活动{n}"}))
            rows.append((str(uuid.uuid4()), READER, str(uuid.uuid4()), kind, psycopg2.extras.Json(params),
                         psycopg2.extras.Json({"target": "x", "id": None, "path": "/"}),
                         f"2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z" if n % 3 == 0 else None))
        psycopg2.extras.execute_values(
            cur, "INSERT INTO notifications (id, user_id, event_id, kind, params, link, created_at, read_at) VALUES %s",
            rows, template="(%s, %s, %s, %s, %s, %s, %s::timestamptz + (random() * interval '300 days'), %s)",
            page_size=5000)
        cur.execute("ANALYZE notifications")


def read_inbox(running, seconds=20, threads=4):
    url = f"{running.gateway_url}/api/v1/me/notifications"
    headers = {"Authorization": f"Bearer {running.token([])}"}
    latencies, statuses = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        session = requests.Session()
        session.get(url, headers=headers, timeout=10)  # warm the connection
        while time.monotonic() < deadline:
            started = time.perf_counter()
            answer = session.get(url, headers=headers, timeout=10)
            took = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(took)
                statuses.append(answer.status_code)
        session.close()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    body = requests.get(url, headers=headers, timeout=10).json()
    assert body["total"] == INBOX and len(body["items"]) == 20, body
    cuts = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "requests_per_s": round(len(latencies) / seconds),
            "non_200": sum(1 for s in statuses if s != 200), "p50_ms": round(cuts[49], 1),
            "p95_ms": round(cuts[94], 1), "p99_ms": round(cuts[98], 1)}


def run(count=PEOPLE):
    with platform(("identity", "gateway"), NOTIFY_QUIET_HOURS="off", GATEWAY_WORKERS=2, GATEWAY_THREADS=8) as running:
        fanned, bodies = fan_out(running, count)
        raw = raw_kombu(running.env["AMQP_URI"], bodies)
        fill_inbox(running, INBOX)
        sequential = read_inbox(running, threads=1)
        concurrent = read_inbox(running, threads=4)
    return {"fan_out": fanned, "raw_kombu": raw, "ratio": round(fanned["per_s"] / raw["events_per_s"], 2),
            "inbox_10000_one_client": sequential, "inbox_10000_four_clients": concurrent}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else PEOPLE), indent=2))
