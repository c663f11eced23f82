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

Everything else is gthread as gunicorn ships it: the overrides that existed only for throughput (accept
only with a free thread, notify once a second, a thread serving its connection's next request, skipping
the drain, the Date cache) are gone (issue 26; docs/benchmarks.md has what that cost).
"""
import json
import logging
import os
import socket
import struct
import threading
from functools import partial

from gunicorn import util
from gunicorn.workers.gthread import TConn, ThreadWorker

from gateway.errors import HTTP_PROBLEMS
from kepu_common.errors import Problem, render
from kepu_common.messages import negotiate

# the gunicorn internals this worker builds on (gunicorn 27's gthread worker): fail at start, not in production
for _owner, _names in ((ThreadWorker, ("handle", "handle_request", "handle_error")), (TConn, ("close",)),
                       (util, ("close", "close_graceful"))):
    for _name in _names:
        if not callable(getattr(_owner, _name, None)):
            raise RuntimeError(f"gunicorn changed: {_owner.__name__}.{_name} is gone; update gateway/gunicorn_worker.py")

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

    def init_process(self):
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
        if result is False:
            # gunicorn closes the connection on its main thread, lingering up to 2 s for the peer's FIN:
            # 40 stalled clients would stop that loop accepting for 80 s. Linger here, in this thread,
            # only when an answer went out (so it is not cut short); close a silent one at once.
            if self._state.answered:
                util.close_graceful(conn.sock)
            conn.close = partial(close_now, conn.sock)
        return result

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
