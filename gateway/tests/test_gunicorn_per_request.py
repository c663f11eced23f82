"""What the gateway worker spares per request (gateway/gunicorn_worker.py, point 6): the drain of a body
already read, and the Date header formatted once a second. Neither may change an answer."""
import email.utils
import socket
from types import SimpleNamespace

from gunicorn.http.body import Body, ChunkedReader, LengthReader

from gateway import gunicorn_worker
from gateway.gunicorn_worker import body_fully_read, http_date_once_a_second
from gateway.tests.test_gunicorn_balance import single_thread_workers


def request_with(reader, buffered=b""):
    body = Body(reader)
    body.buf.write(buffered)
    return SimpleNamespace(body=body)


def test_a_request_without_a_body_or_with_its_body_read_has_nothing_to_drain():
    assert body_fully_read(request_with(LengthReader(None, 0)))


def test_a_body_left_unread_or_buffered_or_chunked_is_drained_as_before():
    assert not body_fully_read(request_with(LengthReader(None, 10)))
    assert not body_fully_read(request_with(LengthReader(None, 0), buffered=b"rest"))
    assert not body_fully_read(request_with(ChunkedReader(SimpleNamespace(), None)))
    assert not body_fully_read(SimpleNamespace())


def test_the_date_is_the_current_second_formatted_as_gunicorn_does(monkeypatch):
    now = [1_800_000_000.2]
    monkeypatch.setattr(gunicorn_worker.time, "time", lambda: now[0])
    first = http_date_once_a_second()
    assert first == email.utils.formatdate(now[0], usegmt=True)
    now[0] += 0.7  # the same second
    assert http_date_once_a_second() is first
    now[0] += 0.2  # the next one
    assert http_date_once_a_second() == email.utils.formatdate(now[0], usegmt=True) != first
    assert http_date_once_a_second(0) == "Thu, 01 Jan 1970 00:00:00 GMT"  # an explicit time is formatted as asked


def answers(sock, count):
    reader, got = sock.makefile("rb"), []
    for _ in range(count):
        status = reader.readline()
        headers = {}
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        reader.read(int(headers.get("content-length", 0)))
        got.append((status.split()[1], headers))
    return got


def test_kept_alive_requests_with_and_without_unread_bodies_are_answered_in_order():
    """The app reads no body: after a POST whose 10 bytes nobody read, the next request on the connection
    still starts where it should (the drain ran); GETs around it skip the drain."""
    for url in single_thread_workers(1):
        port = int(url.rsplit(":", 1)[1].strip("/"))
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
                         b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                         b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            got = answers(sock, 4)
        assert [status for status, _ in got] == [b"200"] * 4
        for _, headers in got:
            parsed = email.utils.parsedate_to_datetime(headers["date"])
            assert parsed.tzinfo is not None


def test_only_a_body_fully_read_skips_gthreads_drain(monkeypatch):
    drained = []
    monkeypatch.setattr(gunicorn_worker.ThreadWorker, "_keepalive_after",
                        lambda self, conn, keepalive: drained.append(conn) or "drained")
    worker = gunicorn_worker.GatewayWorker.__new__(gunicorn_worker.GatewayWorker)

    def conn(request):
        return SimpleNamespace(parser=SimpleNamespace(mesg=request))

    read = conn(request_with(LengthReader(None, 0)))
    unread = conn(request_with(LengthReader(None, 5)))
    assert worker._keepalive_after(read, True) is True and drained == []
    assert worker._keepalive_after(unread, True) == "drained" and drained == [unread]
    assert worker._keepalive_after(read, False) == "drained"  # closing anyway: gthread decides, as before
