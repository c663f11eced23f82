"""The @rpc entrypoint services use: nameko's, with replies sent without publisher confirms.

nameko confirms every reply with the broker before acknowledging the request: a synchronous round
trip that caps a service at a few hundred calls/s. A reply goes to the caller's private, non-durable
queue; if it is lost the caller times out either way, so confirming it buys nothing. Requests keep
their at-least-once handling (acknowledged after the reply is sent).
"""
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_SSL_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY, SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER
from nameko.messaging import AMQP_URI_CONFIG_KEY
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange


class ReplyPublisher(Publisher):
    use_confirms = False
    delivery_mode = 1  # transient: the reply queue is not durable anyway


class ReplyResponder(Responder):
    publisher_cls = ReplyPublisher


class ReplyingRpcConsumer(RpcConsumer):
    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = ReplyResponder(
            config[AMQP_URI_CONFIG_KEY],
            get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class KepuRpc(Rpc):
    rpc_consumer = ReplyingRpcConsumer()


rpc = KepuRpc.decorator
