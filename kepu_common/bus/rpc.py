"""The @rpc entrypoint services use: nameko's, with unconfirmed replies.

nameko sends each reply through its Publisher with publisher confirms: a synchronous round trip to the
broker per call. A reply goes to the caller's private, non-durable queue and a lost reply ends as a
timeout at the caller either way, so here nameko's own Responder sends it with `use_confirms = False`
(its `publisher_cls` extension point, over TLS too when AMQP_URI is amqps://). Requests keep their
at-least-once handling: acknowledged only after the reply is sent.

nameko's Publisher.publish builds a kombu Connection and takes a producer from kombu's pool for every
message (URL parsing, two pool look-ups, a producer revived on its channel, a retry wrapper): measured with
callgrind, that made each reply cost several times what publishing it does (docs/benchmarks.md). A reply
publisher here is a Publisher whose publish() hands the same arguments to one long-lived kombu Producer per
service process, kept by the RPC consumer: kombu's own publish, serialization and retry policy
(`connection.ensure`, which reconnects and revives the producer after a broker restart), with green threads
taking turns on its channel.

The RPC consumer also comes back sooner after the broker returns: kombu retries a lost connection 2, 4,
6 … up to 30 s apart, so a service could answer 503 for up to half a minute after a broker restart;
here the attempts are RECONNECT_START, then RECONNECT_STEP more each time, at most RECONNECT_MAX apart.
"""
from contextlib import contextmanager
import inspect
import logging

import amqp
import eventlet.semaphore
import kombu
import kombu.exceptions
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, DEFAULT_TRANSPORT_OPTIONS,
                              LOGIN_METHOD_CONFIG_KEY, SERIALIZER_CONFIG_KEY)
from nameko.exceptions import IncorrectSignature
from nameko.messaging import QueueConsumer
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange

from kepu_common.operations import patches
from kepu_common.interfaces.errors import InvalidInput
from kepu_common.bus.rpc_client import read_in_chunks

log = logging.getLogger(__name__)
patches.guard_nameko_responder()
patches.guard_consumer_reconnect()
read_in_chunks()  # every py-amqp connection of the service: nameko's consumers and replies, events


RECONNECT_START, RECONNECT_STEP, RECONNECT_MAX = 0.5, 0.5, 2.0


# what sending a reply raises when the broker is away: the socket's errors, py-amqp's, and kombu's OperationalError
# (its connection retries given up, e.g. when the reply producer's channel is made or revived during an outage)
BROKER_AWAY = (OSError, amqp.exceptions.AMQPError, kombu.exceptions.OperationalError)


class PromptQueueConsumer(QueueConsumer):
    @contextmanager
    def establish_connection(self):  # kombu.mixins.ConsumerMixin's, with the intervals above
        with self.create_connection() as conn:
            conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                   interval_start=RECONNECT_START, interval_step=RECONNECT_STEP,
                                   interval_max=RECONNECT_MAX)
            yield conn


class UnconfirmedPublisher(Publisher):
    use_confirms = False


class UnconfirmedResponder(Responder):
    publisher_cls = UnconfirmedPublisher


class ReplyProducer:
    """One kombu Producer for a service's replies, on one connection opened at the first reply (kombu's
    Connection over TLS too, as nameko's Publisher would open it) and closed when the RPC consumer stops."""

    def __init__(self, amqp_uri, ssl=None, login_method=None, transport_options=None):
        self.amqp_uri, self.ssl, self.login_method = amqp_uri, ssl, login_method
        self.transport_options = {**DEFAULT_TRANSPORT_OPTIONS, **(transport_options or {}), "confirm_publish": False}
        self.lock = eventlet.semaphore.Semaphore()  # green threads take turns: a message's frames never interleave
        self.connection = self.producer = None

    def publish(self, payload, **kwargs):
        with self.lock:
            if self.producer is None:
                self.connection = kombu.Connection(self.amqp_uri, ssl=self.ssl, login_method=self.login_method,
                                                   transport_options=self.transport_options)
                self.producer = kombu.Producer(self.connection)
            try:
                self.producer.publish(payload, **kwargs)
            except Exception:
                # a publish that failed even after kombu's retries (the node it was connected to is gone for
                # good, say): the next reply starts on a new connection, as nameko's per-reply one would
                self._drop()
                raise

    def close(self):
        with self.lock:
            self._drop()

    def _drop(self):
        if self.connection is not None:
            try:
                self.connection.release()
            except Exception:  # closing a connection the broker already dropped
                pass
        self.connection = self.producer = None


class SharedProducerPublisher(UnconfirmedPublisher):
    """nameko's Publisher with its per-message kombu Connection and pooled producer replaced by the
    ReplyProducer it is given: the same publish arguments (headers, delivery mode, priority, expiration,
    serializer, compression, retry and retry policy) go to kombu's Producer.publish."""

    reply_producer = None  # set on the subclass each RPC consumer makes

    def publish(self, payload, **kwargs):
        headers = {**self.publish_kwargs.get("headers", {}), **kwargs.pop("headers", {}),
                   **kwargs.pop("extra_headers", {})}
        options = {"delivery_mode": self.delivery_mode, "mandatory": self.mandatory, "priority": self.priority,
                   "expiration": self.expiration, "serializer": self.serializer, "compression": self.compression,
                   "retry": self.retry, "retry_policy": self.retry_policy, "declare": list(self.declare)}
        options.update({key: value for key, value in self.publish_kwargs.items() if key != "headers"})
        options.update(kwargs)
        options.pop("use_confirms", None)
        options.pop("transport_options", None)
        self.reply_producer.publish(payload, headers=headers, **options)


class ReplyingRpcConsumer(RpcConsumer):
    queue_consumer = PromptQueueConsumer()

    def setup(self):
        super().setup()
        # RPC_QUEUE_TYPE=quorum: the service's request queue (rpc-<service>) replicated across a cluster's nodes,
        # so losing the node that holds it does not stop RPC to the service (docs/operations.md)
        if self.container.config.get("RPC_QUEUE_TYPE", "classic") == "quorum":
            self.queue.queue_arguments = {**(self.queue.queue_arguments or {}), "x-queue-type": "quorum"}
        config = self.container.config
        self._reply_producer = ReplyProducer(config[AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                             login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        publisher = type("ReplyPublisher", (SharedProducerPublisher,), {"reply_producer": self._reply_producer})
        self._responder_cls = type("ReplyResponder", (UnconfirmedResponder,), {"publisher_cls": publisher})
        self._reply_exchange = get_rpc_exchange(config)

    def _send_reply(self, message, result, exc_info):
        """nameko's RpcConsumer.handle_result, with its Responder sending through this consumer's producer:
        returns (result, exc_info)."""
        config = self.container.config
        responder = self._responder_cls(
            config[AMQP_URI_CONFIG_KEY], self._reply_exchange, config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message, ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        return responder.send_response(result, exc_info)

    def stop(self):
        super().stop()
        self._reply_producer.close()

    def kill(self):
        super().kill()
        self._reply_producer.close()

    def handle_result(self, message, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], ValidationError):  # a schema refused the input
            exc_info = (InvalidInput, InvalidInput.from_messages(exc_info[1].messages), exc_info[2])
        try:
            result, exc_info = self._send_reply(message, result, exc_info)
        except BROKER_AWAY as exc:
            # the broker went away (a restart): raising here kills the whole container. The caller already
            # answers 503 (its reply connection dropped too); the request, unacknowledged, returns to its
            # queue with the dead connection and expires there (the gateway sets its TTL to the time-out)
            log.warning("%s: reply to %s not sent (%s); the broker is away", self.container.service_name,
                        message.properties.get("correlation_id"), exc)
            return result, exc_info
        self.queue_consumer.ack_message(message)
        return result, exc_info


class KepuRpc(Rpc):
    rpc_consumer = ReplyingRpcConsumer()

    def setup(self):
        super().setup()
        # the method's own signature, not that of a function it wraps: what inspect.getcallargs checks
        self._signature = inspect.signature(getattr(self.container.service_cls, self.method_name), follow_wrapped=False)

    def check_signature(self, args, kwargs):
        # nameko's own check calls inspect.getcallargs, which builds the method's signature again on every
        # call; the signature is made once here and only bound per call (the same TypeError cases)
        try:
            self._signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc))


rpc = KepuRpc.decorator
