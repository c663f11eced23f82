"""The gateway as deployed: wrk -> nginx (deploy/nginx/nginx.conf, only upstreams, ports and paths changed, as
tests/test_deploy_files.py runs it) -> the split gateway (the API under granian, kepu_common/edge/granian_server.py;
the streamed uploads under gunicorn; each 2 workers x 16 threads, GATEWAY_TRUSTED_PROXIES=1) -> services. Both
requests measured here are API requests, so granian answers them; gunicorn's side runs idle beside it.

Two signed-in requests, each for SECONDS with CONNECTIONS connections and a bearer token:
- one RPC: GET /api/v1/me/points (metrics.points: one query, an empty ledger for the bench's user);
- the share return: POST /api/v1/shares/<signed id>/return (no RPC: a confirmed publish, group-committed).

CPU per request: every process of the platform (gateway workers, services), the PostgreSQL backends of its
databases, the broker (bench.common.cpu_ticks) and nginx's processes, divided by the requests wrk completed.

    PYTHONPATH=. .venv/bin/python bench/gateway_nginx.py [--against <checkout>[,<checkout>...] [rounds]]
    PYTHONPATH=. .venv/bin/python bench/gateway_nginx.py --servers [rounds]
    PYTHONPATH=. .venv/bin/python bench/gateway_nginx.py --options <checkout of 84315ec> [rounds]

With --against, each round runs those checkouts (other commits' work trees) and then this one, each on a
fresh platform, so the machine's noise falls on all alike (checkouts before the split run their gateway under
gunicorn alone, as they deployed it). With --servers, runs alternate between the split as deployed and gunicorn
alone answering every path (gateway/gunicorn.conf.py, as before the split and as make run without nginx), the same
application (gateway.wsgi:app) behind the same nginx. With --options, each round runs the other checkout and then this
code under each configuration-level alternative of `options()` (nginx's upstream keep-alive off, gunicorn's
keep-alive 0, fewer threads, the header deadline off, gunicorn's sync worker, granian); BENCH_VARIANTS
(names separated by ";") picks some. One JSON line per run, as the other modes print.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import ROOT, cpu_seconds_between, cpu_ticks, devstack, ensure_wrk, parse_wrk, platform

CONNECTIONS = 32
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
USER = "00000000-0000-0000-0000-000000000001"  # bench.common's token subject


def nginx_config(tmp, upstream, port, upstream_keepalive=True, uploads_upstream=None):
    """deploy/nginx/nginx.conf with only what differs on this machine changed (tests/test_deploy_files.py);
    upstream_keepalive=False drops the gateway upstream's `keepalive` (one connection to the gateway per request)."""
    text = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    if not upstream_keepalive:
        kept = "server gateway:8000;\n        keepalive 32;\n"
        assert kept in text, "the gateway upstream's keepalive line moved"
        text = text.replace(kept, "server gateway:8000;\n")
    text = devstack.local_upstreams(text, upstream, uploads_upstream, "127.0.0.1:9")
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    text = text.replace("listen 8100;", f"listen 127.0.0.1:{devstack.free_port()};")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {tmp}/nginx.pid;")
    text = text.replace("/etc/nginx/kepu/errors.conf", str(ROOT / "deploy" / "nginx" / "errors.conf"))
    text = text.replace("access_log /dev/stdout kepu;", "access_log off;")
    text = text.replace("client_body_temp_path /tmp/client_body;", f"client_body_temp_path {tmp}/body;")
    text = text.replace("proxy_temp_path /tmp/proxy;", f"proxy_temp_path {tmp}/proxy;")
    path = Path(tmp) / "nginx.conf"
    path.write_text(text)
    return path


@contextmanager
def nginx_in_front(gateway_url, upstream_keepalive=True, uploads_url=None):
    with tempfile.TemporaryDirectory(prefix="kepu-bench-nginx-") as tmp:
        port = devstack.free_port()
        config = nginx_config(tmp, gateway_url.removeprefix("http://"), port, upstream_keepalive,
                              uploads_url and uploads_url.removeprefix("http://"))
        process = subprocess.Popen([NGINX, "-c", str(config), "-e", "stderr", "-g", "daemon off;"],
                                   stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / "error.log", "wb"))
        try:
            devstack.wait_for_port("127.0.0.1", port, 20, "nginx")
            yield f"http://127.0.0.1:{port}", process.pid
        finally:
            process.terminate()
            process.wait(20)


def nginx_ticks(master):
    """utime+stime of nginx's master and workers, as cpu_ticks counts them."""
    ticks = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(pid) == master or int(fields[1]) == master:
            ticks[int(pid)] = ("nginx", int(fields[11]) + int(fields[12]))
    return ticks


def wrk(url, token, seconds, method="GET"):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.method = "{method}"\nwrk.headers["Authorization"] = "Bearer {token}"\n')
    try:
        done = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", script.name, url],
                              capture_output=True, text=True, check=True)
    finally:
        os.unlink(script.name)
    return parse_wrk(done.stdout)


def measured(running, nginx_pid, url, token, method):
    before = {**cpu_ticks(running), **nginx_ticks(nginx_pid)}
    figures = wrk(url, token, SECONDS, method)
    after = {**cpu_ticks(running), **nginx_ticks(nginx_pid)}
    cpu = cpu_seconds_between(before, after)
    requests = max(figures["requests"], 1)
    figures["cpu_ms_per_request"] = {name: round(1000 * used / requests, 3)
                                     for name, used in sorted(cpu.items(), key=lambda kv: -kv[1])
                                     if used / requests > 0.00001}
    figures["cpu_ms_total"] = round(1000 * sum(cpu.values()) / requests, 3)
    return figures


WORKERS, THREADS = 2, 16


def start_granian(running):
    """The gateway under granian's WSGI mode instead of gunicorn, on the platform's gateway address."""
    host, port = running.env["GATEWAY_BIND"].rsplit(":", 1)
    command = [str(Path(sys.executable).with_name("granian")), "--interface", "wsgi", "--host", host, "--port", port,
               "--workers", str(WORKERS), "--blocking-threads", str(THREADS), "--no-ws", "--log-level", "warning",
               "gateway.wsgi:app"]
    log = open(running.logs / "gateway.log", "ab")
    running.processes["gateway"] = subprocess.Popen(command, env=running.env, stdout=log, stderr=subprocess.STDOUT,
                                                    cwd=devstack.ROOT)
    devstack.wait_for_port(host, int(port), 90, "gateway (granian)")


def run(root=None, server=None, upstream_keepalive=True, threads=THREADS, **gateway_env):
    """server: "split" (as deployed; this code's default), "gunicorn" (alone, every path; other checkouts'
    default) or "granian" (granian's own command line alone, the pre-split measurements' variant)."""
    ensure_wrk()
    from services.metrics import contracts

    server = server or ("gunicorn" if root else "split")
    devstack.ROOT = Path(root or ROOT)
    components = {"gunicorn": ("metrics", "gateway"), "split": ("metrics", "gateway", "gateway-api"),
                  "granian": ("metrics",)}[server]
    try:
        with tempfile.TemporaryDirectory(prefix="kepu-bench-share-") as keys:
            key_path = Path(keys) / contracts.SHARE_KEY_NAME
            key = contracts.load_key(key_path)
            with platform(components, GATEWAY_WORKERS=WORKERS, GATEWAY_THREADS=threads, GATEWAY_TRUSTED_PROXIES=1,
                          SHARE_KEY_FILE=str(key_path), OUTBOX_RELAY="false", **gateway_env) as running:
                if server == "granian":
                    start_granian(running)
                token = running.token(["communicator"])
                share = contracts.make_share_id(key, uuid.uuid4(), USER, datetime.now(timezone.utc) + timedelta(hours=2))
                api_url, uploads_url = ((running.gateway_api_url, running.gateway_url) if server == "split"
                                        else (running.gateway_url, None))
                with nginx_in_front(api_url, upstream_keepalive, uploads_url) as (url, nginx_pid):
                    one_rpc_url, share_url = f"{url}/api/v1/me/points", f"{url}/api/v1/shares/{share}/return"
                    wrk(one_rpc_url, token, 3)  # warm-up: connections, pools, the token cache
                    wrk(share_url, token, 3, "POST")
                    return {"one_rpc": measured(running, nginx_pid, one_rpc_url, token, "GET"),
                            "share_return": measured(running, nginx_pid, share_url, token, "POST")}
    finally:
        devstack.ROOT = ROOT


def compare(other_roots, rounds):
    """Each round runs every other checkout (named by its directory), then this code."""
    for n in range(rounds):
        for name, root in [(Path(r).name, r) for r in other_roots] + [("this code", None)]:
            figures = run(root)
            print(json.dumps({"run": n + 1, "checkout": name, **figures}), flush=True)


def compare_servers(rounds):
    for n in range(rounds):
        for server in ("gunicorn", "split"):
            figures = run(server=server)
            print(json.dumps({"run": n + 1, "server": server, **figures}), flush=True)


def options(other_root):
    """--options: 84315ec (other_root) and this code's configuration-level alternatives, in one round."""
    return (
        ("84315ec", {"root": other_root}),
        ("split gateway (as deployed)", {}),
        ("gthread alone, nginx keepalive 32 (as deployed before the split)", {"server": "gunicorn"}),
        ("gthread, nginx upstream keepalive off", {"server": "gunicorn", "upstream_keepalive": False}),
        ("gthread, 2 x 4 threads", {"server": "gunicorn", "threads": 4}),
        ("gthread, gunicorn keepalive 0", {"server": "gunicorn", "GUNICORN_CMD_ARGS": "--keep-alive 0"}),
        ("gthread, header deadline off", {"server": "gunicorn", "GATEWAY_HEADER_TIMEOUT": "0"}),
        # gunicorn's own sync worker (no client time-out per read, no envelope for its own errors: the
        # GatewayWorker is a gthread worker); GUNICORN_CMD_ARGS overrides gateway/gunicorn.conf.py
        ("sync worker, 4 processes", {"server": "gunicorn", "GUNICORN_CMD_ARGS": "--worker-class sync --workers 4 --threads 1"}),
        ("granian WSGI, 2 x 16", {"server": "granian"}),
    )


def compare_options(other_root, rounds, only=None):
    for n in range(rounds):
        for name, settings in options(other_root):
            if only and name not in only:
                continue
            try:
                figures = run(**settings)
            except devstack.MissingInfrastructure as error:  # SeaweedFS did not start on the loaded machine
                print(f"{name}: {error!r}, starting again", file=sys.stderr, flush=True)
                figures = run(**settings)
            print(json.dumps({"run": n + 1, "variant": name, **figures}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--options":
        compare_options(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 2,
                        os.environ["BENCH_VARIANTS"].split(";") if os.environ.get("BENCH_VARIANTS") else None)
    elif len(sys.argv) > 1 and sys.argv[1] == "--servers":
        compare_servers(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    elif len(sys.argv) > 2 and sys.argv[1] == "--against":
        compare(sys.argv[2].split(","), int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    else:
        print(json.dumps(run(), indent=2))
