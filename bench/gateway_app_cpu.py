"""CPU per request of the gateway's WSGI application alone (no HTTP server, no nginx), for this checkout and
another: the share return (the fast path and its confirmed publish) and an unknown path (404 through the edge and
Flask), N calls each from one thread, in a fresh process per checkout, alternating ROUNDS times.

    PYTHONPATH=. .venv/bin/python bench/gateway_app_cpu.py --against <checkout> [N] [ROUNDS]

What the server adds (gunicorn's parsing, its main loop, the writes) is the difference between this and the
gateway's CPU per request through nginx (bench/gateway_nginx.py, bench/gateway_syscalls.py).
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, devstack
from kepu_common.operations.keys import ensure_pair
from kepu_common.devtools.testing import AMQP_URI, RABBIT_API, mint_token

CHILD = r"""
import io, json, sys, time, uuid
from datetime import datetime, timedelta, timezone
sys.path.insert(0, ".")
from gateway import create_app
from services.metrics import contracts
n, amqp, key_path, public_key, token, user = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
n = int(n)
app = create_app({"AMQP_URI": amqp, "JWT_PUBLIC_KEYS": [open(public_key).read()], "SHARE_KEY_FILE": key_path,
                  "TRUSTED_PROXIES": 1, "STORAGE": {"endpoint": "http://127.0.0.1:9", "access_key": "x",
                  "secret_key": "x", "buckets": {"uploads": "u", "resources": "r", "licences": "l"}}})
key = contracts.load_key(key_path)
share = contracts.make_share_id(key, uuid.uuid4(), user, datetime.now(timezone.utc) + timedelta(hours=1))

def environ(method, path):
    return {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "x", "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.version": (1, 0), "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "x", "HTTP_X_FORWARDED_FOR": "203.0.113.9",
            "HTTP_AUTHORIZATION": "Bearer " + token, "HTTP_X_REQUEST_ID": "bench-1", "CONTENT_LENGTH": "0"}

def call(method, path):
    status = []
    body = b"".join(app(environ(method, path), lambda s, h, e=None: status.append(s)))
    return status[0]

results = {}
for name, method, path in (("share_return", "POST", f"/api/v1/shares/{share}/return"),
                           ("unknown_path", "GET", "/api/v1/no-such-thing")):
    for _ in range(200):
        status = call(method, path)
    assert status.split()[0] in ("202", "404"), status
    began = time.process_time()
    for _ in range(n):
        call(method, path)
    results[name] = round(1000 * (time.process_time() - began) / n, 4)
print(json.dumps(results))
"""


def main():
    other = sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    from services.metrics import contracts

    with tempfile.TemporaryDirectory(prefix="kepu-app-cpu-") as tmp:
        tmp = Path(tmp)
        private, public = ensure_pair(tmp / "keys")
        user = "00000000-0000-0000-0000-000000000001"
        token = mint_token(Path(private).read_text(), ["communicator"], sub=user, ttl=3600)
        key_path = tmp / contracts.SHARE_KEY_NAME
        contracts.load_key(key_path)
        vhost = "kepu-bench-app-cpu"
        devstack.create_vhost(RABBIT_API, vhost)
        try:
            for n_round in range(rounds):
                for name, root in (("before", other), ("after", str(ROOT))):
                    done = subprocess.run([sys.executable, "-c", CHILD, str(n), f"{AMQP_URI.rstrip('/')}/{vhost}",
                                           str(key_path), str(public), token, user],
                                          cwd=root, capture_output=True, text=True, check=True)
                    print(json.dumps({"round": n_round + 1, "checkout": name,
                                      **json.loads(done.stdout.strip().splitlines()[-1])}), flush=True)
        finally:
            devstack.delete_vhost(RABBIT_API, vhost)


if __name__ == "__main__":
    main()
