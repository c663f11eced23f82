"""A reply the broker cannot take (it has just stopped) is dropped with a warning; the service lives on."""
from types import SimpleNamespace
from unittest import mock

import amqp
import kombu.exceptions
import pytest

from kepu_common.bus.rpc import ReplyingRpcConsumer, ReplyProducer, SharedProducerPublisher, UnconfirmedResponder

MESSAGE = SimpleNamespace(properties={"reply_to": "rpc.reply-gateway", "correlation_id": "c-1"})


def consumer(failure):
    return SimpleNamespace(_send_reply=mock.Mock(side_effect=failure or (lambda message, result, exc_info: (result, exc_info))), queue_consumer=mock.Mock(),
                           container=SimpleNamespace(service_name="metrics"))


@pytest.mark.parametrize("failure", [ConnectionRefusedError(111, "Connection refused"),
                                     BrokenPipeError(32, "Broken pipe"),
                                     amqp.exceptions.RecoverableConnectionError("connection already closed"),
                                     kombu.exceptions.OperationalError("[Errno 111] Connection refused")])
def test_a_reply_lost_with_the_broker_is_logged_and_the_request_left_unacknowledged(failure, caplog):
    stub = consumer(failure)
    assert ReplyingRpcConsumer.handle_result(stub, MESSAGE, {"ok": True}, None) == ({"ok": True}, None)
    stub.queue_consumer.ack_message.assert_not_called()
    assert "reply to c-1 not sent" in caplog.text


def test_a_sent_reply_acknowledges_the_request():
    stub = consumer(None)
    ReplyingRpcConsumer.handle_result(stub, MESSAGE, 1, None)
    stub.queue_consumer.ack_message.assert_called_once_with(MESSAGE)


def test_a_programming_error_in_sending_is_not_swallowed():
    with pytest.raises(TypeError):
        ReplyingRpcConsumer.handle_result(consumer(TypeError("bug")), MESSAGE, 1, None)


def test_the_reply_producer_with_no_broker_fails_as_the_consumer_expects(caplog):
    """The reply path itself (nameko's Responder, our Publisher, kombu's Producer) against a port nobody listens on:
    what it raises is one the consumer drops with a warning, not one that would end the container."""
    producer = ReplyProducer("amqp://guest:guest@127.0.0.1:9//", transport_options={"max_retries": 1, "interval_start": 0,
                                                                                      "interval_step": 0})
    publisher = type("Publisher", (SharedProducerPublisher,), {"reply_producer": producer,
                                                               "retry_policy": {"max_retries": 1, "interval_start": 0}})
    responder = type("Responder", (UnconfirmedResponder,), {"publisher_cls": publisher})
    message = SimpleNamespace(properties={**MESSAGE.properties, "content_type": "application/json"})
    stub = SimpleNamespace(queue_consumer=mock.Mock(), container=SimpleNamespace(service_name="metrics"),
                           _send_reply=lambda message, result, exc_info: responder(
                               producer.amqp_uri, "nameko-rpc", "json", message).send_response(result, exc_info))
    assert ReplyingRpcConsumer.handle_result(stub, message, {"ok": True}, None) == ({"ok": True}, None)
    stub.queue_consumer.ack_message.assert_not_called()
    assert "reply to c-1 not sent" in caplog.text


def test_a_reply_goes_to_the_shared_producer_with_nameko_s_publish_options():
    """What nameko's Responder asks its publisher for reaches the one kombu Producer, with the options nameko's own
    Publisher would have used (persistent delivery, its retry policy, no declarations)."""
    sent = []
    producer = SimpleNamespace(publish=lambda payload, **kwargs: sent.append((payload, kwargs)))
    publisher = type("Publisher", (SharedProducerPublisher,), {"reply_producer": producer})
    responder = type("Responder", (UnconfirmedResponder,), {"publisher_cls": publisher})
    message = SimpleNamespace(properties={**MESSAGE.properties, "content_type": "application/json"})
    assert responder("amqp://unused//", "nameko-rpc", "json", message).send_response({"ok": 1}, None) == ({"ok": 1}, None)
    ((payload, options),) = sent
    assert payload == {"result": {"ok": 1}, "error": None}
    assert options == {"headers": {}, "delivery_mode": 2, "mandatory": False, "priority": 0, "expiration": None,
                       "serializer": "json", "compression": None, "retry": True, "retry_policy": {"max_retries": 3},
                       "declare": [], "exchange": "nameko-rpc", "routing_key": "rpc.reply-gateway",
                       "correlation_id": "c-1"}
