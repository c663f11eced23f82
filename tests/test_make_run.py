"""`make run` (scripts/run_local.py) as the README promises: everything comes up and answers ready (how fast:
bench/make_run_ready.py), and a SIGINT or SIGTERM sent to the launcher alone (not to its whole process group,
as a terminal's Ctrl-C does) stops every process it started. In a private vhost with its own databases and ports."""
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API

ROOT = devstack.ROOT
# not a speed limit (bench/make_run_ready.py measures the README's "ready in under 3 minutes"): how long to wait
# before calling a launcher that never answers stuck
GIVE_UP_AFTER = 900


@pytest.fixture
def isolated_env():
    with devstack.isolated_run_env(AMQP_URI, RABBIT_API, DATABASE_SERVER) as env:
        yield env


def descendants(pid):
    """Every process under pid, from /proc (honcho starts each service in a session of its own, so the
    launcher's process group does not hold them)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1]
            except OSError:
                continue
            children.setdefault(parent, []).append(entry)
    found, todo = [], [str(pid)]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pids):
    """The pids still running (a zombie has ended)."""
    running = []
    for pid in pids:
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.append(pid)
    return running


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_make_run_becomes_ready_and_a_signal_to_the_launcher_stops_everything(
        isolated_env, tmp_path, stop_signal, record_property):
    log = open(tmp_path / "run.log", "w")
    started = time.monotonic()
    # a shell's background job would inherit SIGINT ignored: restore it, as a terminal would have it
    launcher = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "run_local.py")], cwd=ROOT, env=isolated_env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        url = f"http://127.0.0.1:{isolated_env['GATEWAY_PORT']}/readyz"
        while not devstack.answers_ok(url):
            assert launcher.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            if time.monotonic() - started > GIVE_UP_AFTER:
                pytest.fail("make run never became ready:\n" + (tmp_path / "run.log").read_text()[-3000:])
            time.sleep(1)
        record_property("ready_s", round(time.monotonic() - started, 1))
        assert devstack.port_open("127.0.0.1", int(isolated_env["REVIEW_UI_PORT"]))
        if devstack.nginx_binary():  # the production shape: nginx in front, which keeps /metrics inside
            assert "behind nginx" in (tmp_path / "run.log").read_text()
            # the split gateway: granian answers the API, gunicorn the streamed uploads, both behind nginx
            for upstream in ("GATEWAY_UPSTREAM_PORT", "GATEWAY_UPLOADS_UPSTREAM_PORT"):
                assert devstack.answers_ok(f"http://127.0.0.1:{isolated_env[upstream]}/healthz"), upstream
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{isolated_env['GATEWAY_PORT']}/metrics", timeout=10)
                raise AssertionError("/metrics answered through nginx")
            except urllib.error.HTTPError as refused:
                assert refused.code == 404
        started_processes = descendants(launcher.pid)
        assert len(started_processes) >= 7  # five services, the gateway, the reviewer UI (and honcho)
        launcher.send_signal(stop_signal)  # the launcher alone
        launcher.wait(60)
        deadline = time.monotonic() + 20
        while alive(started_processes) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert alive(started_processes) == []
        # a stop is quiet: no process prints a traceback on its way out (minio's clients once did, per service)
        log.flush()
        stopped = (tmp_path / "run.log").read_text(errors="replace")
        assert "Traceback" not in stopped and "Exception ignored" not in stopped, stopped[-3000:]
    finally:
        for pid in alive(started_processes if "started_processes" in locals() else descendants(launcher.pid)):
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait(10)
