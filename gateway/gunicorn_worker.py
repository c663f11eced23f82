"""gunicorn's gthread worker with two changes for hostile clients (gateway/gunicorn.conf.py selects it).

1. A per-read (and per-write) socket time-out on every client connection. gthread waits for a new
   connection's first bytes in its poller, but once they arrive a thread reads the rest of the headers,
   and later the body, with blocking reads and no time-out: 40 clients sending half a header, or 10
   uploads that declare 10 MB and stall, hold threads (and upload slots) forever. SO_RCVTIMEO and
   SO_SNDTIMEO bound each read and write at the OS level, so they survive gunicorn switching the socket
   between blocking and non-blocking: a stalled header read ends the connection, a stalled body read
   raises in the view (gateway/body_rules.py answers 408, the upload stream 400 `upload_interrupted`
   and frees its slot). It bounds each read, not a whole request: a client trickling a byte just under
   the time-out is the proxy's to stop (deploy/nginx: client_header_timeout, client_body_timeout).
2. gunicorn's own answers to requests it cannot parse (400, 414 request line too long, 431 headers too
   large, ...) are HTML pages; here they are the platform's JSON envelope, in Chinese (or English when
   the request got as far as an Accept-Language header).
3. A worker accepts a new connection only while one of its threads is free. gthread accepts whenever
   its poller sees the listening socket, so with keep-alive the kernel's split of connections between
   workers is final and often lopsided (20 and 12 of wrk's 32 connections, seen here): the busier
   worker queues requests behind its threads while the other has threads idle, and its clients see the
   long tail (gunicorn issues #908, #3433). Left in the backlog, the connection goes to a worker that can
   serve it now. A worker whose threads are all busy still looks at the backlog every BUSY_CHECK_EVERY
   seconds and takes a connection that has waited there BUSY_ACCEPT_AFTER seconds, which no worker with
   a free thread would have left: with more client connections than threads in all workers (nginx
   keeping more connections open than that), no connection waits in the backlog for ever; taken, it
   waits in the worker's queue, as under plain gthread.
4. gthread tells the arbiter it is alive on every turn of its event loop, about once per request: a
   utime() system call each. The arbiter waits GATEWAY_TIMEOUT (120 s) before it kills a silent worker,
   so here the worker tells it at most once a second.
5. The thread that answered a kept-alive request waits up to GATEWAY_KEEP_SERVING_MS (5 ms) for the
   connection's next request and serves it itself. gthread sends every request through its main loop:
   the connection goes back to the poller (two epoll_ctl calls, a pipe write to wake the loop, the socket
   switched between blocking and not), then to the thread pool's queue, and a thread is woken to take it
   (bench/gateway_rpc.py: about a tenth of the gateway's CPU per one-RPC request). Only while the worker
   holds no more connections than it has threads and none waits for a thread: otherwise a busy client
   would keep its thread from the others, and the worker does as gthread does.
6. Per request, gthread drains what is left of the request body under a deadline: two socket time-out
   changes (two ioctl calls) even when nothing is left, as for every GET. Here a body known to be fully
   read (no bytes left to its Content-Length, none buffered) skips the drain; anything else is drained
   as before. And the Date header is formatted once a second, not per response.
"""
import importlib
import inspect
import json
import logging
import os
import select
import socket
import struct
import threading
import time
from concurrent import futures
from functools import partial

from gunicorn import util
from gunicorn.http.body import LengthReader
from gunicorn.workers.gthread import TConn, ThreadWorker

from gateway.errors import HTTP_PROBLEMS
from kepu_common.errors import Problem, render
from kepu_common.messages import negotiate

# the gunicorn internals this worker builds on (gunicorn 27's gthread worker): fail at start, not in production
for _owner, _names in ((ThreadWorker, ("handle", "handle_request", "handle_error", "finish_request", "notify",
                                       "enqueue_req", "set_accept_enabled", "accept",
                                       "wait_for_and_dispatch_events", "_keepalive_after")),
                       (TConn, ("close",)), (util, ("close", "close_graceful", "write_error", "http_date"))):
    for _name in _names:
        if not callable(getattr(_owner, _name, None)):
            raise RuntimeError(f"gunicorn changed: {_owner.__name__}.{_name} is gone; update gateway/gunicorn_worker.py")
if ("futures.ThreadPoolExecutor(" not in inspect.getsource(ThreadWorker.get_thread_pool)
        or not callable(getattr(getattr(futures.ThreadPoolExecutor(1), "_work_queue", None), "empty", None))):
    raise RuntimeError("gthread's thread pool changed (its queue of waiting connections); update gateway/gunicorn_worker.py")
if "util.http_date()" not in inspect.getsource(importlib.import_module("gunicorn.http.wsgi").Response.default_headers):
    raise RuntimeError("gunicorn changed: its Date header no longer comes from util.http_date(); update gateway/gunicorn_worker.py")
if "self._accepting = enabled" not in inspect.getsource(ThreadWorker.set_accept_enabled):
    raise RuntimeError("gunicorn changed: ThreadWorker._accepting is gone; update gateway/gunicorn_worker.py")

NOTIFY_EVERY_SECONDS = 1.0
# point 5: how long a thread waits on its kept-alive connection for the next request (GATEWAY_KEEP_SERVING_MS)
KEEP_SERVING_MS = int(os.environ.get("GATEWAY_KEEP_SERVING_MS", "5"))
BUSY_CHECK_EVERY = 0.01
BUSY_ACCEPT_AFTER = 0.05
# nginx in front answers a stalled client first (deploy/nginx: 10 s for headers, 60 s between body reads)
DEFAULT_CLIENT_TIMEOUT = "30"
# gunicorn's status -> (code, message key): werkzeug's table (400, 414, 431 ...) and gunicorn's own extras;
# unlisted statuses are 400 bad_request
GUNICORN_PROBLEMS = {
    **HTTP_PROBLEMS,
    403: ("forbidden", "forbidden"),
    417: ("expectation_failed", "edge_expectation_failed"),
    500: ("internal_error", "internal_error"),
    501: ("not_implemented", "edge_transfer_coding_unsupported"),
}
REASONS = {400: "Bad Request", 403: "Forbidden", 414: "URI Too Long", 417: "Expectation Failed",
           431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented"}


_formatted_date = util.http_date
_date_of_second = (None, "")


def http_date_once_a_second(timestamp=None):
    """gunicorn's util.http_date, formatted once per second for the current time (one tuple swapped whole,
    so threads never read a second with another second's text)."""
    global _date_of_second
    if timestamp is not None:
        return _formatted_date(timestamp)
    second = int(time.time())
    cached_second, text = _date_of_second
    if cached_second != second:
        text = _formatted_date(second)
        _date_of_second = (second, text)
    return text


def body_fully_read(request):
    """Whether nothing of this request's body is left to drain: every byte its Content-Length announced
    was read (0 for a request without a body) and none waits in the body's buffer."""
    body = getattr(request, "body", None)
    return (body is not None and type(body.reader) is LengthReader and body.reader.length == 0
            and not body.buf.getvalue())


def envelope_response(status, accept_language=None):
    """The complete HTTP/1.1 answer gunicorn sends for a request it could not parse."""
    code, message_key = GUNICORN_PROBLEMS.get(status, GUNICORN_PROBLEMS[400])
    body = json.dumps(render(Problem(status, code, message_key), negotiate(accept_language)),
                      ensure_ascii=False).encode("utf-8")
    head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Bad Request')}\r\n"
            "Connection: close\r\n"
            "Content-Type: application/json; charset=utf-8\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "Cache-Control: no-store\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class _CapturedAnswer:
    """Stands in for the client socket while gunicorn writes its HTML error page: keeps the status."""

    def __init__(self):
        self.data = b""

    def gettimeout(self):
        return 0.0

    def setblocking(self, flag):
        pass

    def sendall(self, data):
        self.data += data

    @property
    def status(self):
        try:
            return int(self.data.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return 400


class StalledClientLog(logging.Filter):
    """A client that stops sending is the client's doing: one INFO line, not an ERROR with a traceback."""

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, (BlockingIOError, TimeoutError)):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "client stalled mid-request: connection closed after its read time-out", ()
            record.exc_info = record.exc_text = None
        return True


def accept_language(req):
    """The Accept-Language of a request gunicorn refused, if it parsed that far (it may not have)."""
    headers = getattr(req, "headers", None)
    if not isinstance(headers, list):
        return None
    for pair in headers:
        if isinstance(pair, tuple) and len(pair) == 2 and str(pair[0]).upper() == "ACCEPT-LANGUAGE":
            return str(pair[1])
    return None


def close_now(sock, graceful=False):
    util.close(sock)


def set_io_timeout(sock, seconds):
    if seconds <= 0:
        return
    whole = int(seconds)
    value = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


class GatewayWorker(ThreadWorker):
    """Selected in gateway/gunicorn.conf.py; GATEWAY_CLIENT_TIMEOUT (seconds) bounds each read and write."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._state = threading.local()
        self._notified_at = float("-inf")
        self._in_flight = 0  # connections handed to the thread pool and not yet back (main thread only)
        self._next_backlog_check = 0.0
        self._backlog_waiting_since = None

    def enqueue_req(self, conn):
        self._in_flight += 1
        if self._in_flight >= self.cfg.threads:
            self.set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self._in_flight -= 1  # gthread's loop then calls set_accept_enabled(True) if it may accept again
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and self._in_flight < self.cfg.threads)

    def wait_for_and_dispatch_events(self, timeout):
        if not self._accepting and self.alive and self.nr_conns < self.worker_connections:
            now = time.monotonic()  # every thread busy: a connection nobody takes is taken even so (point 3)
            if now >= self._next_backlog_check:
                self._next_backlog_check = now + BUSY_CHECK_EVERY
                if not select.select(self.sockets, (), (), 0)[0]:
                    self._backlog_waiting_since = None
                elif self._backlog_waiting_since is None:
                    self._backlog_waiting_since = now
                elif now - self._backlog_waiting_since >= BUSY_ACCEPT_AFTER:
                    for listener in self.sockets:
                        self.accept(listener)  # non-blocking: nothing waiting is EAGAIN, which gthread ignores
                    self._backlog_waiting_since = None
            timeout = min(timeout, max(self._next_backlog_check - now, 0.0))
        else:
            self._backlog_waiting_since = None
        super().wait_for_and_dispatch_events(timeout)

    def notify(self):
        now = time.monotonic()
        if now - self._notified_at >= NOTIFY_EVERY_SECONDS:
            self._notified_at = now
            super().notify()

    def init_process(self):
        util.http_date = http_date_once_a_second  # in this worker process (point 6)
        self.io_timeout = float(os.environ.get("GATEWAY_CLIENT_TIMEOUT", DEFAULT_CLIENT_TIMEOUT))
        logging.getLogger("gunicorn.error").addFilter(StalledClientLog())
        super().init_process()

    def handle(self, conn):
        if not getattr(conn, "io_timeout_set", False):
            try:
                set_io_timeout(conn.sock, self.io_timeout)
                conn.io_timeout_set = True
            except OSError:
                pass  # the client is already gone: gunicorn finds out on its first read
        self._state.answered = False
        result = super().handle(conn)
        while result is True and self.alive and self._next_request_here(conn):
            self._state.answered = False
            result = super().handle(conn)
        if result is False:
            # gunicorn closes the connection on its main thread, lingering up to 2 s for the peer's FIN:
            # 40 stalled clients would stop that loop accepting for 80 s. Linger here, in this thread,
            # only when an answer went out (so it is not cut short); close a silent one at once.
            if self._state.answered:
                util.close_graceful(conn.sock)
            conn.close = partial(close_now, conn.sock)
        return result

    def _next_request_here(self, conn):
        """Whether this thread serves the connection's next request itself (point 5)."""
        if not KEEP_SERVING_MS or conn.is_http2 or not self._nobody_waiting_for_a_thread():
            return False
        if conn.parser.unreader.buf.getvalue():
            return True  # already read with the previous request (pipelined)
        poller = getattr(conn, "kepu_poller", None)
        if poller is None:
            poller = conn.kepu_poller = select.poll()
            poller.register(conn.sock.fileno(), select.POLLIN)
        # a connection queued meanwhile goes first: this one returns to the poller and queues behind it
        return bool(poller.poll(KEEP_SERVING_MS)) and self._nobody_waiting_for_a_thread()

    def _nobody_waiting_for_a_thread(self):
        # nr_conns: every connection this worker holds, kept-alive ones in the poller included
        return self.nr_conns <= self.cfg.threads and self.tpool._work_queue.empty()

    def _keepalive_after(self, conn, keepalive):
        if keepalive and body_fully_read(getattr(conn.parser, "mesg", None)):
            return True  # nothing to drain (point 6)
        return super()._keepalive_after(conn, keepalive)

    def handle_request(self, req, conn):
        keepalive = super().handle_request(req, conn)
        req.kepu_answered = self._state.answered = True
        return keepalive

    def handle_error(self, req, client, addr, exc):
        parsed = req or getattr(exc, "req", None)  # what gunicorn parsed before it gave up, if anything
        if getattr(parsed, "kepu_answered", False):
            # the answer went out; what failed is draining the rest of the body (a broken chunk, say):
            # a second answer on the same connection would be read as the answer to the next request
            self.log.info("closing the connection: the rest of the request body is unreadable (%s)", exc)
            return
        captured = _CapturedAnswer()
        super().handle_error(req, captured, addr, exc)  # gunicorn's status choice and its log line
        try:
            client.setblocking(False)
            client.sendall(envelope_response(captured.status, accept_language(parsed)))
            self._state.answered = True
        except OSError:
            self.log.debug("could not send the error envelope")
