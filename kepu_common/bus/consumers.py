"""Batch event consumption: a nameko entrypoint that takes up to batch_size events off a durable queue,
hands them to one worker, and acknowledges them only after that worker returned (its transaction
committed). A message that breaks its contract is dead-lettered instead of blocking the queue.

While a dependency is down (the database, another service) the batch is held, unacknowledged, and run
again after a pause until it goes through: never requeued, so it keeps its order and, on a quorum
queue, does not use up its deliveries. A batch that fails for another reason is retried event by event
to find a poisoned one, which is requeued after a pause and dead-lettered once it failed too often:
on a classic queue after max_attempts failures counted here (a restart starts the count again); on a
quorum queue by the broker itself, past the queue's x-delivery-limit, a count that survives restarts.

nameko's own @event_handler spawns a worker and a transaction per message (about 250 committed
events/s here); batching is how consumers keep up with the outbox relay.
"""
import json
import logging
import socket
import time

import eventlet
import kombu
import psycopg2
from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import Entrypoint

from kepu_common.bus.amqp import DEFAULT_DELIVERY_LIMIT, consumer_queue_name, declare_consumer_queue
from kepu_common.interfaces.contracts import UnknownEvent, binding_keys, load_event
from kepu_common.interfaces.errors import Unavailable

log = logging.getLogger(__name__)


class BatchEventConsumer(Entrypoint):
    def __init__(self, source_service, event_type, batch_size=500, max_wait=0.05, max_attempts=5, subjects=None,
                 legacy_binding=False, **kwargs):
        self.source_service = source_service
        self.event_type = event_type
        # a routed event (review_decided): the subjects this consumer owns; legacy_binding keeps the queue's
        # pre-routing binding while producers that publish the old way may still run
        self.subjects = tuple(subjects) if subjects else None
        self.legacy_binding = legacy_binding
        binding_keys(event_type, self.subjects)  # fails at import when a routed event names no subject
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.max_attempts = max_attempts
        self._failures = {}
        super().__init__(**kwargs)

    @property
    def queue_name(self):
        return consumer_queue_name(
            self.source_service, self.event_type, self.container.service_name, self.method_name
        )

    def setup(self):
        config = self.container.config
        self.amqp_uri = config["AMQP_URI"]
        self.queue_type = config.get("EVENT_QUEUE_TYPE", "classic")
        self.delivery_limit = int(config.get("EVENT_DELIVERY_LIMIT", DEFAULT_DELIVERY_LIMIT))
        self.running = False
        self._thread = None

    def start(self):
        # declared before start() returns, so events published once the service is up are kept
        try:
            with kombu.Connection(self.amqp_uri, connect_timeout=5) as conn:
                self._declare(conn.channel())
        except (OSError, kombu.exceptions.KombuError) as exc:
            log.warning("%s: could not declare the queue yet (%s); the consumer will keep trying", self.queue_name, exc)
        self.running = True
        self._thread = self.container.spawn_managed_thread(self._consume_forever, identifier=self.queue_name)

    def stop(self):
        self.running = False
        if self._thread is not None:
            self._thread.wait()

    def kill(self):
        self.running = False
        if self._thread is not None:
            self._thread.kill()

    def _declare(self, channel):
        declare_consumer_queue(channel, self.source_service, self.event_type, self.queue_name, self.queue_type,
                               self.subjects, self.legacy_binding, self.delivery_limit)

    def _consume_forever(self):
        backoff = 0.2
        while self.running:
            try:
                self._consume()
                backoff = 0.2
            except (OSError, socket.error, kombu.exceptions.KombuError) as exc:
                # unacked messages return to the queue with the dead connection; nothing to undo here
                log.warning("%s: broker connection lost (%s); reconnecting in %.1fs", self.queue_name, exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception as exc:  # amqp-level errors (channel closed, ...) are not all OSError
                log.warning("%s: consumer failed (%s); reconnecting in %.1fs", self.queue_name, exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    def _consume(self):
        pending = []
        with kombu.Connection(self.amqp_uri, heartbeat=30) as conn:
            channel = conn.channel()
            self._declare(channel)
            # two batches in flight: while the handler works on one, the broker already sends the next, so
            # the database and the broker work at the same time instead of taking turns
            channel.basic_qos(0, 2 * self.batch_size, False)
            queue = kombu.Queue(self.queue_name, channel=channel, no_declare=True)
            consumer = kombu.Consumer(channel, queues=[queue], on_message=pending.append, no_ack=False)
            consumer.consume()
            first_at = None
            while self.running:
                conn.heartbeat_check()
                if len(pending) < self.batch_size:
                    try:
                        conn.drain_events(timeout=self.max_wait if pending else 1.0)
                    except socket.timeout:
                        pass
                if pending and first_at is None:
                    first_at = time.monotonic()
                if pending and (len(pending) >= self.batch_size or time.monotonic() - first_at >= self.max_wait):
                    # in delivery order: acking the batch's last tag (multiple) acks none of the next batch
                    batch = pending[:self.batch_size]
                    del pending[:self.batch_size]
                    first_at = time.monotonic() if pending else None
                    self._process(conn, channel, batch)

    def _pause(self, conn, seconds):
        """Sleep while keeping the connection alive; deliveries that arrive meanwhile wait in `pending`."""
        deadline = time.monotonic() + seconds
        while self.running and (left := deadline - time.monotonic()) > 0:
            conn.heartbeat_check()
            try:
                conn.drain_events(timeout=min(left, 1.0))
            except socket.timeout:
                pass

    def _decode(self, body):
        """A message body as a validated event; raises ValueError, ValidationError or UnknownEvent if not one.
        A consumer with a faster decoder for its one event type overrides this."""
        return load_event(json.loads(body))

    def _process(self, conn, channel, messages):
        pairs = []
        for message in messages:
            try:
                pairs.append((message, self._decode(message.body)))
            except (ValueError, ValidationError, UnknownEvent) as exc:
                log.error("%s: dead-lettering a message that breaks its contract: %s", self.queue_name, exc)
                message.reject(requeue=False)
        if not pairs:
            return
        events = [event for _, event in pairs]
        exc_info = self._apply(conn, events)
        if exc_info is None:
            channel.basic_ack(pairs[-1][0].delivery_tag, multiple=True)
            self._forget(events)
            return
        if _transient(exc_info[1]):
            return  # stopping while a dependency is down: the messages go back with the connection
        if len(pairs) == 1:
            self._after_failure(conn, channel, pairs, exc_info)
            return
        # one event may be poisoning the whole batch: find it by applying them one at a time
        log.warning("%s: batch of %d failed (%s); retrying its events one by one", self.queue_name, len(events),
                    exc_info[1])
        for message, event in pairs:
            single = self._apply(conn, [event])
            if single is None:
                channel.basic_ack(message.delivery_tag)
                self._forget([event])
            elif _transient(single[1]):
                return
            else:
                self._after_failure(conn, channel, [(message, event)], single)

    def _apply(self, conn, events):
        """Run the worker; while it fails because a dependency is down, run it again after a pause.

        The messages stay unacknowledged meanwhile: requeueing them would reorder them and, on a quorum
        queue, count a delivery each time, dead-lettering good events during a long database outage."""
        exc_info = self._run_worker(events)
        pause = 1.0
        while exc_info is not None and _transient(exc_info[1]) and self.running:
            log.error("%s: handler failed on %d event(s) (%s); a dependency is down, retrying in %.0fs",
                      self.queue_name, len(events), exc_info[1], pause, exc_info=exc_info if pause == 1.0 else None)
            self._pause(conn, pause)
            pause = 2.0  # a failed try costs little: the dependency's return is seen within 2 s
            if self.running:
                exc_info = self._run_worker(events)
        return exc_info

    def _after_failure(self, conn, channel, pairs, exc_info):
        """Requeue after a pause; an event that keeps failing is dead-lettered so it cannot hold the queue."""
        log.error("%s: handler failed on %d event(s) (%s)", self.queue_name, len(pairs), exc_info[1],
                  exc_info=exc_info)
        self._pause(conn, 1.0)  # do not spin on a poison event
        for message, event in pairs:
            if self.queue_type == "quorum":
                # the broker counts the deliveries and dead-letters the event past the queue's limit
                delivered = (message.headers or {}).get("x-delivery-count", 0) + 1
                log.error("%s: event %s failed on delivery %d of %d", self.queue_name, event["event_id"],
                          delivered, self.delivery_limit + 1)
                channel.basic_reject(message.delivery_tag, requeue=True)
                continue
            key = str(event["event_id"])
            self._failures[key] = self._failures.get(key, 0) + 1
            if self._failures[key] >= self.max_attempts:
                log.error("%s: dead-lettering event %s after %d failed attempts", self.queue_name, key,
                          self._failures.pop(key))
                channel.basic_reject(message.delivery_tag, requeue=False)
            else:
                channel.basic_reject(message.delivery_tag, requeue=True)

    def _forget(self, events):
        for event in events:
            self._failures.pop(str(event["event_id"]), None)

    def _run_worker(self, events):
        done = eventlet.event.Event()

        def handle_result(worker_ctx, result, exc_info):
            done.send(exc_info)
            return result, exc_info

        try:
            self.container.spawn_worker(self, (events,), {}, handle_result=handle_result)
        except ContainerBeingKilled as exc:
            return (type(exc), exc, None)
        return done.wait()


def _transient(exc):
    """A dependency that is down: wait for it, never give up on the event."""
    return isinstance(exc, (Unavailable, psycopg2.OperationalError, psycopg2.InterfaceError, ContainerBeingKilled))


event_consumer = BatchEventConsumer.decorator


def consumers_of(service_cls):
    """(method_name, entrypoint) for every batch consumer on a service class (for topology set-up)."""
    for name in dir(service_cls):
        method = getattr(service_cls, name)
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, BatchEventConsumer):
                yield name, entrypoint
