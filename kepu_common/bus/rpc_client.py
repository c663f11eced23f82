"""A thread-safe client for nameko RPC, for processes that are not nameko services (the gateway).

nameko's standalone proxies are neither thread-safe nor fast under a threaded WSGI server: each
waits for its reply by polling. This client speaks the same wire protocol (exchange "nameko-rpc",
routing key "<service>.<method>", JSON body {"args", "kwargs"}, reply to our own queue matched by
correlation id) over two connections per process, both used through py-amqp's public API: one for
publishing (serialized by a lock, no publisher confirms) and one consumed by a single thread that hands
each reply to the request thread waiting for it.

`read_in_chunks` (applied on import here and by kepu_common.bus.rpc in every service) makes py-amqp read
what a plain TCP socket holds instead of exactly one frame part at a time: see its docstring.
"""
import _thread
import functools
import itertools
import json
import logging
import socket
import threading
import time
import uuid

import amqp
import amqp.transport
import kombu

from kepu_common.operations import patches

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"
# how long the reader waits for a frame before it looks at the heartbeats and at close()
READ_TIMEOUT = 1.0
READ_CHUNK = 65536


def read_in_chunks():
    """py-amqp reads a frame with three exact-size recv() calls (7-byte header, payload, end octet), so a
    message (method, header and body frames) costs nine system calls, each a poll() and a recv() when the
    socket has a time-out. Asking recv() for up to READ_CHUNK bytes instead lets one call bring in every
    frame the broker has sent; py-amqp's _read already keeps what it did not need in its read buffer for
    the next frame. Installed once per process, for every plain TCP py-amqp connection (kombu's and
    nameko's too); TLS connections (SSLTransport) read through the TLS layer's own buffer and are left as
    they are.
    """
    transport = amqp.transport.TCPTransport
    if getattr(transport._setup_transport, "reads_in_chunks", False):
        return
    patches.guard_amqp_read()
    exact = transport._setup_transport

    @functools.wraps(exact)  # __wrapped__: the source guards (kepu_common.operations.patches) read py-amqp's own
    def _setup_transport(self):
        exact(self)
        recv = self.sock.recv
        self._quick_recv = lambda wanted: recv(wanted if wanted > READ_CHUNK else READ_CHUNK)

    _setup_transport.reads_in_chunks = True
    transport._setup_transport = _setup_transport


read_in_chunks()


class Unencodable(ValueError):
    """The message itself cannot be sent (a routing key or property over AMQP's 255 bytes): not the broker's doing."""


class RpcError(Exception):
    pass


class BrokerUnavailable(RpcError):
    pass


class RpcTimeout(RpcError):
    def __init__(self, service, method, timeout):
        super().__init__(f"{service}.{method} did not answer within {timeout:.1f}s")
        self.service = service
        self.method = method


class RemoteError(RpcError):
    """An exception raised inside the called service, as nameko serialized it."""

    def __init__(self, service, exc_type, exc_args, value):
        super().__init__(f"{service}: {exc_type}: {value}")
        self.service = service
        self.exc_type = exc_type
        self.exc_args = exc_args or []
        self.value = value


class _Waiter:
    """A request thread waiting for its reply: a lock taken at creation that the reader releases (half
    the cost of a threading.Event, whose Condition allocates a lock and runs Python on both sides)."""

    __slots__ = ("lock", "reply")

    def __init__(self):
        self.lock = _thread.allocate_lock()
        self.lock.acquire()
        self.reply = None

    def wake(self):
        try:
            self.lock.release()
        except RuntimeError:  # already woken
            pass


class UnconfirmedPublisher:
    """One long-lived connection that publishes RPC requests without publisher confirms: they go to a queue
    that only the service reads and a lost one ends as the caller's time-out either way. py-amqp reads
    what the broker sent before each publish (a connection.close after a broker restart raises there), and
    a publish that fails is tried once more on a fresh connection. Callers serialize publish()."""

    def __init__(self, amqp_uri, connect_timeout=None):
        self.amqp_uri = amqp_uri
        self.connect_timeout = connect_timeout
        self._connection = None
        self._channel = None

    def publish(self, message, exchange, routing_key, deadline=None):
        """message: an amqp.Message. deadline (time.monotonic()): no connection attempt outlasts it, and none
        starts after it."""
        for name, value in (("exchange", exchange), ("routing key", routing_key)):
            if len(value.encode("utf-8")) > 255:  # an AMQP short string; py-amqp would fail as if the broker had
                raise Unencodable(f"the {name} is longer than AMQP's 255 bytes")
        for attempt in (1, 2):
            try:
                if self._channel is None:
                    self._connect(deadline)
                self._channel.basic_publish(message, exchange=exchange, routing_key=routing_key)
                return
            except Exception:
                self.close()
                if attempt == 2 or (deadline is not None and time.monotonic() >= deadline):
                    raise

    def _connect(self, deadline=None):
        timeout = self.connect_timeout
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no time left to connect to the broker")
            timeout = left if timeout is None else min(timeout, left)
        connection = kombu.Connection(self.amqp_uri, heartbeat=0, connect_timeout=timeout)
        connection.connect()
        self._connection, self._channel = connection, connection.connection.channel()

    def close(self):
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:
                pass
        self._connection = self._channel = None


class RpcClient:
    def __init__(self, amqp_uri, timeout=10.0, connect_timeout=3.0):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._reply_key = f"kepu-client-{uuid.uuid4().hex}"
        self._reply_queue = f"rpc.reply-{self._reply_key}"
        # correlation ids: unique within this client's reply queue, without a uuid4 (and its getrandom) per
        # call; next() on an itertools.count is atomic
        self._call_prefix = self._reply_key[12:24]
        self._call_numbers = itertools.count()
        self._waiters = {}
        self._publish_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._publisher = UnconfirmedPublisher(amqp_uri, connect_timeout=connect_timeout)
        self._reader = None
        self._reply_connection = None
        self._ready = threading.Event()
        self._closed = False

    # --- reply side -------------------------------------------------------------------------
    def _ensure_reader(self, wait=None):
        if self._reader is None:
            with self._start_lock:
                if self._reader is None:
                    self._reader = threading.Thread(target=self._read_forever, name="rpc-replies", daemon=True)
                    self._reader.start()
        if not self._ready.wait(self.connect_timeout if wait is None else wait):
            raise BrokerUnavailable("message broker unreachable")

    def _read_forever(self):
        while not self._closed:
            try:
                with kombu.Connection(self.amqp_uri, heartbeat=20, connect_timeout=self.connect_timeout) as conn:
                    conn.connect()
                    channel = conn.connection.channel()
                    channel.exchange_declare(RPC_EXCHANGE, "topic", durable=True, auto_delete=False)
                    channel.queue_declare(self._reply_queue, exclusive=True, auto_delete=True)
                    channel.queue_bind(self._reply_queue, RPC_EXCHANGE, self._reply_key)
                    channel.basic_consume(self._reply_queue, no_ack=True, callback=self._on_message)
                    self._read_replies(conn, channel)
            except Exception as exc:  # broker away: fail fast until it is back
                self._ready.clear()
                log.warning("rpc reply connection lost: %s", exc)
                self._fail_waiters()
                threading.Event().wait(1.0)

    def _read_replies(self, conn, channel):
        """Deliveries arrive through py-amqp's own frame reading (channel.basic_consume's callback); the
        heartbeats are checked between reads."""
        connection = self._reply_connection = conn.connection  # kept for diagnostics and tests
        # py-amqp sets the socket's time-out before each read and back after it, unless it already is the one
        # asked for (Transport.having_timeout): set once here, a reply costs no settimeout() calls
        connection.transport.sock.settimeout(READ_TIMEOUT)
        self._ready.set()
        next_heartbeat_check = 0.0
        while not self._closed:
            now = time.monotonic()
            if now >= next_heartbeat_check:  # kombu wants it about twice per heartbeat interval, not once per read
                conn.heartbeat_check()
                next_heartbeat_check = now + READ_TIMEOUT
            try:
                connection.drain_events(timeout=READ_TIMEOUT)
            except socket.timeout:
                pass

    def _on_message(self, message):
        self._on_reply(message.properties.get("correlation_id"), message.body)

    def _on_reply(self, correlation_id, body):
        waiter = self._waiters.pop(correlation_id, None)
        if waiter is not None:
            waiter.reply = body
            waiter.wake()

    def _fail_waiters(self):
        for waiter in list(self._waiters.values()):
            waiter.wake()  # reply stays None: the caller reports the broker as unavailable
        self._waiters.clear()

    # --- request side -----------------------------------------------------------------------
    def call(self, service, method, *args, timeout=None, context=None, **kwargs):
        timeout = self.timeout if timeout is None else timeout
        # one deadline for the whole call: waiting for the reply connection (the broker restarting) and
        # then for the reply together never take longer than the call's time-out
        deadline = time.monotonic() + timeout
        self._ensure_reader(min(self.connect_timeout, timeout))
        correlation_id = f"{self._call_prefix}.{next(self._call_numbers)}"
        waiter = _Waiter()
        self._waiters[correlation_id] = waiter
        headers = {"nameko.call_id_stack": [f"gateway.{correlation_id}"]}
        for key, value in (context or {}).items():
            headers[f"nameko.{key}"] = value
        message = amqp.Message(
            json.dumps({"args": list(args), "kwargs": kwargs}).encode("utf-8"),
            content_type="application/json",
            content_encoding="utf-8",
            correlation_id=correlation_id,
            reply_to=self._reply_key,
            # a request nobody picked up in time must not run later, after the caller gave up
            expiration=str(int(timeout * 1000)),
            application_headers=headers,
        )
        try:
            # another caller may hold the lock while it connects: wait for it within this call's deadline only
            if not self._publish_lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
                raise socket.timeout("the broker connection is busy past the call's deadline")
            try:
                self._publisher.publish(message, RPC_EXCHANGE, f"{service}.{method}", deadline=deadline)
            finally:
                self._publish_lock.release()
        except Unencodable:
            self._waiters.pop(correlation_id, None)
            raise
        except Exception as exc:  # broker unreachable, also after one fresh connection
            self._waiters.pop(correlation_id, None)
            raise BrokerUnavailable("message broker unreachable") from exc
        if not waiter.lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            self._waiters.pop(correlation_id, None)
            raise RpcTimeout(service, method, timeout)
        if waiter.reply is None:
            raise BrokerUnavailable("message broker connection lost during the call")
        reply = json.loads(waiter.reply)
        error = reply.get("error")
        if error:
            raise RemoteError(service, error.get("exc_type"), error.get("exc_args"), error.get("value"))
        return reply.get("result")

    def close(self):
        self._closed = True
        with self._publish_lock:
            self._publisher.close()
