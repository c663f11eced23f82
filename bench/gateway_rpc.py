"""Gateway request that makes one RPC: GET /api/v1/system/services/identity (identity answers over RPC
after one query on its database). wrk, 32 connections, on this machine, beside /healthz (no RPC) as
the same-run baseline for what Flask under gunicorn costs without the service call."""
import subprocess

from bench.common import cpu_seconds_between, cpu_ticks, ensure_wrk, parse_wrk, platform

CONNECTIONS = 32
SECONDS = 20


def wrk(url, seconds=SECONDS):
    result = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url],
                            capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


def run():
    ensure_wrk()
    with platform(("identity", "gateway"), GATEWAY_WORKERS=2, GATEWAY_THREADS=16, GATEWAY_READY_SERVICES="identity",
                  OUTBOX_RELAY="false") as running:
        rpc_url = f"{running.gateway_url}/api/v1/system/services/identity"
        wrk(rpc_url, 3)  # warm-up: connections, pools
        before = cpu_ticks()
        one_rpc = wrk(rpc_url)
        cpu = cpu_seconds_between(before, cpu_ticks())
        baseline = wrk(f"{running.gateway_url}/healthz", 10)
    one_rpc["cpu_ms_per_request"] = {name: round(1000 * seconds / one_rpc["requests"], 3)
                                     for name, seconds in sorted(cpu.items(), key=lambda kv: -kv[1])
                                     if seconds / one_rpc["requests"] > 0.00001}
    return {"one_rpc": one_rpc, "no_rpc_baseline": baseline, "connections": CONNECTIONS, "seconds": SECONDS}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
