"""Where a gateway worker spends its CPU, through nginx as deployed: py-spy samples one gunicorn worker (of one)
(only threads holding the GIL: the Python work, no waiting) while wrk drives the share return or the one-RPC request (bench/gateway_nginx.py's two requests), for this
checkout and, with --against, another one (the commit before a change), one after the other.

    PYTHONPATH=. .venv/bin/python bench/profile_gateway.py [--against <checkout>] [seconds]

`pip install py-spy` first (not a dependency of the platform). Writes the collapsed stacks to
/tmp/kepu-profile-<checkout>-<request>.txt and prints, per checkout and request, the share of samples whose
stack passes through each of a few named parts of the work (inclusive), and the functions with the most samples
of their own (self).
"""
import collections
import json
import subprocess
import sys
import tempfile
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import ROOT, devstack, ensure_wrk, platform
from bench.gateway_nginx import nginx_in_front, wrk

USER = "00000000-0000-0000-0000-000000000001"
# inclusive: a sample counts for a part when one of its frames matches (file substring, function name or None)
PARTS = {
    "gunicorn worker (accept, parse, write)": ("gunicorn/", None),
    "gateway edge middleware": ("gateway/edge.py", None),
    "share fast path": ("gateway/share_fast_path.py", None),
    "Flask / flask-smorest dispatch": ("flask/app.py", "full_dispatch_request"),
    "token check": ("gateway/auth.py", None),
    "RPC client (publish, wait)": ("kepu_common/bus/rpc_client.py", None),
    "share event publish (confirm)": ("kepu_common/bus/amqp.py", None),
    "py-amqp": ("amqp/", None),
    "kombu": ("kombu/", None),
    "request log / metrics": ("gateway/requests_log.py", None),
    "JSON encode/decode": ("json/", None),
}


def profile(pid, seconds, out):
    subprocess.run([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--duration",
                    str(seconds), "--rate", "200", "--gil", "--format", "raw", "--nonblocking", "--output", str(out)],
                   check=True, capture_output=True)


def summarise(path):
    stacks = collections.Counter()
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        stacks[stack] += int(count)
    total = sum(stacks.values()) or 1
    parts = collections.Counter()
    own = collections.Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        for name, (where, function) in PARTS.items():
            if any(where in frame and (function is None or function in frame) for frame in frames):
                parts[name] += count
        own[frames[-1].split(" (")[0] + " " + frames[-1].rsplit("/", 1)[-1]] += count
    return {"samples": total,
            "parts_pct": {name: round(100 * parts[name] / total, 1) for name in PARTS},
            "top_self_pct": [(name, round(100 * count / total, 1)) for name, count in own.most_common(12)]}


def run(root=None, seconds=15):
    ensure_wrk()
    from services.metrics import contracts

    label = "this" if root is None else Path(root).name
    devstack.ROOT = Path(root or ROOT)
    results = {}
    try:
        with tempfile.TemporaryDirectory(prefix="kepu-profile-") as keys:
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
                        load = threading.Thread(target=wrk, args=(url + path, token, seconds + 4, method))
                        load.start()
                        out = Path(f"/tmp/kepu-profile-{label}-{request}.txt")
                        profile(worker, seconds, out)
                        load.join()
                        results[request] = summarise(out)
    finally:
        devstack.ROOT = ROOT
    return results


if __name__ == "__main__":
    args = sys.argv[1:]
    other = None
    if args[:1] == ["--against"]:
        other, args = args[1], args[2:]
    seconds = int(args[0]) if args else 15
    for root in ([other] if other else []) + [None]:
        print(json.dumps({"checkout": root or "this", **run(root, seconds)}, indent=1), flush=True)
