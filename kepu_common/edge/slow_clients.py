"""Cutting off clients that send too slowly: a whole-request-header deadline and a minimum body throughput.

A per-read socket time-out (SO_RCVTIMEO) does not stop a client that sends one byte just before each read
would time out: gunicorn's parser and body readers block until they hold what they asked for, so the code
that reads never gets control back to look at the clock. One watchdog thread per process does: each guard
it watches says when its connection has had long enough, and the watchdog then shuts the socket's read
side down. The blocked read returns end-of-file at once; the reader answers (408) and frees its thread and
its upload slot. Used by the gunicorn workers (kepu_common/edge/edge_worker.py: headers) and by the gateway's
streamed uploads (gateway/blueprints/uploads.py: bodies).
"""
import socket
import threading
import time

TICK = 0.25  # how often the watchdog looks (seconds); deadlines are whole seconds, this is precise enough


class Guard:
    """One watched connection. Subclasses say when it has had long enough (expired(now))."""

    def __init__(self, sock):
        self.sock = sock
        self.cut = False  # the watchdog shut the read side down

    def expired(self, now):
        raise NotImplementedError


class Deadline(Guard):
    """The whole of something (a request's headers) must arrive within `seconds`."""

    def __init__(self, sock, seconds, now=None):
        super().__init__(sock)
        self.ends = (time.monotonic() if now is None else now) + seconds

    def expired(self, now):
        return now >= self.ends


class MinimumThroughput(Guard):
    """At least `min_bytes` in every `window` seconds (a body trickled a byte at a time fails it)."""

    def __init__(self, sock, min_bytes, window, now=None):
        super().__init__(sock)
        self.min_bytes, self.window = min_bytes, window
        self.window_start = time.monotonic() if now is None else now
        self.in_window = 0
        self.finished = False

    def observe(self, count):
        self.in_window += count

    def expired(self, now):
        if self.finished or now - self.window_start < self.window:
            return False
        if self.in_window < self.min_bytes:
            return True
        self.window_start, self.in_window = now, 0
        return False


class Watchdog:
    """One per process (watchdog()): a daemon thread that cuts the guards whose time is up."""

    def __init__(self, tick=TICK):
        self.tick = tick
        self._guards = set()
        self._lock = threading.Lock()
        self._thread = None

    def watch(self, guard):
        with self._lock:
            self._guards.add(guard)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="slow-client-watchdog", daemon=True)
                self._thread.start()
        return guard

    def release(self, guard):
        """Stop watching; True when the guard was still being watched (not cut)."""
        with self._lock:
            if guard in self._guards:
                self._guards.discard(guard)
                return True
            return False

    def sweep(self, now=None):
        now = time.monotonic() if now is None else now
        with self._lock:
            due = [guard for guard in self._guards if guard.expired(now)]
            for guard in due:
                self._guards.discard(guard)
                guard.cut = True
        for guard in due:
            try:
                guard.sock.shutdown(socket.SHUT_RD)  # the blocked read returns b"" at once
            except OSError:
                pass  # already closed
        return due

    def _run(self):
        while True:
            time.sleep(self.tick)
            self.sweep()


_watchdog = Watchdog()


def watchdog():
    return _watchdog
