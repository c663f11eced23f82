"""A gateway worker whose threads are all busy leaves new connections to a worker that can serve them
(gateway/gunicorn_worker.py, point 3), where plain gthread accepts them and queues them behind its busy
threads. Real gunicorn, two workers of one thread each, and a trivial WSGI app."""
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from kepu_common.devstack import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_single_thread_workers():
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-k", "gateway.gunicorn_worker.GatewayWorker",
         "-w", "2", "--threads", "1", "-b", f"127.0.0.1:{port}", "gateway.tests.sleepy_wsgi:app"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        pids = set()
        while len(pids) < 2:  # both workers up: each has answered at least once
            assert time.monotonic() < deadline, "gunicorn did not start two workers"
            try:
                pids.add(requests.get(url, headers={"Connection": "close"}, timeout=5).text)
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(30)


def test_new_connections_go_to_the_worker_with_a_free_thread(two_single_thread_workers):
    url = two_single_thread_workers
    slow = {}
    holder = threading.Thread(target=lambda: slow.update(pid=requests.get(
        f"{url}?sleep=3", headers={"Connection": "close"}, timeout=30).text))
    holder.start()
    time.sleep(0.5)  # the slow request holds one worker's only thread
    quick = [requests.get(url, headers={"Connection": "close"}, timeout=30).text for _ in range(10)]
    holder.join()
    # each of the ten went to the other worker; in the busy one, it would have waited for the slow one
    assert slow["pid"] not in quick, (slow, quick)
    assert len(set(quick)) == 1
