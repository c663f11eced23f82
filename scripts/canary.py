"""`make canary`: the newest release of every library whose internals the platform relies on, tried in a
scratch virtualenv against the guards and the transport tests (docs/operations.md, "The canary").

1. A scratch virtualenv (CANARY_VENV, /tmp/kepu-canary by default) gets the locked requirements-dev.txt.
2. Every guarded library (GUARDED, the table in docs/architecture.md "Library internals we rely on") is
   upgraded to its newest release, pins ignored.
3. It prints what moved (library: locked -> newest), then runs the guards and the transport tests with the
   scratch interpreter against this checkout. Exit status: pytest's (0: the newest releases pass).

The project's own .venv is not touched. The tests need the local RabbitMQ and PostgreSQL, as `make test`.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("CANARY_VENV", "/tmp/kepu-canary"))
# distribution name -> where its guard is (requirements.in names each one beside its pin)
GUARDED = {
    "nameko": "kepu_common/operations/patches.py guard_nameko_responder, guard_nameko_timing_logger",
    "kombu": "kepu_common/operations/patches.py guard_consumer_reconnect",
    "amqp": "kepu_common/operations/patches.py guard_amqp_write, guard_amqp_read",
    "psycopg2-binary": "kepu_common/operations/patches.py guard_psycopg2_pool",
    "marshmallow": "kepu_common/interfaces/validation.install, patches.guard_marshmallow_declared_fields",
    "minio": "kepu_common/data/storage.guard_multipart",
    "gunicorn": "kepu_common/edge/edge_worker.py (import-time check)",
    "flask": "gateway.GatewayFlask.ensure_sync",
    # no internal touched, but pinned to a minor version: its settings classes are what a minor release changes
    "granian": "kepu_common/edge/granian_server.py (public API only; kepu_common/tests/test_granian_server.py)",
}
TESTS = [
    "kepu_common/tests/test_patches.py",
    "kepu_common/tests/test_storage_guard.py",
    "kepu_common/tests/test_validation.py",
    "kepu_common/tests/test_rpc_wire.py",
    "kepu_common/tests/test_rpc_client.py",
    "kepu_common/tests/test_rpc_reply_lost.py",
    "kepu_common/tests/test_rpc_signature.py",
    "kepu_common/tests/test_event_bus.py",
    "kepu_common/tests/test_tls_transport.py",
    "gateway/tests/test_gunicorn_edge.py",
    "kepu_common/tests/test_granian_server.py",
    "gateway/tests/test_share_fast_path.py",
]


def pip(*args):
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q", *args],
                   check=True, cwd=ROOT)


def installed():
    listed = subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "list",
                             "--format", "json"], check=True, capture_output=True, text=True).stdout
    return {entry["name"].lower(): entry["version"] for entry in json.loads(listed)}


def main():
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip("install", "pip<25", "setuptools<70", "wheel")
    pip("install", "-r", "requirements-dev.txt")
    locked = installed()
    pip("install", "--upgrade", *GUARDED)
    newest = installed()
    print("\nguarded libraries, locked -> newest:")
    moved = 0
    for name, guard in GUARDED.items():
        before, after = locked.get(name, "?"), newest.get(name, "?")
        moved += before != after
        print(f"  {name:16} {before:>10} -> {after:<10} {'MOVED' if before != after else 'same '}  guard: {guard}")
    others = sorted(n for n in newest if n not in GUARDED and newest[n] != locked.get(n))
    if others:
        print("  also moved with them: " + ", ".join(f"{n} {locked.get(n, '-')} -> {newest[n]}" for n in others))
    print(f"\n{moved} of {len(GUARDED)} guarded libraries moved; running the guards and the transport tests\n", flush=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([str(VENV / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
                          cwd=ROOT, env=env)
    print("\ncanary:", "the newest releases pass" if done.returncode == 0 else
          "the newest releases break something above: update the guard and docs/architecture.md before moving the pin")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
