"""The @rpc entrypoint services use: nameko's, with a leaner reply path.

nameko sends each reply through a new kombu Publisher with publisher confirms: a producer taken from a
pool, a retry wrapper, and a synchronous round trip to the broker per call. A reply goes to the
caller's private, non-durable queue and a lost reply ends as a timeout at the caller either way, so
here replies go out unconfirmed on one long-lived channel per service process. Requests keep their
at-least-once handling: acknowledged only after the reply is sent.
"""
import amqp
import eventlet
import kombu
from kombu.utils import json
from marshmallow import ValidationError
from nameko.exceptions import UnserializableValueError, serialize
from nameko.messaging import AMQP_URI_CONFIG_KEY
from nameko.rpc import Rpc, RpcConsumer, get_rpc_exchange

from kepu_common import patches
from kepu_common.errors import InvalidInput

patches.guard_nameko_responder()


class ReplyingRpcConsumer(RpcConsumer):
    def setup(self):
        super().setup()
        self._reply_lock = eventlet.semaphore.Semaphore()
        self._reply_channel = None
        self._reply_connection = None

    def _send_reply(self, body, reply_to, correlation_id):
        message = amqp.Message(body, content_type="application/json", content_encoding="utf-8",
                               correlation_id=correlation_id)
        exchange = get_rpc_exchange(self.container.config).name
        with self._reply_lock:  # green threads share the channel: frames must not interleave
            for attempt in (1, 2):
                try:
                    if self._reply_channel is None:
                        connection = kombu.Connection(self.container.config[AMQP_URI_CONFIG_KEY], heartbeat=0)
                        connection.connect()
                        self._reply_connection = connection
                        self._reply_channel = connection.connection.channel()
                    self._reply_channel.basic_publish(message, exchange=exchange, routing_key=reply_to)
                    return
                except Exception:  # a connection left stale by a broker restart: one fresh try
                    self._close_reply_connection()
                    if attempt == 2:
                        raise

    def _close_reply_connection(self):
        if self._reply_connection is not None:
            try:
                self._reply_connection.release()
            except Exception:
                pass
        self._reply_connection = self._reply_channel = None

    def handle_result(self, message, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], ValidationError):  # a schema refused the input
            exc_info = (InvalidInput, InvalidInput.from_messages(exc_info[1].messages), exc_info[2])
        error = serialize(exc_info[1]) if exc_info is not None else None
        try:
            body = json.dumps({"result": result, "error": error})
        except Exception:
            exc_info = (UnserializableValueError, UnserializableValueError(result), None)
            body = json.dumps({"result": None, "error": serialize(exc_info[1])})
            result = None
        self._send_reply(body, message.properties["reply_to"], message.properties.get("correlation_id"))
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def stop(self):
        super().stop()
        self._close_reply_connection()

    def kill(self):
        super().kill()
        self._close_reply_connection()


class KepuRpc(Rpc):
    rpc_consumer = ReplyingRpcConsumer()


rpc = KepuRpc.decorator
