"""The gateway's HTTP layer alone: gunicorn with the gateway's worker class (gateway/gunicorn_worker.py),
one worker of 16 threads, a trivial WSGI app (gateway/tests/sleepy_wsgi.py, which answers its process id),
wrk with 16 kept-alive connections. No Flask, no RPC: what the worker itself costs per request.

    PYTHONPATH=. .venv/bin/python bench/gateway_worker.py [--against <checkout> [rounds]]

With --against, runs alternate between that checkout ("before"), this one ("after") and this one with
GATEWAY_KEEP_SERVING_MS=0 ("after, keep-serving off"), on a machine too noisy for one run of each.
Each line: requests/s, p99 and the worker process's CPU (user + system) per request."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, cpu_ticks, ensure_wrk, parse_wrk
from kepu_common.devstack import free_port

CONNECTIONS = 16
SECONDS = 8


def worker_ticks(pid):
    return cpu_ticks()[pid][1]


def wrk(url, seconds):
    return parse_wrk(subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url],
                                    capture_output=True, text=True, check=True).stdout)


def run(root=None, **env):
    ensure_wrk()
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-k", "gateway.gunicorn_worker.GatewayWorker", "-w", "1",
         "--threads", "16", "-b", f"127.0.0.1:{port}", "gateway.tests.sleepy_wsgi:app"],
        cwd=root or ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
            if workers and subprocess.run(["curl", "-s", "-m", "2", "-o", "/dev/null", url]).returncode == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        wrk(url, 2)  # warm-up
        before = worker_ticks(workers[0])
        figures = wrk(url, SECONDS)
        used = (worker_ticks(workers[0]) - before) / os.sysconf("SC_CLK_TCK")
        return {"requests_per_s": figures["requests_per_s"], "p99_ms": figures["p99_ms"],
                "worker_cpu_us_per_request": round(used / figures["requests"] * 1e6, 1)}
    finally:
        server.terminate()
        server.wait(30)


def compare(other_root, rounds):
    variants = (("before", other_root, {}), ("after", None, {}),
                ("after, keep-serving off", None, {"GATEWAY_KEEP_SERVING_MS": "0"}))
    for n in range(rounds):
        for name, root, env in variants:
            print(json.dumps({"run": n + 1, "checkout": name, **run(root, **env)}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--against":
        compare(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    else:
        print(json.dumps(run(), indent=2))
