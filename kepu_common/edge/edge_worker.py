"""gunicorn's gthread worker hardened against slow and hostile clients: the base of the gateway's worker
(gateway/gunicorn_worker.py, errors as the JSON envelope) and the review UI's (services/review/
gunicorn_worker.py, errors as a zh-CN page).

1. A per-read (and per-write) socket time-out on every client connection (SO_RCVTIMEO/SO_SNDTIMEO, which
   survive gunicorn switching the socket between blocking and non-blocking): a stalled header read ends
   the connection, a stalled body read raises in the application.
2. A deadline for a request's whole header (request line and headers): a client trickling one byte just
   under the per-read time-out is cut off once the deadline passes (kepu_common/edge/slow_clients.py shuts the
   socket's read side down) and answered 408. gunicorn 27 has no setting for this; the worker's own
   `handle`/`handle_request` (already extended for 1 and 3) start and stop the deadline.
3. gunicorn's own answers to requests it cannot parse (400, 408, 414, 431, ...) are the subclass's
   (`error_answer`), with a request id (the client's X-Request-ID when sane, made otherwise).

Everything else is gthread as gunicorn ships it (issue 26: no throughput-only overrides).
"""
import logging
import os
import re
import socket
import struct
import threading
import uuid
from functools import partial

from gunicorn import util
from gunicorn.workers.gthread import TConn, ThreadWorker

from kepu_common.edge.slow_clients import Deadline, watchdog

# the gunicorn internals this worker builds on (gunicorn 27's gthread worker): fail at start, not in production
for _owner, _names in ((ThreadWorker, ("handle", "handle_request", "handle_error")), (TConn, ("close",)),
                       (util, ("close", "close_graceful"))):
    for _name in _names:
        if not callable(getattr(_owner, _name, None)):
            raise RuntimeError(f"gunicorn changed: {_owner.__name__}.{_name} is gone; update kepu_common/edge/edge_worker.py")

SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REASONS = {400: "Bad Request", 403: "Forbidden", 408: "Request Timeout", 414: "URI Too Long",
           417: "Expectation Failed", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
           501: "Not Implemented"}


def http_answer(status, content_type, body, request_id):
    """A complete HTTP/1.1 answer that closes the connection."""
    head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Bad Request')}\r\n"
            "Connection: close\r\n"
            f"Content-Type: {content_type}\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "Cache-Control: no-store\r\n"
            f"X-Request-ID: {request_id}\r\n"
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


def header(req, name):
    """A header of a request gunicorn refused, if it parsed that far (it may not have)."""
    headers = getattr(req, "headers", None)
    if not isinstance(headers, list):
        return None
    for pair in headers:
        if isinstance(pair, tuple) and len(pair) == 2 and str(pair[0]).upper() == name:
            return str(pair[1])
    return None


def request_id_of(req):
    incoming = header(req, "X-REQUEST-ID") or ""
    return incoming if SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def close_now(sock, graceful=False):
    util.close(sock)


def set_io_timeout(sock, seconds):
    if seconds <= 0:
        return
    whole = int(seconds)
    value = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


class HardenedWorker(ThreadWorker):
    """Subclasses name their environment variables and answer gunicorn's errors (error_answer)."""

    client_timeout_env, client_timeout_default = "CLIENT_TIMEOUT", "30"
    header_timeout_env, header_timeout_default = "HEADER_TIMEOUT", "10"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._state = threading.local()

    def error_answer(self, status, accept_language, request_id):
        """The complete HTTP answer (bytes) for a request gunicorn refused with `status`."""
        raise NotImplementedError

    def init_process(self):
        self.io_timeout = float(os.environ.get(self.client_timeout_env, self.client_timeout_default))
        self.header_timeout = float(os.environ.get(self.header_timeout_env, self.header_timeout_default))
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
        guard = self._state.header_guard = (watchdog().watch(Deadline(conn.sock, self.header_timeout))
                                            if self.header_timeout > 0 else None)
        try:
            result = super().handle(conn)
        finally:
            if guard is not None:
                watchdog().release(guard)
            self._state.header_guard = None
        if guard is not None and guard.cut and not self._state.answered:
            self.log.info("client too slow: request headers not complete after %ss", self.header_timeout)
            self._send(conn.sock, 408, None, uuid.uuid4().hex)
            result = False
        if result is False:
            # gunicorn closes the connection on its main thread, lingering up to 2 s for the peer's FIN:
            # 40 stalled clients would stop that loop accepting for 80 s. Linger here, in this thread,
            # only when an answer went out (so it is not cut short); close a silent one at once.
            if self._state.answered:
                util.close_graceful(conn.sock)
            conn.close = partial(close_now, conn.sock)
        return result

    def handle_request(self, req, conn):
        guard = getattr(self._state, "header_guard", None)
        if guard is not None:
            self._state.header_guard = None
            if not watchdog().release(guard):  # the headers came in just as the deadline passed
                self._send(conn.sock, 408, header(req, "ACCEPT-LANGUAGE"), request_id_of(req))
                req.kepu_answered = True
                return False
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
        guard = getattr(self._state, "header_guard", None)
        if guard is not None and guard.cut:
            status = 408  # what broke the parse was the deadline cutting the read side
        else:
            captured = _CapturedAnswer()
            super().handle_error(req, captured, addr, exc)  # gunicorn's status choice and its log line
            status = captured.status
        self._send(client, status, header(parsed, "ACCEPT-LANGUAGE"), request_id_of(parsed))

    def _send(self, client, status, accept_language, request_id):
        try:
            client.setblocking(False)
            client.sendall(self.error_answer(status, accept_language, request_id))
            self._state.answered = True
        except OSError:
            self.log.debug("could not send the error answer")
