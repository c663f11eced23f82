"""What docs/capacity.md is computed from: CPU per unit of work, by process, on each hot path of a national peak.

    PYTHONPATH=. .venv/bin/python bench/capacity.py [part ...]     # prints one JSON line per part

Parts (all by default):
- listing: GET /api/v1/activities through nginx as deployed (bench.gateway_nginx) to the split gateway (its API
  side, granian, 2 workers x 16 threads) and the activities service, BENCH_CAPACITY_ACTIVITIES approved activities (50,000) loaded as
  bench/activities.py loads them (without their calendar entries, which the listing does not read); wrk rotating over four common filters (no filter, a province, a city, a type),
  signed out as a visitor browses; CPU per request of the gateway, nginx, activities, PostgreSQL, the broker.
- share_events: BENCH_CAPACITY_EVENTS (20,000) share_returned events, each of a different started share, ten
  shares each of BENCH_CAPACITY_SHARERS (2,000) people,
  published confirmed in batches of 1,000 as the gateway publishes them, until metrics' consumer decided every
  one; CPU per event of metrics, PostgreSQL, the broker (the publisher, this process, is not counted: the
  gateway's side of a return is in the share-return figures of bench/gateway_nginx.py).
- notifications: BENCH_CAPACITY_NOTIFICATIONS (10,000) user_verified events fanned out into inbox rows by
  identity (bench/notifications.py's fan_out); CPU per notification of identity, PostgreSQL, the broker.
- scaled: the share return and the one-RPC request through nginx (bench.gateway_nginx.run) with 1 and with 2
  gateway workers: requests/s and the cores each process used (CPU ms per request x requests/s), to check which
  process the model says saturates first does.
"""
import json
import subprocess
import uuid
import os
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402

from bench import activities, gateway_nginx, metrics, notifications  # noqa: E402
from bench.common import cpu_seconds_between, cpu_ticks, ensure_wrk, parse_wrk, platform  # noqa: E402
from kepu_common.bus.amqp import ConfirmedPublisher  # noqa: E402
from kepu_common.interfaces.contracts import exchange_name, make_event  # noqa: E402

ACTIVITIES = int(os.environ.get("BENCH_CAPACITY_ACTIVITIES", "50000"))
EVENTS = int(os.environ.get("BENCH_CAPACITY_EVENTS", "20000"))
SHARERS = int(os.environ.get("BENCH_CAPACITY_SHARERS", "2000"))
NOTIFICATIONS = int(os.environ.get("BENCH_CAPACITY_NOTIFICATIONS", "10000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
LISTING_LUA = """
local paths = {"/api/v1/activities", "/api/v1/activities?region=440000", "/api/v1/activities?region=440100",
               "/api/v1/activities?type=lecture"}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""


def per_unit(cpu, units):
    return {name: round(1000 * used / units, 3) for name, used in sorted(cpu.items(), key=lambda kv: -kv[1])
            if used / units > 0.00001}


def _no_calendar(rows):
    """bench.activities renders each activity's iCalendar entry while loading: the listing never reads it."""
    return ["-" for _ in rows]  # not empty: COPY reads an empty CSV field as NULL


def listing():
    ensure_wrk()
    activities.ROWS = ACTIVITIES
    activities._render = _no_calendar
    now = datetime.now(timezone.utc).replace(microsecond=0)
    campaign_id = str(uuid.uuid4())
    # the split gateway as deployed: the listing is an API request, which nginx sends to granian's side
    with platform(("activities", "gateway", "gateway-api"), GATEWAY_WORKERS=2, GATEWAY_THREADS=16,
                  GATEWAY_TRUSTED_PROXIES=1,
                  OUTBOX_RELAY="false") as running:
        size = activities.load(running.database_url("activities"), campaign_id, now)
        with gateway_nginx.nginx_in_front(running.gateway_api_url, uploads_url=running.gateway_url) as (url, nginx_pid), \
                tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(LISTING_LUA % ())
            script.flush()

            def wrk(seconds):
                done = subprocess.run(["wrk", "-t2", f"-c{gateway_nginx.CONNECTIONS}", f"-d{seconds}s", "--latency",
                                       "-s", script.name, url], capture_output=True, text=True, check=True)
                return parse_wrk(done.stdout)

            wrk(3)
            before = {**cpu_ticks(running), **gateway_nginx.nginx_ticks(nginx_pid)}
            figures = wrk(SECONDS)
            after = {**cpu_ticks(running), **gateway_nginx.nginx_ticks(nginx_pid)}
    figures["cpu_ms_per_request"] = per_unit(cpu_seconds_between(before, after), max(figures["requests"], 1))
    return {"activities": ACTIVITIES, "listing_size": size, **figures}


def share_events():
    with platform(("metrics",), OUTBOX_RELAY="false") as running:
        conn = psycopg2.connect(running.database_url("metrics"))
        # EVENTS shares of SHARERS people (ten each by default), each returned once: as on Science Day, most
        # returns are counted (a single user's would mostly meet the counting rule's ceilings instead)
        users = [str(uuid.uuid4()) for _ in range(SHARERS)]
        pairs = []
        for user in users:
            ids, _ = metrics._seed_shares(conn, EVENTS // SHARERS, user=user)
            pairs += [(share, user) for share in ids]
        events = [make_event("share_returned", "gateway", share_id=str(share), user_id=user,
                             returned_at=datetime.now(timezone.utc).isoformat()) for share, user in pairs]
        bodies = [json.dumps(e).encode() for e in events]
        start = metrics._counted(conn)
        publisher = ConfirmedPublisher(running.env["AMQP_URI"])

        def publish():
            for first in range(0, len(events), 1000):
                publisher.publish_batch((exchange_name("gateway"), "share_returned", bodies[n], events[n]["event_id"])
                                        for n in range(first, min(first + 1000, len(events))))

        before = cpu_ticks(running)
        began = time.perf_counter()
        thread = threading.Thread(target=publish)
        thread.start()
        while metrics._counted(conn) - start < len(events):
            time.sleep(0.05)
        seconds = time.perf_counter() - began
        after = cpu_ticks(running)
        thread.join()
        publisher.close()
        with conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM shares WHERE day IS NOT NULL AND not_counted IS NULL")
            counted = cur.fetchone()[0]
        conn.close()
    return {"events": len(events), "people": SHARERS, "counted": counted, "seconds": round(seconds, 2),
            "events_per_s": round(len(events) / seconds),
            "cpu_ms_per_event": per_unit(cpu_seconds_between(before, after), len(events))}


def notification_fan_out():
    with platform(("identity",), OUTBOX_RELAY="false") as running:
        before = cpu_ticks(running)
        result, _ = notifications.fan_out(running, NOTIFICATIONS)
        after = cpu_ticks(running)
    result["cpu_ms_per_notification"] = per_unit(cpu_seconds_between(before, after), NOTIFICATIONS)
    return result


def cores(figures):
    """Cores each process used while measured: CPU ms per request x requests per second."""
    return {name: round(ms * figures["requests_per_s"] / 1000, 2) for name, ms in figures["cpu_ms_per_request"].items()}


def scaled():
    runs = []
    for workers in (1, 2):
        gateway_nginx.WORKERS = workers
        figures = gateway_nginx.run()
        for request in ("share_return", "one_rpc"):
            got = figures[request]
            runs.append({"gateway_workers": workers, "request": request, "requests_per_s": got["requests_per_s"],
                         "p99_ms": got["p99_ms"], "cpu_ms_per_request": got["cpu_ms_per_request"],
                         "cores": cores(got)})
    gateway_nginx.WORKERS = 2
    return runs


PARTS = {"listing": listing, "share_events": share_events, "notifications": notification_fan_out, "scaled": scaled}


if __name__ == "__main__":
    for part in sys.argv[1:] or list(PARTS):
        print(json.dumps({"part": part, "result": PARTS[part]()}, ensure_ascii=False), flush=True)
