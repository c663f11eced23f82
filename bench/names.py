"""Issue 23's figures, each beside its baseline in the same run (python bench/names.py; JSON on stdout):

1. The share consumer deciding by the counting rule (services/metrics/counting.py: a tally read per batch,
   every raw return written to share_returns) beside raw kombu publishing and consuming the same bodies.
   BENCH_NAMES_EVENTS returns (50,000) of shares by EVENTS/5 communicators, five shares each on four
   contents (so the rule finds duplicates), published confirmed in batches of 1,000; done when every return
   is in the audit.
2. A city board with names at BENCH_NAMES_USERS communicators (1,000,000): metrics loaded as bench/metrics.py
   loads a campaign day (BENCH_NAMES_SHARES shares, rolled up), identity loaded with the same people
   (accounts and approved verifications with real names, server-side), then GET /leaderboard (city, day,
   20 a page) sequentially, p50/p95/p99: first with no masked names in metrics (the gateway asks identity's
   people RPC for the page), then with the masked names user_verified brings (one RPC); beside the same
   city's organization board and the one-RPC path, in the same platform.
"""
import json
import os
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

USERS = int(os.environ.get("BENCH_NAMES_USERS", "1000000"))
SHARES = int(os.environ.get("BENCH_NAMES_SHARES", "3000000"))
os.environ.setdefault("BENCH_METRICS_USERS", str(USERS))
os.environ.setdefault("BENCH_METRICS_SHARES", str(SHARES))
os.environ.setdefault("BENCH_METRICS_ORGS", os.environ.get("BENCH_NAMES_ORGS", "100000"))

import psycopg2  # noqa: E402
import psycopg2.extras  # noqa: E402
import requests  # noqa: E402

from bench import metrics as metrics_bench  # noqa: E402
from bench.common import platform  # noqa: E402
from bench.events import raw_kombu  # noqa: E402
from kepu_common.bus.amqp import ConfirmedPublisher  # noqa: E402
from kepu_common.interfaces.contracts import exchange_name, make_event  # noqa: E402
from kepu_common.domain.regions import path as region_path  # noqa: E402
from services.metrics import rollup  # noqa: E402
from services.metrics.periods import as_of  # noqa: E402

EVENTS = int(os.environ.get("BENCH_NAMES_EVENTS", "50000"))
READS = int(os.environ.get("BENCH_NAMES_READS", "300"))
STAGES = os.environ.get("BENCH_NAMES_STAGES", "consumer,board").split(",")
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕鹏辉建国志文")


def _audited(conn):
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM share_returns")
        return cur.fetchone()[0]


def consumer_with_the_rule(running, conn):
    now = datetime.now(timezone.utc)
    users = [uuid.uuid4() for _ in range(EVENTS // 5)]
    rows, events = [], []
    for user in users:
        contents = [uuid.uuid4() for _ in range(4)]
        for n in range(5):
            share = uuid.uuid4()
            rows.append((share, user, contents[n % 4]))
            events.append(make_event("share_returned", "gateway", share_id=str(share), user_id=str(user),
                                     returned_at=(now + timedelta(milliseconds=n)).isoformat()))
    with conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur, "INSERT INTO shares (id, user_id, content_type, content_id, channel, started_at, expires_at) "
                 "VALUES %s", [(str(s), str(u), "resource", str(c), "wechat_group", now, now + timedelta(days=1))
                               for s, u, c in rows],
            page_size=5000)
    bodies = [json.dumps(e) for e in events]
    before = _audited(conn)
    publisher = ConfirmedPublisher(running.env["AMQP_URI"])
    started = time.perf_counter()

    def publish():
        for start in range(0, len(events), 1000):
            publisher.publish_batch((exchange_name("gateway"), "share_returned", bodies[n].encode(),
                                     events[n]["event_id"]) for n in range(start, min(start + 1000, len(events))))

    thread = threading.Thread(target=publish)
    thread.start()
    while _audited(conn) - before < len(events):
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    thread.join()
    publisher.close()
    with conn, conn.cursor() as cur:
        cur.execute("SELECT outcome, count(*) FROM share_returns GROUP BY 1 ORDER BY 1")
        outcomes = dict(cur.fetchall())
    ours = {"events": len(events), "seconds": round(elapsed, 2), "events_per_s": round(len(events) / elapsed),
            "outcomes": outcomes}
    raw = raw_kombu(running.env["AMQP_URI"], bodies)
    return {"ours": ours, "raw_kombu": raw, "ratio": round(ours["events_per_s"] / raw["events_per_s"], 2)}


def load_identity(identity_url, places):
    """USERS accounts with approved verifications (real names), the same ids and places metrics holds."""
    codes = [p[0] for p in places]
    paths = [region_path(code) for code in codes]
    provinces = [p[0] for p in paths]
    middles = [p[1] if len(p) > 2 else p[0] for p in paths]
    began = time.perf_counter()
    conn = psycopg2.connect(identity_url)
    with conn, conn.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute(
            "INSERT INTO users (id, phone_lookup, phone_sealed, phone_masked, password_hash) SELECT "
            "('00000000-0000-0000-0000-' || lpad(to_hex(u), 12, '0'))::uuid, decode(md5('phone' || u), 'hex'), "
            "'\\x00'::bytea, '150****' || lpad((u %% 10000)::text, 4, '0'), 'x' "
            "FROM generate_series(1, %(users)s) u ON CONFLICT DO NOTHING", {"users": USERS})
        cur.execute(
            "INSERT INTO verifications (id, user_id, real_name, id_lookup, id_sealed, id_masked, unit_name, "
            "unit_address, communicator_type, region_code, region_path, status, decided_at) SELECT "
            "('30000000-0000-0000-0000-' || lpad(to_hex(u), 12, '0'))::uuid, "
            "('00000000-0000-0000-0000-' || lpad(to_hex(u), 12, '0'))::uuid, "
            "(%(surnames)s::text[])[1 + u %% %(ns)s] || (%(given)s::text[])[1 + (u / 7) %% %(ng)s] "
            "  || (%(given)s::text[])[1 + (u / 13) %% %(ng)s], "
            "decode(md5(u::text), 'hex'), '\\x00'::bytea, '1101**********0000', '科普单位', '地址', 'individual', "
            "(%(codes)s::text[])[1 + (u %% %(orgs)s) %% %(n)s], "
            "ARRAY[(%(provinces)s::text[])[1 + (u %% %(orgs)s) %% %(n)s], "
            "      (%(middles)s::text[])[1 + (u %% %(orgs)s) %% %(n)s], "
            "      (%(codes)s::text[])[1 + (u %% %(orgs)s) %% %(n)s]], 'approved', now() "
            "FROM generate_series(1, %(users)s) u ON CONFLICT DO NOTHING",
            {"users": USERS, "surnames": SURNAMES, "ns": len(SURNAMES), "given": GIVEN, "ng": len(GIVEN),
             "codes": codes, "provinces": provinces, "middles": middles, "n": len(codes),
             "orgs": metrics_bench.ORGS})
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE users")
        cur.execute("VACUUM ANALYZE verifications")
    conn.close()
    return {"identity_load_s": round(time.perf_counter() - began, 1)}


def masked_names_in_metrics(conn):
    """What user_verified would have brought metrics: the same names as identity's, masked (王*明)."""
    began = time.perf_counter()
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE communicators SET masked_name = (%(surnames)s::text[])[1 + u %% %(ns)s] || '*' || "
            "(%(given)s::text[])[1 + (u / 13) %% %(ng)s] FROM (SELECT user_id AS id, "
            "('x' || right(user_id::text, 12))::bit(48)::bigint AS u FROM communicators "
            " WHERE user_id::text LIKE '00000000-0000-0000-0000-%%') n WHERE communicators.user_id = n.id",
            {"surnames": SURNAMES, "ns": len(SURNAMES), "given": GIVEN, "ng": len(GIVEN)})
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE communicators")
    conn.autocommit = False
    return round(time.perf_counter() - began, 1)


def _board(session, url):
    page = session.get(url, timeout=30).json()
    return {"rows": len(page["items"]), "named": sum(1 for row in page["items"] if row.get("masked_name")),
            "first": {k: page["items"][0].get(k) for k in ("masked_name", "org_name", "region_name", "shares", "rank")}
            if page["items"] else None}


def reads(running, conn, places):
    import random

    rng = random.Random(2026)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {running.token(['communicator'])}"
    base = f"{running.gateway_url}/api/v1"
    cities = sorted({p[1] for p in places})
    latencies = metrics_bench._latencies

    def city_board():
        return f"{base}/leaderboard?scope=city&code={rng.choice(cities)}&period=day&page_size=20"

    result = {"names_from_identity_sample": _board(session, f"{base}/leaderboard?scope=city&code={cities[0]}"
                                                            "&period=day&page_size=20")}
    # metrics without masked names (communicators verified before user_verified carried them): identity is asked
    result["city_board_names_from_identity"] = latencies(session, city_board, READS)
    result["masked_names_load_s"] = masked_names_in_metrics(conn)
    result["names_in_metrics_sample"] = _board(session, f"{base}/leaderboard?scope=city&code={cities[0]}"
                                                        "&period=day&page_size=20")
    result["city_board_with_names"] = latencies(session, city_board, READS)
    result["city_org_board"] = latencies(session, lambda: f"{base}/leaderboard?subject=orgs&scope=city&code="
                                                          f"{rng.choice(cities)}&period=day&page_size=20", READS)
    result["one_rpc"] = latencies(session, lambda: f"{base}/system/services/identity", READS)
    return result


def run():
    result = {}
    with platform(("identity", "metrics", "gateway"), GATEWAY_WORKERS=2, GATEWAY_THREADS=16,
                  GATEWAY_READY_SERVICES="identity,metrics") as running:
        conn = psycopg2.connect(running.database_url("metrics"))
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE settings SET share_minute_ceiling = 10")
        if "consumer" in STAGES:
            result["consumer"] = consumer_with_the_rule(running, conn)
        print(json.dumps(result, default=str), file=sys.stderr)
        if "board" not in STAGES:
            conn.close()
            return result
        day = as_of(datetime.now(timezone.utc))[1]
        places = metrics_bench._places()
        result["load"] = metrics_bench.load_campaign_day(conn, day)
        began = time.perf_counter()
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (rollup.ROLLUP_LOCK,))
            rollup.roll_up(cur, day)
        result["load"]["rollup_s"] = round(time.perf_counter() - began, 1)
        result["load"].update(load_identity(running.database_url("identity"), places))
        print(json.dumps(result, default=str), file=sys.stderr)
        result["reads"] = reads(running, conn, places)
        conn.close()
    result["sizes"] = {"users": USERS, "shares": SHARES, "orgs": metrics_bench.ORGS, "events": EVENTS,
                       "reads": READS}
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, default=str))
