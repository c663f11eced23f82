"""A reply the broker cannot take (it has just stopped) is dropped with a warning; the service lives on."""
from types import SimpleNamespace
from unittest import mock

import amqp
import pytest

from kepu_common.rpc import ReplyingRpcConsumer

MESSAGE = SimpleNamespace(properties={"reply_to": "rpc.reply-gateway", "correlation_id": "c-1"})


def consumer(failure):
    return SimpleNamespace(_send_reply=mock.Mock(side_effect=failure or (lambda message, result, exc_info: (result, exc_info))), queue_consumer=mock.Mock(),
                           container=SimpleNamespace(service_name="metrics"))


@pytest.mark.parametrize("failure", [ConnectionRefusedError(111, "Connection refused"),
                                     BrokenPipeError(32, "Broken pipe"),
                                     amqp.exceptions.RecoverableConnectionError("connection already closed")])
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
