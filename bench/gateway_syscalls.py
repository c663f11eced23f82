"""User and system CPU, and system calls, per request of the gateway's worker through nginx as deployed, for this
checkout and another (the commit before a change): what bench/gateway_nginx.py's CPU per request is made of.

    PYTHONPATH=. .venv/bin/python bench/gateway_syscalls.py --against <checkout> [rounds]

One gunicorn worker (16 threads) behind nginx; wrk drives the share return, then the one-RPC request, SECONDS
each. utime and stime of the worker come from /proc; then, in a second window of the same load, `strace -c -f`
counts the worker's system calls (strace slows the worker: its counts per request are exact, its time is not
used). Prints one JSON line per checkout, request and round.
"""
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

from bench.common import ROOT, devstack, ensure_wrk, platform
from bench.gateway_nginx import nginx_in_front, wrk

SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
USER = "00000000-0000-0000-0000-000000000001"
HZ = os.sysconf("SC_CLK_TCK")


def times(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / HZ, int(fields[12]) / HZ


def syscalls(pid, seconds):
    """{name: calls} of every thread of pid over seconds (strace -c)."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(pid), "-o", out.name],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(seconds)
        tracer.terminate()
        tracer.wait(30)
        counts = {}
        for line in Path(out.name).read_text().splitlines():
            fields = line.split()
            if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
                calls = int(fields[3])
                counts[fields[-1]] = counts.get(fields[-1], 0) + calls
        return counts


def run(root=None):
    ensure_wrk()
    from services.metrics import contracts

    devstack.ROOT = Path(root or ROOT)
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="kepu-syscalls-") as keys:
            key_path = Path(keys) / contracts.SHARE_KEY_NAME
            key = contracts.load_key(key_path)
            with platform(("metrics", "gateway"), GATEWAY_WORKERS=1, GATEWAY_THREADS=16, GATEWAY_TRUSTED_PROXIES=1,
                          SHARE_KEY_FILE=str(key_path), OUTBOX_RELAY="false") as running:
                token = running.token(["communicator"])
                share = contracts.make_share_id(key, uuid.uuid4(), USER, datetime.now(timezone.utc) + timedelta(hours=2))
                master = running.processes["gateway"].pid
                worker = int(subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
                             .stdout.split()[0])
                with nginx_in_front(running.gateway_url) as (url, _):
                    for request, path, method in (("share_return", f"/api/v1/shares/{share}/return", "POST"),
                                                  ("one_rpc", "/api/v1/me/points", "GET")):
                        wrk(url + path, token, 3, method)
                        user, system = times(worker)
                        figures = wrk(url + path, token, SECONDS, method)
                        user, system = times(worker)[0] - user, times(worker)[1] - system
                        done = max(figures["requests"], 1)
                        traced = {}
                        load = threading.Thread(target=lambda: traced.update(wrk(url + path, token, SECONDS, method)))
                        load.start()
                        time.sleep(1)
                        calls = syscalls(worker, SECONDS - 3)
                        load.join()
                        traced_requests = max(traced.get("requests", 1) * (SECONDS - 3) / SECONDS, 1)
                        results.append({
                            "request": request, "requests_per_s": figures["requests_per_s"],
                            "user_ms": round(1000 * user / done, 3), "system_ms": round(1000 * system / done, 3),
                            "syscalls_per_request": {name: round(n / traced_requests, 2)
                                                     for name, n in sorted(calls.items(), key=lambda kv: -kv[1])
                                                     if n / traced_requests >= 0.05}})
    finally:
        devstack.ROOT = ROOT
    return results


if __name__ == "__main__":
    other = sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    for n in range(rounds):
        for name, root in (("before", other), ("after", None)):
            for row in run(root):
                print(json.dumps({"round": n + 1, "checkout": name, **row}), flush=True)
