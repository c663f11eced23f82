"""The frames of one AMQP 0-9-1 basic.publish, encoded in one pass for the messages of the RPC path.

py-amqp encodes a publish generically: the method's arguments through a format string, then each of the
fourteen basic properties through its table of types, in a shared buffer behind a lock. Every RPC is
two publishes (the request in the gateway, the reply in the service) of the same shape, so the RPC
path encodes them here: the method frame is made once per (channel, exchange, routing key), and only
the six properties the path sets are encoded. Field tables (the nameko headers) go through py-amqp's
own encoder. kepu_common/tests/test_amqp_frames.py checks the bytes against py-amqp's for random
messages, body sizes around the frame limit included.
"""
import functools
import struct
from typing import NamedTuple

from amqp.basic_message import Message
from amqp.serialization import dumps as encode_fields

FRAME_END = b"\xce"
FRAME_HEAD = struct.Struct(">BHI")  # type, channel, payload size
BASIC_CLASS = 60
BASIC_PUBLISH = 40
FRAME_OVERHEAD = 8  # type, channel, size and the end octet
# each basic property's flag bit: AMQP 0-9-1 numbers them from bit 15 down, in the order of py-amqp's table
PROPERTY_FLAGS = {name: 1 << (15 - position) for position, (name, _) in enumerate(Message.PROPERTIES)}
# the properties encoded here, in the basic class's order
SHORT_STRING, TABLE = "s", "F"
PROPERTIES = tuple((name, PROPERTY_FLAGS[name], kind) for name, kind in (
    ("content_type", SHORT_STRING),
    ("content_encoding", SHORT_STRING),
    ("application_headers", TABLE),
    ("correlation_id", SHORT_STRING),
    ("reply_to", SHORT_STRING),
    ("expiration", SHORT_STRING),
))
KNOWN = frozenset(name for name, _, _ in PROPERTIES)

_frame_head = FRAME_HEAD.pack
_content_head = struct.Struct(">HHQH").pack


class Unencodable(ValueError):
    """The message itself cannot be sent (a property too long, one not encoded here): not the broker's doing."""


class Outgoing(NamedTuple):
    """A message for UnconfirmedPublisher: the body as bytes, and properties among PROPERTIES' names."""
    body: bytes
    properties: dict


def short_string(value):
    data = value.encode("utf-8")
    if len(data) > 255:
        raise Unencodable(f"an AMQP short string holds 255 bytes, not {len(data)}")
    return bytes((len(data),)) + data


@functools.lru_cache(maxsize=512)
def publish_method_frame(channel_id, exchange, routing_key):
    """basic.publish(ticket 0, exchange, routing key, mandatory and immediate off)."""
    payload = struct.pack(">HHH", BASIC_CLASS, BASIC_PUBLISH, 0) + short_string(exchange) + short_string(routing_key) + b"\0"
    return _frame_head(1, channel_id, len(payload)) + payload + FRAME_END


def publish_frames(channel_id, frame_max, exchange, routing_key, message):
    """Every byte of the publish: method frame, content header, body frames of at most frame_max bytes."""
    properties = message.properties
    unknown = properties.keys() - KNOWN
    if unknown:
        raise Unencodable(f"properties not encoded here: {sorted(unknown)}")
    flags = 0
    encoded = []
    for name, flag, kind in PROPERTIES:
        value = properties.get(name)
        if value is None:
            continue
        flags |= flag
        encoded.append(short_string(value) if kind is SHORT_STRING else encode_fields(TABLE, (value,)))
    body = message.body
    header = _content_head(BASIC_CLASS, 0, len(body), flags) + b"".join(encoded)
    parts = [publish_method_frame(channel_id, exchange, routing_key),
             _frame_head(2, channel_id, len(header)), header, FRAME_END]
    chunk = frame_max - FRAME_OVERHEAD
    for start in range(0, len(body), chunk):
        piece = body[start:start + chunk]
        parts += (_frame_head(3, channel_id, len(piece)), piece, FRAME_END)
    return b"".join(parts)
