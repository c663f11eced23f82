"""kepu_common.amqp_frames writes, byte for byte, what py-amqp writes for the same publish."""
import random
import string

import amqp
import pytest
from amqp import spec
from amqp.method_framing import frame_writer
from amqp.serialization import dumps

from kepu_common.amqp_frames import Outgoing, Unencodable, publish_frames


class Capture:
    def __init__(self, frame_max):
        self.frame_max = frame_max
        self.bytes_sent = 0
        self.data = b""

    def write(self, data):
        self.data += bytes(data)


def py_amqp_bytes(channel_id, frame_max, exchange, routing_key, body, properties):
    capture = Capture(frame_max)
    write = frame_writer(capture, capture)
    args = dumps("Bssbb", (0, exchange, routing_key, False, False))
    write(1, channel_id, spec.Basic.Publish, args, amqp.Message(body, **properties))
    return capture.data


def random_text(rng, longest):
    alphabet = string.ascii_letters + string.digits + ".-_ 科普中国活动"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))


def random_headers(rng):
    headers = {}
    for _ in range(rng.randint(0, 4)):
        key = "nameko." + random_text(rng, 12)
        headers[key] = rng.choice([random_text(rng, 40), [random_text(rng, 30) for _ in range(rng.randint(0, 3))],
                                   rng.randint(-2**40, 2**40), True, None, {"nested": random_text(rng, 5)},
                                   [random_text(rng, 5), 7]])  # the last five through py-amqp's encoder
    return headers


def random_properties(rng):
    candidates = {
        "content_type": "application/json",
        "content_encoding": "utf-8",
        "application_headers": random_headers(rng),
        "correlation_id": random_text(rng, 40),
        "reply_to": random_text(rng, 60),
        "expiration": str(rng.randint(1, 10**9)),
    }
    return {name: value for name, value in candidates.items() if rng.random() < 0.8}


def test_random_messages_encode_as_py_amqp_encodes_them():
    for seed in range(300):
        check_one_random_message(seed)


def check_one_random_message(seed):
    rng = random.Random(seed)
    frame_max = rng.choice([4096, 131072])
    chunk = frame_max - 8
    size = rng.choice([0, 1, 50, chunk - 200, chunk - 1, chunk, chunk + 1, 3 * chunk + 17, rng.randint(0, 4 * chunk)])
    body = bytes(rng.getrandbits(8) for _ in range(size))
    exchange = rng.choice(["nameko-rpc", "", "kepu.events"])
    routing_key = rng.choice(["identity.health", "rpc.reply-kepu-client-" + "a" * 32, random_text(rng, 100)])
    properties = random_properties(rng)
    channel_id = rng.randint(1, 2047)
    ours = publish_frames(channel_id, frame_max, exchange, routing_key, Outgoing(body, properties))
    assert ours == py_amqp_bytes(channel_id, frame_max, exchange, routing_key, body, properties), f"seed {seed}"


def test_a_property_it_does_not_encode_is_refused_not_dropped():
    with pytest.raises(Unencodable, match="priority"):
        publish_frames(1, 131072, "", "q", Outgoing(b"x", {"priority": 5}))


def test_a_short_string_longer_than_255_bytes_is_refused():
    with pytest.raises(Unencodable):
        publish_frames(1, 131072, "", "q", Outgoing(b"x", {"correlation_id": "科" * 86}))  # 258 bytes
