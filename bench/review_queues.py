"""Review with 100,000 open tasks: the reviewer UI's queue page and task list (signed in, through the
review UI process), the list sorted by start date soonest first and searched by name and by phone (the
workbench, issue 30), and decision throughput (decide RPCs from 8 threads)."""
import random
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg2
import psycopg2.extras
import requests

from bench.common import platform
from kepu_common.bus.rpc_client import RpcClient
from services.identity.cli import create_admin

TASKS = 100_000
PAGE_REQUESTS = 200
DECISIONS = 1000
STAGES = ["realname", "org", "initial", "scientific", "provincial", "national"]
PROVINCES = ["110000", "310000", "440000", "510000", "330000", "320000"]
PASSWORD = "kepu2026science"


def tasks(count, rng):
    """Resources at the resource stages; activities (with a start date within two months, a submitter's phone)
    at the provincial and national ones, so sorting by start date has real work to do."""
    start = datetime.now(timezone.utc) - timedelta(days=30)
    for n in range(count):
        stage = rng.choice(STAGES)
        requested = start + timedelta(seconds=n * 25)
        if stage in ("provincial", "national"):
            starts = (datetime.now(timezone.utc) + timedelta(minutes=rng.randrange(-7 * 1440, 60 * 1440)))
            yield (str(uuid.uuid4()), "activities", "activity", f"a-{n}", stage,
                   rng.choice(PROVINCES) if stage == "provincial" else None,
                   psycopg2.extras.Json({"name": f"科普活动 {n}", "start_at": starts.strftime("%Y-%m-%d %H:%M"),
                                         "region": "北京市朝阳区", "supervising_unit": "北京市科协",
                                         "details": {"contact_person": "刘", "contact_phone": f"139{n:08d}"}}),
                   "open", requested, requested + timedelta(days=2))
        else:
            yield (str(uuid.uuid4()), "resources", "resource", f"r-{n}", stage, None,
                   psycopg2.extras.Json({"title": f"科普资源 {n}", "type": "video", "keywords": ["健康", "防疫"]}),
                   "open", requested, requested + timedelta(days=2))


def percentiles(samples):
    samples = sorted(samples)
    pick = lambda p: round(samples[min(len(samples) - 1, int(len(samples) * p))], 1)  # noqa: E731
    return {"requests": len(samples), "p50_ms": pick(0.5), "p95_ms": pick(0.95), "p99_ms": pick(0.99)}


def timed_pages(session, url, count):
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        response.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return percentiles(latencies)


def timed_queries(database_url, count=50):
    """The reviewer pages' queries straight on PostgreSQL (no UI, no RPC), beside counting every open task the
    way the queue cards did before migration 0005 (the baseline of the same run)."""
    from services.review import access, tasks as review_tasks

    admin = access.Access([("platform_admin", "")])
    province = access.Access([("reviewer", "provincial:440000")])
    now = datetime.now(timezone.utc)
    queries = {
        "cards_counting_every_open_task_baseline": lambda cur: cur.execute(
            "SELECT stage, count(*), min(requested_at), count(*) FILTER (WHERE claimed_until > %s), "
            "count(*) FILTER (WHERE due_at < %s) FROM tasks WHERE status = 'open' GROUP BY stage", (now, now)),
        "cards_platform_admin": lambda cur: review_tasks.queues(cur, admin, now),
        "cards_one_province": lambda cur: review_tasks.queues(cur, province, now),
        "all_by_start_date_page_20": lambda cur: review_tasks.listing(cur, admin, None, "open", 21, 380, "start_at"),
        "province_by_start_date": lambda cur: review_tasks.listing(cur, province, "provincial", "open", 21, 0,
                                                                   "start_at"),
        "search_by_name_rare": lambda cur: review_tasks.listing(cur, admin, None, "open", 21, 0, None, "活动 12345"),
        "search_by_name_common": lambda cur: review_tasks.listing(cur, admin, None, "open", 21, 0, None, "科普"),
        "total_open": lambda cur: review_tasks.count(cur, admin),
    }
    results = {}
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        for name, query in queries.items():
            latencies = []
            for _ in range(count):
                started = time.perf_counter()
                query(cur)
                latencies.append((time.perf_counter() - started) * 1000)
            results[name] = percentiles(latencies)
    return results


def run(count=TASKS):
    rng = random.Random(7)
    with platform(("identity", "review", "reviewui"), OUTBOX_RELAY="true") as running:
        with psycopg2.connect(running.database_url("review")) as conn, conn.cursor() as cur:
            psycopg2.extras.execute_values(
                cur, "INSERT INTO tasks (id, source, subject_type, subject_id, stage, scope, snapshot, status, "
                     "requested_at, due_at) VALUES %s", tasks(count, rng), page_size=5000)
            cur.execute("ANALYZE tasks")
        admin = str(create_admin(running.database_url("identity"), "13100000001", PASSWORD,
                                   running.env["IDENTITY_SECRET_KEY_FILE"]))
        with psycopg2.connect(running.database_url("review")) as conn, conn.cursor() as cur:
            cur.execute("INSERT INTO reviewer_grants VALUES (%s, 'platform_admin', '') ON CONFLICT DO NOTHING", (admin,))
        session = requests.Session()
        form = session.get(f"{running.review_ui_url}/login", timeout=30).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # sign-in forms carry a CSRF token
        signed = session.post(f"{running.review_ui_url}/login", timeout=30, allow_redirects=False,
                              data={"phone": "13100000001", "password": PASSWORD, "csrf_token": csrf})
        assert signed.status_code == 302, signed.text
        timed_pages(session, f"{running.review_ui_url}/", 5)  # warm-up
        results = {"open_tasks": count, "queries": timed_queries(running.database_url("review")),
                   "queue_page": timed_pages(session, f"{running.review_ui_url}/", PAGE_REQUESTS),
                   "task_list_page": timed_pages(session, f"{running.review_ui_url}/tasks?stage=initial", PAGE_REQUESTS),
                   "task_list_page_deep": timed_pages(session, f"{running.review_ui_url}/tasks?stage=initial&page=200",
                                                      PAGE_REQUESTS // 4),
                   # the workbench: soonest start first, in the national queue (every province) and one province's
                   "national_by_start_date": timed_pages(
                       session, f"{running.review_ui_url}/tasks?stage=national&sort=start_at", PAGE_REQUESTS),
                   "provincial_by_start_date": timed_pages(
                       session, f"{running.review_ui_url}/tasks?stage=provincial&sort=start_at", PAGE_REQUESTS),
                   "all_by_start_date_page_20": timed_pages(
                       session, f"{running.review_ui_url}/tasks?sort=start_at&page=20", PAGE_REQUESTS // 4),
                   "search_by_name": timed_pages(
                       session, f"{running.review_ui_url}/tasks?q=%E6%B4%BB%E5%8A%A8%2012345", PAGE_REQUESTS // 4),
                   "search_by_common_name": timed_pages(
                       session, f"{running.review_ui_url}/tasks?q=%E7%A7%91%E6%99%AE", PAGE_REQUESTS // 4),
                   "escalations_page": timed_pages(session, f"{running.review_ui_url}/escalations", PAGE_REQUESTS // 4),
                   "search_by_phone": timed_pages(
                       session, f"{running.review_ui_url}/tasks?phone=13900012345", PAGE_REQUESTS // 4)}
        client = RpcClient(running.env["AMQP_URI"], timeout=30)
        ids = [task["id"] for task in client.call("review", "list_tasks", {"actor_id": admin, "stage": "initial",
                                                                           "limit": 200})]
        ids += [task["id"] for task in client.call("review", "list_tasks", {"actor_id": admin, "stage": "scientific",
                                                                            "limit": 200})]
        while len(ids) < DECISIONS:
            offset = len(ids)
            ids += [task["id"] for task in client.call("review", "list_tasks", {"actor_id": admin, "stage": "national",
                                                                                "limit": 200, "offset": offset})]
        ids = ids[:DECISIONS]
        lock, position = threading.Lock(), iter(ids)

        def decider():
            while True:
                with lock:
                    task_id = next(position, None)
                if task_id is None:
                    return
                client.call("review", "decide", task_id, {"actor_id": admin, "decision": "approved"})

        started = time.perf_counter()
        threads = [threading.Thread(target=decider) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        client.close()
        results["decisions"] = {"count": len(ids), "per_s": round(len(ids) / elapsed, 1)}
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
