"""The @rpc entrypoint services use: nameko's, with unconfirmed replies.

nameko sends each reply through its Publisher with publisher confirms: a synchronous round trip to the
broker per call. A reply goes to the caller's private, non-durable queue and a lost reply ends as a
timeout at the caller either way, so here nameko's own Responder sends it with `use_confirms = False`
(its `publisher_cls` extension point; the producer still comes from kombu's pool, over TLS too when
AMQP_URI is amqps://). Requests keep their at-least-once handling: acknowledged only after the reply is
sent.

The RPC consumer also comes back sooner after the broker returns: kombu retries a lost connection 2, 4,
6 … up to 30 s apart, so a service could answer 503 for up to half a minute after a broker restart;
here the attempts are RECONNECT_START, then RECONNECT_STEP more each time, at most RECONNECT_MAX apart.
"""
from contextlib import contextmanager
import inspect
import logging

import amqp
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY,
                              SERIALIZER_CONFIG_KEY)
from nameko.exceptions import IncorrectSignature
from nameko.messaging import QueueConsumer
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange

from kepu_common import patches
from kepu_common.errors import InvalidInput
from kepu_common.rpc_client import read_in_chunks

log = logging.getLogger(__name__)
patches.guard_nameko_responder()
patches.guard_consumer_reconnect()
read_in_chunks()  # every py-amqp connection of the service: nameko's consumers and replies, events


RECONNECT_START, RECONNECT_STEP, RECONNECT_MAX = 0.5, 0.5, 2.0


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


class ReplyingRpcConsumer(RpcConsumer):
    queue_consumer = PromptQueueConsumer()

    def setup(self):
        super().setup()
        # RPC_QUEUE_TYPE=quorum: the service's request queue (rpc-<service>) replicated across a cluster's nodes,
        # so losing the node that holds it does not stop RPC to the service (docs/operations.md)
        if self.container.config.get("RPC_QUEUE_TYPE", "classic") == "quorum":
            self.queue.queue_arguments = {**(self.queue.queue_arguments or {}), "x-queue-type": "quorum"}

    def _send_reply(self, message, result, exc_info):
        """nameko's RpcConsumer.handle_result, with UnconfirmedResponder: returns (result, exc_info)."""
        config = self.container.config
        responder = UnconfirmedResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config), config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message, ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        return responder.send_response(result, exc_info)

    def handle_result(self, message, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], ValidationError):  # a schema refused the input
            exc_info = (InvalidInput, InvalidInput.from_messages(exc_info[1].messages), exc_info[2])
        try:
            result, exc_info = self._send_reply(message, result, exc_info)
        except (OSError, amqp.exceptions.AMQPError) as exc:
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
