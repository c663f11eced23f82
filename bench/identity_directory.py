"""Directory autocomplete with 100,000 verified organizations, through the gateway: GET /api/v1/orgs?q=
for 1- to 6-character queries (full words and the short forms people type: 科协, 朝阳区科协, 北京朝阳), 1 then 8
client threads with keep-alive, latency per request."""
import random
import threading
import time
import uuid
from urllib.parse import quote

import psycopg2
import psycopg2.extras
import requests

from bench.common import platform
from kepu_common.domain import regions
from services.identity.dependencies import read_secret
from services.identity.org_names import search_key
from services.identity.phone_vault import PhoneVault

ORGANIZATIONS = 100_000
REQUESTS = 3000
QUERIES = ["科", "中学", "科技", "朝阳", "科学技术", "协会", "有限公司", "第三", "学会", "天河区", "科普", "博物馆",
           "海淀区第", "人民", "浦东新区", "科协", "朝阳区科协", "广东省科协", "北京朝阳", "海淀科协"]
SUFFIXES = ["科学技术协会", "科协", "第{n}中学", "第{n}小学", "科技有限公司", "科普教育基地", "科学技术馆", "医学会",
            "街道办事处", "社区居民委员会", "自然博物馆", "青少年活动中心"]
CATEGORIES = ["county_cast", "city_cast", "school", "school", "enterprise", "other", "other", "society", "street",
              "community", "other", "other"]


def organizations(count, rng):
    counties = [d for d in regions._index().values() if d.level == 3]
    rows, seen = [], set()
    for n in range(count):
        county = rng.choice(counties)
        k = rng.randrange(len(SUFFIXES))
        prefix = "".join(regions.lookup(c).name for c in regions.path(county.code))
        name = f"{prefix}{SUFFIXES[k].format(n=rng.randint(1, 150))}"
        if name in seen:  # verified names are unique
            name = f"{name}（{n}）"
        seen.add(name)
        rows.append((str(uuid.uuid4()), name, CATEGORIES[k], county.code, regions.path(county.code)))
    return rows


def _percentile(ordered, fraction):
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))], 1)


def run(count=ORGANIZATIONS, total=REQUESTS):
    rng = random.Random(2026)
    rows = organizations(count, rng)
    with platform(("identity", "gateway"), GATEWAY_WORKERS=2, GATEWAY_THREADS=8, OUTBOX_RELAY="false") as running:
        with psycopg2.connect(running.database_url("identity")) as conn, conn.cursor() as cur:
            owner = str(uuid.uuid4())
            vault = PhoneVault(read_secret(running.env["IDENTITY_SECRET_KEY_FILE"]))
            cur.execute("INSERT INTO users (id, phone_lookup, phone_sealed, phone_masked, password_hash) "
                        "VALUES (%s, %s, %s, %s, 'x')", (owner, *vault.columns("13000000000", owner)))
            psycopg2.extras.execute_values(
                cur, "INSERT INTO organizations (id, name, name_key, category, region_code, region_path, licence_key,"
                     " contact_name, contact_phone_sealed, contact_phone_masked, registrant_id, status) VALUES %s",
                [(i, name, search_key(name), cat, code, path, "licences/x", "联系人", vault.seal("010-00000000", i),
                  "010-****0000", owner, "approved") for i, name, cat, code, path in rows],
                template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", page_size=5000)
            cur.execute("ANALYZE organizations")
            cur.execute("SELECT pg_size_pretty(pg_relation_size('organizations_grams'))")
            index_size = cur.fetchone()[0]
        token = running.token(["communicator"])
        lock = threading.Lock()

        def client(seed, latencies, errors, count):
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            local_rng = random.Random(seed)
            for _ in range(count):
                q = local_rng.choice(QUERIES)
                started = time.perf_counter()
                response = session.get(f"{running.gateway_url}/api/v1/orgs?q={quote(q)}", timeout=10)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    (latencies if response.ok else errors).append(elapsed)

        for q in QUERIES:  # warm-up: plans, connections
            requests.get(f"{running.gateway_url}/api/v1/orgs?q={quote(q)}", headers={"Authorization": f"Bearer {token}"},
                         timeout=10)
        results = {"organizations": count, "grams_index": index_size}
        for clients in (1, 8):
            latencies, errors = [], []
            started = time.perf_counter()
            threads = [threading.Thread(target=client, args=(n, latencies, errors, total // 8)) for n in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
            latencies.sort()
            results[f"{clients}_clients"] = {"requests": len(latencies), "errors": len(errors),
                                             "requests_per_s": round(len(latencies) / elapsed),
                                             **{f"p{p}_ms": _percentile(latencies, p / 100) for p in (50, 95, 99)}}
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
