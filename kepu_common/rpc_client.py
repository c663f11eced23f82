"""A thread-safe client for nameko RPC, for processes that are not nameko services (the gateway).

nameko's standalone proxies are neither thread-safe nor fast under a threaded WSGI server: each
waits for its reply by polling. This client speaks the same wire protocol (exchange "nameko-rpc",
routing key "<service>.<method>", JSON body {"args", "kwargs"}, reply to our own queue matched by
correlation id) over two connections per process: one for publishing (serialized by a lock) and one
read by a single thread that hands each reply to the request thread waiting for it.
"""
import json
import logging
import socket
import threading
import uuid

import amqp
import kombu

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"


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
    __slots__ = ("event", "reply")

    def __init__(self):
        self.event = threading.Event()
        self.reply = None


class RpcClient:
    def __init__(self, amqp_uri, timeout=10.0, connect_timeout=3.0):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._reply_key = f"kepu-client-{uuid.uuid4().hex}"
        self._reply_queue = f"rpc.reply-{self._reply_key}"
        self._waiters = {}
        self._publish_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._publisher = None
        self._reader = None
        self._ready = threading.Event()
        self._closed = False

    # --- reply side -------------------------------------------------------------------------
    def _ensure_reader(self):
        if self._reader is None:
            with self._start_lock:
                if self._reader is None:
                    self._reader = threading.Thread(target=self._read_forever, name="rpc-replies", daemon=True)
                    self._reader.start()
        if not self._ready.wait(self.connect_timeout):
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
                    channel.basic_consume(self._reply_queue, callback=self._on_reply, no_ack=True)
                    self._ready.set()
                    while not self._closed:
                        conn.heartbeat_check()
                        try:
                            conn.drain_events(timeout=1.0)
                        except socket.timeout:
                            pass
            except Exception as exc:  # broker away: fail fast until it is back
                self._ready.clear()
                log.warning("rpc reply connection lost: %s", exc)
                self._fail_waiters()
                threading.Event().wait(1.0)

    def _on_reply(self, message):
        waiter = self._waiters.pop(message.properties.get("correlation_id"), None)
        if waiter is not None:
            waiter.reply = message.body
            waiter.event.set()

    def _fail_waiters(self):
        for waiter in list(self._waiters.values()):
            waiter.event.set()  # reply stays None: the caller reports the broker as unavailable
        self._waiters.clear()

    # --- request side -----------------------------------------------------------------------
    def _publish(self, message, routing_key):
        for attempt in (1, 2):
            try:
                if self._publisher is None:
                    conn = kombu.Connection(self.amqp_uri, heartbeat=0, connect_timeout=self.connect_timeout)
                    conn.connect()
                    self._publisher = (conn, conn.connection.channel())
                self._publisher[1].basic_publish(message, exchange=RPC_EXCHANGE, routing_key=routing_key)
                return
            except Exception as exc:  # stale connection after a broker restart: reconnect once
                self._drop_publisher()
                if attempt == 2:
                    raise BrokerUnavailable("message broker unreachable") from exc

    def _drop_publisher(self):
        if self._publisher is not None:
            try:
                self._publisher[0].release()
            except Exception:
                pass
            self._publisher = None

    def call(self, service, method, *args, timeout=None, context=None, **kwargs):
        timeout = self.timeout if timeout is None else timeout
        self._ensure_reader()
        correlation_id = uuid.uuid4().hex
        waiter = _Waiter()
        self._waiters[correlation_id] = waiter
        headers = {"nameko.call_id_stack": [f"gateway.{correlation_id}"]}
        for key, value in (context or {}).items():
            headers[f"nameko.{key}"] = value
        message = amqp.Message(
            json.dumps({"args": list(args), "kwargs": kwargs}),
            content_type="application/json",
            content_encoding="utf-8",
            correlation_id=correlation_id,
            reply_to=self._reply_key,
            # a request nobody picked up in time must not run later, after the caller gave up
            expiration=str(int(timeout * 1000)),
            application_headers=headers,
        )
        try:
            with self._publish_lock:
                self._publish(message, f"{service}.{method}")
        except BrokerUnavailable:
            self._waiters.pop(correlation_id, None)
            raise
        if not waiter.event.wait(timeout):
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
            self._drop_publisher()
