"""A gateway worker whose threads are all busy leaves new connections to a worker that can serve them
(gateway/gunicorn_worker.py, point 3), where plain gthread accepts them and queues them behind its busy
threads; and when no worker has a thread free, a waiting connection is still taken within
BUSY_ACCEPT_AFTER, not left in the backlog. Real gunicorn, workers of one thread each, a trivial WSGI app."""
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from kepu_common.devstack import free_port

ROOT = Path(__file__).resolve().parents[2]


def single_thread_workers(workers):
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-k", "gateway.gunicorn_worker.GatewayWorker",
         "-w", str(workers), "--threads", "1", "-b", f"127.0.0.1:{port}", "gateway.tests.sleepy_wsgi:app"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        pids = set()
        while len(pids) < workers:  # every worker up: each has answered at least once
            assert time.monotonic() < deadline, f"gunicorn did not start {workers} workers"
            try:
                pids.add(requests.get(url, headers={"Connection": "close"}, timeout=5).text)
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture
def two_single_thread_workers():
    yield from single_thread_workers(2)


@pytest.fixture
def one_single_thread_worker():
    yield from single_thread_workers(1)


def waiting_to_be_accepted(port):
    """How many connections the kernel holds for the listening socket on this port (its accept queue)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:  # LISTEN
            return int(fields[4].split(":")[1], 16)
    raise AssertionError(f"nothing listens on {port}")


def hold_the_only_thread(url, seconds):
    slow = {}
    holder = threading.Thread(target=lambda: slow.update(pid=requests.get(
        f"{url}?sleep={seconds}", headers={"Connection": "close"}, timeout=30).text))
    holder.start()
    time.sleep(0.5)
    return holder, slow


def test_new_connections_go_to_the_worker_with_a_free_thread(two_single_thread_workers):
    url = two_single_thread_workers
    holder, slow = hold_the_only_thread(url, 3)  # of one of the two workers
    quick = [requests.get(url, headers={"Connection": "close"}, timeout=30).text for _ in range(10)]
    holder.join()
    # the ten went to the other worker (plain gthread sends about half to the busy one, to wait for the slow
    # request); one may go to the busy worker on a loaded machine, if the free one left it waiting 50 ms
    assert quick.count(slow["pid"]) <= 1, (slow, quick)


def test_with_every_thread_busy_a_waiting_connection_is_still_taken(one_single_thread_worker):
    url = one_single_thread_worker
    port = int(url.rsplit(":", 1)[1].strip("/"))
    holder, _ = hold_the_only_thread(url, 3)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as waiting:
        waiting.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        time.sleep(0.5)  # ten times BUSY_ACCEPT_AFTER
        assert waiting_to_be_accepted(port) == 0  # in the worker's queue, not the kernel's backlog
        answer = waiting.recv(4096)
    holder.join()
    assert answer.startswith(b"HTTP/1.1 200")
