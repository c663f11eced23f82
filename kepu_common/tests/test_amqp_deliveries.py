"""kepu_common.amqp_deliveries decodes what py-amqp itself would send as basic.deliver: the frames here
are written by py-amqp's own frame writer and argument encoder, then fed in arbitrary pieces."""
import random
import struct

import amqp
import pytest
from amqp.method_framing import frame_writer
from amqp.serialization import dumps

from kepu_common.amqp_deliveries import Deliveries, UnexpectedFrame

CHANNEL = 1
HEARTBEAT = b"\x08\x00\x00\x00\x00\x00\x00\xce"


class _Written:
    def __init__(self, frame_max):
        self.frame_max = frame_max
        self.bytes_sent = 0
        self.data = bytearray()

    def write(self, data):
        self.data += bytes(data)


def deliver(body, frame_max=131072, channel=CHANNEL, delivery_tag=1, **properties):
    """The bytes of one basic.deliver as py-amqp encodes it (its argument format for the method: sLbss)."""
    written = _Written(frame_max)
    write = frame_writer(written, written)
    args = dumps("sLbss", ("ctag", delivery_tag, False, "nameko-rpc", "kepu-client-x"))
    write(1, channel, (60, 60), args, amqp.Message(body, **properties))
    return bytes(written.data)


def method(channel, class_id, method_id, fmt="", args=()):
    written = _Written(131072)
    frame_writer(written, written)(1, channel, (class_id, method_id), dumps(fmt, args) if fmt else b"", None)
    return bytes(written.data)


def fed_in_pieces(data, rng, channel=CHANNEL):
    deliveries, done, at = Deliveries(channel), [], 0
    while at < len(data):
        step = rng.choice((1, 2, 7, 8, 64, 4096, len(data)))
        done += deliveries.feed(data[at:at + step])
        at += step
    return done


def test_a_reply_as_nameko_sends_it():
    data = deliver(b'{"result": 1, "error": null}', content_type="application/json", content_encoding="utf-8",
                   correlation_id="abc.17")
    assert Deliveries(CHANNEL).feed(data) == [("abc.17", b'{"result": 1, "error": null}')]


@pytest.mark.parametrize("seed", range(300))
def test_random_messages_in_random_pieces(seed):
    rng = random.Random(seed)
    frame_max = rng.choice((4096, 8192, 131072))
    sent, data = [], b""
    for tag in range(rng.randint(1, 6)):
        size = rng.choice((0, 1, 100, frame_max - 8, frame_max - 7, frame_max * 2 + 3, rng.randint(0, 20000)))
        body = bytes(rng.getrandbits(8) for _ in range(size))
        properties = {}
        for name, value in (("content_type", "application/json"), ("content_encoding", "utf-8"),
                            ("application_headers", {"nameko.call_id_stack": ["a", "b"], "n": rng.randint(0, 9)}),
                            ("delivery_mode", rng.choice((1, 2))), ("priority", rng.randint(0, 9)),
                            ("reply_to", "somewhere"), ("expiration", "10000"), ("message_id", "m"),
                            ("timestamp", 1700000000), ("type", "t"), ("user_id", "guest"), ("app_id", "a")):
            if rng.random() < 0.5:
                properties[name] = value
        correlation = rng.choice((None, "", "id.%d" % tag, "长" * rng.randint(1, 80)))
        if correlation is not None:
            properties["correlation_id"] = correlation
        sent.append((correlation, body))
        data += deliver(body, frame_max=frame_max, delivery_tag=tag + 1, **properties)
        if rng.random() < 0.3:
            data += HEARTBEAT
    assert fed_in_pieces(data, rng) == sent


def test_heartbeats_and_blocked_notices_are_skipped():
    data = HEARTBEAT + method(0, 10, 60, "s", ("low on memory",)) + deliver(b"x", correlation_id="1") + \
        method(0, 10, 61) + HEARTBEAT
    assert Deliveries(CHANNEL).feed(data) == [("1", b"x")]


def test_a_frame_split_between_reads_waits_for_the_rest():
    data = deliver(b"hello", correlation_id="c")
    deliveries = Deliveries(CHANNEL)
    assert deliveries.feed(data[:-1]) == []
    assert deliveries.feed(data[-1:]) == [("c", b"hello")]


@pytest.mark.parametrize("frames", [
    method(0, 10, 50, "BsBB", (320, "CONNECTION_FORCED", 0, 0)),  # connection.close
    method(CHANNEL, 20, 40, "BsBB", (404, "NOT_FOUND", 0, 0)),  # channel.close
    method(CHANNEL, 60, 30, "sb", ("ctag", False)),  # basic.cancel: the queue was deleted
    deliver(b"x", channel=2, correlation_id="1"),  # another channel
], ids=["connection.close", "channel.close", "basic.cancel", "other channel"])
def test_anything_else_from_the_broker_is_unexpected(frames):
    with pytest.raises(UnexpectedFrame):
        Deliveries(CHANNEL).feed(frames)


def test_bytes_that_are_not_frames_are_unexpected():
    data = bytearray(deliver(b"x", correlation_id="1"))
    first_end = 7 + struct.unpack(">I", data[3:7])[0]
    data[first_end] = 0
    with pytest.raises(UnexpectedFrame):
        Deliveries(CHANNEL).feed(bytes(data))


def test_frames_out_of_order_are_unexpected():
    data = deliver(b"body", correlation_id="1")
    method_end = 8 + struct.unpack(">I", data[3:7])[0]
    with pytest.raises(UnexpectedFrame):
        Deliveries(CHANNEL).feed(data[method_end:])  # a content header with no delivery before it
    with pytest.raises(UnexpectedFrame):
        Deliveries(CHANNEL).feed(data[:method_end] + data[:method_end])  # a second delivery before the first's content


def test_a_body_longer_than_announced_is_unexpected():
    data = bytearray(deliver(b"abcd", correlation_id="1"))
    # the content header says 4 bytes; make it say 2
    method_end = 8 + struct.unpack(">I", data[3:7])[0]
    size_at = method_end + 7 + 4
    data[size_at:size_at + 8] = struct.pack(">Q", 2)
    with pytest.raises(UnexpectedFrame):
        Deliveries(CHANNEL).feed(bytes(data))
