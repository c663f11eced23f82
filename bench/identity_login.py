"""Sign-in throughput with the chosen argon2id parameters: identity's `login` RPC (the guessing policy's
reads, argon2id verify, token issue) from 8 client threads, each sign-in a different account and address.
Correct passwords never count towards a limit (docs/operations.md), so nothing is refused."""
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import psycopg2.extras

from bench.common import platform
from kepu_common.bus.rpc_client import RpcClient

ACCOUNTS = 600
PASSWORD = "kepu2026science"


def run(accounts=ACCOUNTS):
    from argon2 import PasswordHasher

    from services.identity import passwords
    from services.identity.dependencies import read_secret
    from services.identity.phone_vault import PhoneVault

    # the same parameters the service uses, hashed here once and shared by every account
    hasher = PasswordHasher(time_cost=passwords._hasher.time_cost, memory_cost=passwords._hasher.memory_cost,
                            parallelism=passwords._hasher.parallelism)
    started = time.perf_counter()
    password_hash = hasher.hash(PASSWORD)
    one_hash_ms = (time.perf_counter() - started) * 1000
    phones = [f"135{n:08d}" for n in range(accounts)]
    with platform(("identity",), OUTBOX_RELAY="false") as running:
        with psycopg2.connect(running.database_url("identity")) as conn, conn.cursor() as cur:
            vault = PhoneVault(read_secret(running.env["IDENTITY_SECRET_KEY_FILE"]))  # phones are sealed at rest
            rows = []
            for phone in phones:
                user_id = uuid.uuid4()
                rows.append((str(user_id), *vault.columns(phone, user_id), password_hash))
            psycopg2.extras.execute_values(cur, "INSERT INTO users (id, phone_lookup, phone_sealed, phone_masked, "
                                                "password_hash) VALUES %s", rows)
        client = RpcClient(running.env["AMQP_URI"], timeout=60)
        latencies = []

        def login(n):
            t = time.perf_counter()
            client.call("identity", "login", {"phone": phones[n], "password": PASSWORD, "client_ip": f"10.9.{n // 250}.{n % 250}"})
            latencies.append((time.perf_counter() - t) * 1000)

        login(0)
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(login, range(1, accounts)))
        elapsed = time.perf_counter() - started
        client.close()
    latencies = sorted(latencies[1:])
    return {"sign_ins": accounts - 1, "seconds": round(elapsed, 2), "per_s": round((accounts - 1) / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2], 1), "p95_ms": round(latencies[int(len(latencies) * 0.95)], 1),
            "one_hash_ms": round(one_hash_ms, 1),
            "parameters": f"argon2id t={hasher.time_cost}, m={hasher.memory_cost} KiB, p={hasher.parallelism}"}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
