"""RabbitMQ topology and confirmed batch publishing.

Events go to one durable topic exchange per source service ("identity.events", routing key = event
type), the names nameko's own EventDispatcher uses, so a plain nameko @event_handler can subscribe too.

AMQP_URI may list several brokers separated by ';' (the nodes of a cluster): kombu connects to the first
that answers and fails over to the next when a connection is lost.
"""
import logging
import socket
import threading
import time

import amqp
import kombu

from kepu_common.operations import patches
from kepu_common.interfaces.contracts import ROUTED_BY, binding_keys, exchange_name

log = logging.getLogger(__name__)
patches.guard_amqp_write()

DEAD_LETTER_EXCHANGE = "kepu.dead-letter"
DEAD_LETTER_QUEUE = "kepu.dead-letter"
# a quorum queue counts every return of a message (a requeue, and on RabbitMQ 3.x also a consumer's lost
# connection or restart) and dead-letters it past this limit; high enough that restarts and failovers
# cannot use it up, and a poison event still stops after this many tries (EVENT_DELIVERY_LIMIT overrides)
DEFAULT_DELIVERY_LIMIT = 20


class PublishFailed(Exception):
    pass


def consumer_queue_name(source, event_type, service, method):
    return f"evt-{source}-{event_type}--{service}.{method}"


def _queue_arguments(queue_type):
    return {"x-queue-type": "quorum"} if queue_type == "quorum" else {}


def consumer_queue_arguments(queue_type, delivery_limit=DEFAULT_DELIVERY_LIMIT):
    """Rejected messages go to the dead-letter exchange. On a quorum queue the broker also keeps the count
    of deliveries, so a poison event is dead-lettered after delivery_limit returns however often its
    consumer restarts; at-least-once dead-lettering (RabbitMQ >= 3.10) needs overflow reject-publish."""
    arguments = {"x-dead-letter-exchange": DEAD_LETTER_EXCHANGE, **_queue_arguments(queue_type)}
    if queue_type == "quorum":
        arguments.update({"x-delivery-limit": int(delivery_limit), "x-dead-letter-strategy": "at-least-once",
                          "x-overflow": "reject-publish"})
    return arguments


def declare_dead_letter(channel, queue_type="classic"):
    channel.exchange_declare(DEAD_LETTER_EXCHANGE, "topic", durable=True, auto_delete=False)
    channel.queue_declare(DEAD_LETTER_QUEUE, durable=True, auto_delete=False, arguments=_queue_arguments(queue_type))
    channel.queue_bind(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, "#")


def declare_consumer_queue(channel, source, event_type, queue, queue_type="classic", subjects=None, legacy=False,
                           delivery_limit=DEFAULT_DELIVERY_LIMIT):
    """Durable queue bound to the source's exchange; poison messages go to the dead-letter queue.

    A routed event (contracts.ROUTED_BY) binds one key per subject the consumer owns. `legacy` keeps the
    plain event-type binding a queue had before routing, for events a not-yet-upgraded producer still
    publishes that way (docs/events.md, "Routing decisions to their owner")."""
    declare_dead_letter(channel, queue_type)
    channel.exchange_declare(exchange_name(source), "topic", durable=True, auto_delete=False)
    channel.queue_declare(queue, durable=True, auto_delete=False,
                          arguments=consumer_queue_arguments(queue_type, delivery_limit))
    for key in binding_keys(event_type, subjects):
        channel.queue_bind(queue, exchange_name(source), key)
    if legacy and event_type in ROUTED_BY:
        channel.queue_bind(queue, exchange_name(source), event_type)


class ConfirmedPublisher:
    """Publishes a batch of persistent messages and returns only when the broker confirmed all of them.

    Confirms are awaited once per batch instead of once per message: that is what lets the outbox relay
    go past the ~1,000 events/s of per-message confirms.

    Between batches the connection may stay quiet for hours, and a broker drops a connection that missed
    two heartbeats: a heartbeat thread sends ours and reads the broker's while no batch is in flight, so
    the first batch after a quiet night goes out on the same connection, with no error and no retry.
    """

    def __init__(self, amqp_uri, confirm_timeout=30.0, heartbeat=30):
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self.heartbeat = heartbeat
        self._connection = None
        self._channel = None
        self._declared = set()
        # one batch or one heartbeat tick at a time: both read and write the same socket
        self._lock = threading.Lock()

    def _connect(self):
        connection = kombu.Connection(self.amqp_uri, heartbeat=self.heartbeat)
        connection.connect()
        channel = connection.connection.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self._connection = connection
        self._channel = channel
        self._next_tag = 1
        self._outstanding = set()
        self._nacked = set()
        self._declared = set()
        negotiated = connection.connection.heartbeat  # the smaller of ours and the broker's; 0 = none
        if negotiated:
            threading.Thread(target=self._keep_alive, args=(connection, negotiated / 4.0),
                             name="publisher-heartbeat", daemon=True).start()

    def _keep_alive(self, connection, interval):
        """Ticks four times per heartbeat interval (py-amqp sends one every half interval, when due)."""
        while True:
            time.sleep(interval)
            with self._lock:
                if self._connection is not connection:
                    return  # closed or replaced
                try:
                    connection.heartbeat_check()
                    try:
                        connection.drain_events(timeout=0)  # the broker's heartbeats: unread, they count as missed
                    except socket.timeout:
                        pass
                except Exception as exc:  # the broker went away while we were quiet: reconnect on the next batch
                    log.warning("publisher connection lost while idle (%s); the next batch reconnects", exc)
                    self._close()
                    return

    def _on_ack(self, delivery_tag, multiple):
        if multiple:
            self._outstanding = {tag for tag in self._outstanding if tag > delivery_tag}
        else:
            self._outstanding.discard(delivery_tag)

    def _on_nack(self, delivery_tag, multiple):
        done = {t for t in self._outstanding if t <= delivery_tag} if multiple else {delivery_tag}
        self._nacked |= done
        self._outstanding -= done

    def ensure_exchange(self, exchange):
        if exchange not in self._declared:
            self._channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
            self._declared.add(exchange)

    @property
    def connection(self):
        """The open kombu connection, None before the first batch or after a loss (for tests and probes)."""
        return self._connection

    def publish_batch(self, messages):
        """messages: list of (exchange, routing_key, body_bytes, message_id)."""
        messages = list(messages)
        with self._lock:
            if self._connection is None:
                self._connect()
            else:
                self._connection.heartbeat_check()
            self._publish(messages)

    def _publish(self, messages):
        first = self._next_tag
        for exchange in {m[0] for m in messages}:
            self.ensure_exchange(exchange)
        # py-amqp writes each frame with its own write; collecting the batch's frames and writing them at
        # once takes the relay from ~3,500 to well over 5,000 events/s (docs/benchmarks.md). The transport's
        # own writer (sendall on TCP, the TLS socket's write loop on TLS) is kept and writes the batch.
        transport = self._connection.connection.transport
        write = transport._write
        frames = bytearray()
        transport._write = frames.extend
        try:
            for exchange, routing_key, body, message_id in messages:
                message = amqp.Message(
                    body,
                    delivery_mode=2,
                    content_type="application/json",
                    content_encoding="utf-8",
                    message_id=message_id,
                )
                self._channel.basic_publish(message, exchange=exchange, routing_key=routing_key)
                self._outstanding.add(self._next_tag)
                self._next_tag += 1
        finally:
            transport._write = write
        transport.write(bytes(frames))
        self._await_confirms()
        nacked = {t for t in self._nacked if t >= first}
        self._nacked -= nacked
        if nacked:
            raise PublishFailed(f"broker refused {len(nacked)} message(s)")

    def _await_confirms(self):
        # in short reads, keeping up our heartbeats: a quorum queue that elects a new leader can take
        # longer to confirm than the connection may stay silent
        deadline = time.monotonic() + self.confirm_timeout
        tick = max(self._connection.connection.heartbeat / 4.0, 0.25) if self._connection.connection.heartbeat else 1.0
        while self._outstanding:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PublishFailed(f"{len(self._outstanding)} message(s) unconfirmed after {self.confirm_timeout:.0f}s")
            try:
                self._connection.drain_events(timeout=min(left, tick))
            except socket.timeout:
                pass
            self._connection.heartbeat_check()

    def close(self):
        with self._lock:
            self._close()

    def _close(self):
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # closing a dead connection may fail in many ways; it is gone either way
                pass
        self._connection = None
        self._channel = None
