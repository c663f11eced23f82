"""Gateway request that makes one RPC: GET /api/v1/system/services/identity (identity answers over RPC
after one query on its database). wrk, 32 connections, on this machine, beside /healthz (no RPC) as
the same-run baseline for what Flask under gunicorn costs without the service call.

CPU per request is counted per process for the platform's own processes, the PostgreSQL backends of
its databases and the broker (bench.common.cpu_ticks), for both the RPC path and /healthz."""
import json
import subprocess
import sys
from pathlib import Path

from bench.common import ROOT, cpu_seconds_between, cpu_ticks, devstack, ensure_wrk, parse_wrk, platform

CONNECTIONS = 32
SECONDS = 20


def wrk(url, seconds=SECONDS):
    result = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url],
                            capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


def measured(running, url, seconds):
    before = cpu_ticks(running)
    figures = wrk(url, seconds)
    cpu = cpu_seconds_between(before, cpu_ticks(running))
    figures["cpu_ms_per_request"] = {name: round(1000 * used / figures["requests"], 3)
                                     for name, used in sorted(cpu.items(), key=lambda kv: -kv[1])
                                     if used / figures["requests"] > 0.00001}
    return figures


def run(root=None):
    """root: another checkout of the platform (the commit before a change) to measure instead of this one."""
    ensure_wrk()
    devstack.ROOT = Path(root or ROOT)  # the processes start from that checkout (cwd and config paths)
    one_rpc = baseline = None
    try:
        with platform(("identity", "gateway"), GATEWAY_WORKERS=2, GATEWAY_THREADS=16,
                      GATEWAY_READY_SERVICES="identity", OUTBOX_RELAY="false") as running:
            rpc_url = f"{running.gateway_url}/api/v1/system/services/identity"
            wrk(rpc_url, 3)  # warm-up: connections, pools
            one_rpc = measured(running, rpc_url, SECONDS)
            baseline = measured(running, f"{running.gateway_url}/healthz", 10)
    except subprocess.TimeoutExpired as slow:  # a loaded machine: the figures stand, only stopping was slow
        if baseline is None:
            raise
        print(f"platform slow to stop: {slow}", file=sys.stderr)
    finally:
        devstack.ROOT = ROOT
    return {"one_rpc": one_rpc, "no_rpc_baseline": baseline, "connections": CONNECTIONS, "seconds": SECONDS}


def compare(other_root, rounds):
    """Runs alternating between this checkout and other_root, on a machine too noisy for one run each; each
    line has the one-RPC figures and, from the same platform right after, /healthz's."""
    for n in range(rounds):
        for name, root in (("before", other_root), ("after", None)):
            figures = run(root)
            baseline = figures["no_rpc_baseline"]
            print(json.dumps({"run": n + 1, "checkout": name, **figures["one_rpc"],
                              "healthz": {key: baseline[key] for key in ("requests_per_s", "p99_ms", "cpu_ms_per_request")}}),
                  flush=True)


if __name__ == "__main__":
    # PYTHONPATH=. .venv/bin/python bench/gateway_rpc.py [--against <checkout of the previous commit> [rounds]]
    if len(sys.argv) > 2 and sys.argv[1] == "--against":
        compare(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    else:
        print(json.dumps(run(), indent=2))
