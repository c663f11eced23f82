"""A thread that answered a kept-alive request serves the connection's next one itself
(gateway/gunicorn_worker.py, point 5), but never at the cost of another connection waiting for a thread."""
import io
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import eventlet
import pytest

from gateway import gunicorn_worker
from gateway.gunicorn_worker import GatewayWorker
from gateway.tests.test_gunicorn_balance import single_thread_workers

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def worker(threads=2, connections=1):
    """The worker's state that the decision reads, without gunicorn's arbiter around it."""
    made = GatewayWorker.__new__(GatewayWorker)
    made.cfg = SimpleNamespace(threads=threads)
    made.nr_conns = connections
    made.tpool = ThreadPoolExecutor(threads)
    return made


@pytest.fixture(autouse=True)
def unpatched_select(monkeypatch):
    # the test process runs under eventlet's monkey patch, which removes select.poll; gunicorn's workers
    # run without it
    monkeypatch.setattr(gunicorn_worker, "select", eventlet.patcher.original("select"))


@pytest.fixture
def connection():
    served, client = socket.socketpair()
    conn = SimpleNamespace(sock=served, is_http2=False, parser=SimpleNamespace(unreader=SimpleNamespace(buf=io.BytesIO())))
    yield conn, client
    served.close()
    client.close()


def timed(decide):
    started = time.monotonic()
    answer = decide()
    return answer, time.monotonic() - started


def test_the_next_request_already_sent_is_served_here(connection):
    conn, client = connection
    client.sendall(REQUEST)
    assert worker()._next_request_here(conn) is True


def test_a_request_read_ahead_with_the_last_one_is_served_here_without_waiting(connection):
    conn, _ = connection
    conn.parser.unreader.buf.write(REQUEST)  # pipelined: gunicorn read it with the previous request
    assert timed(lambda: worker()._next_request_here(conn)) < (True, 0.004)


def test_a_quiet_connection_goes_back_to_the_poller_after_the_wait(connection):
    conn, _ = connection
    answer, waited = timed(lambda: worker()._next_request_here(conn))
    assert answer is False
    assert waited >= gunicorn_worker.KEEP_SERVING_MS / 1000 * 0.9


def test_a_request_arriving_during_the_wait_is_served_here(connection):
    conn, client = connection
    # a real thread: the poll blocks this whole (eventlet-patched) process, green threads included
    eventlet.patcher.original("threading").Timer(0.001, client.sendall, (REQUEST,)).start()
    assert worker()._next_request_here(conn) is True


def test_with_more_connections_than_threads_the_connection_goes_back_at_once(connection):
    conn, client = connection
    client.sendall(REQUEST)
    assert timed(lambda: worker(threads=2, connections=3)._next_request_here(conn)) < (False, 0.004)


def test_a_connection_waiting_for_a_thread_goes_first(connection):
    conn, client = connection
    client.sendall(REQUEST)
    busy = worker(threads=1)
    release = threading.Event()
    busy.tpool.submit(release.wait)  # the one thread, busy
    busy.tpool.submit(lambda: None)  # and a connection queued for it
    try:
        assert busy._next_request_here(conn) is False
    finally:
        release.set()


def test_an_http2_connection_is_left_to_gunicorn(connection):
    conn, client = connection
    conn.is_http2 = True
    client.sendall(REQUEST)
    assert worker()._next_request_here(conn) is False


def keep_asking(port, stop, answered):
    """A kept-alive client sending its next request as soon as the last is answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        reader = sock.makefile("rb")
        while not stop.is_set():
            sock.sendall(REQUEST)
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)
            answered.append(time.monotonic())


def test_busy_kept_alive_clients_share_the_only_thread():
    """One worker of one thread, two clients that never pause: each gets a fair part of the answers (a
    thread keeping its connection whatever else waits would answer only the first)."""
    for url in single_thread_workers(1):
        port = int(url.rsplit(":", 1)[1].strip("/"))
        stop = threading.Event()
        answers = ([], [])
        clients = [threading.Thread(target=keep_asking, args=(port, stop, answered)) for answered in answers]
        for client in clients:
            client.start()
        time.sleep(3)
        stop.set()
        for client in clients:
            client.join(30)
        first, second = (len(answered) for answered in answers)
        assert min(first, second) >= 0.25 * (first + second), (first, second)
        # and neither went unanswered for long: the longest gap between two answers of the same client
        longest = max(b - a for answered in answers for a, b in zip(answered, answered[1:]))
        assert longest < 1.0, longest
