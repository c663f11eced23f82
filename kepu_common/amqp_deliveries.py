"""The deliveries of one consuming channel, decoded straight from the connection's bytes.

The gateway's RPC client reads every reply on one thread per process (kepu_common/rpc_client.py). With
py-amqp each reply is three frames, each read through the transport, handed to a frame handler that
builds a Message, decoded property by property and dispatched through the channel's method table to a
callback: about an eighth of the gateway's CPU in the one-RPC benchmark. That connection carries
nothing but basic.deliver on its consuming channel and heartbeats, so here the frames are decoded in
one pass and only what the client uses is kept: the correlation id and the body. Anything else the
broker sends there (connection.close, channel.close, basic.cancel) raises UnexpectedFrame, and the
reader treats it as the connection lost: it fails its waiting calls and connects again, which is what
those methods mean for it. kepu_common/tests/test_amqp_deliveries.py feeds it py-amqp's own frames.
"""
import struct

from amqp import spec

from kepu_common import amqp_frames
from kepu_common.amqp_frames import FRAME_HEAD, PROPERTY_FLAGS

METHOD, HEADER, BODY, HEARTBEAT = 1, 2, 3, 8
FRAME_END = amqp_frames.FRAME_END[0]
# connection.blocked and .unblocked: notices about publishing, harmless to a connection that only reads
NOTICES = {spec.Connection.Blocked, spec.Connection.Unblocked}
_method_id = struct.Struct(">HH").unpack_from
_content_head = struct.Struct(">QH").unpack_from  # body size, property flags (after class and weight)
_table_size = struct.Struct(">I").unpack_from
# the properties before correlation_id, each skipped by its layout
CONTENT_TYPE, CONTENT_ENCODING, HEADERS, DELIVERY_MODE, PRIORITY, CORRELATION_ID = (PROPERTY_FLAGS[name] for name in (
    "content_type", "content_encoding", "application_headers", "delivery_mode", "priority", "correlation_id"))
MORE_FLAGS = 1


class UnexpectedFrame(Exception):
    """The broker sent something other than a delivery or a heartbeat, or bytes that are not AMQP frames."""


def correlation_id(header, flags):
    """The correlation id in a content header's properties (None when absent); header is the payload."""
    if flags & MORE_FLAGS:
        raise UnexpectedFrame("a second property-flags word (the basic class has fourteen properties)")
    at = 14  # class, weight, body size, flags
    if flags & CONTENT_TYPE:
        at += 1 + header[at]
    if flags & CONTENT_ENCODING:
        at += 1 + header[at]
    if flags & HEADERS:
        at += 4 + _table_size(header, at)[0]
    if flags & DELIVERY_MODE:
        at += 1
    if flags & PRIORITY:
        at += 1
    if not flags & CORRELATION_ID:
        return None
    size = header[at]
    if at + 1 + size > len(header):
        raise UnexpectedFrame("a content header shorter than its properties")
    return bytes(header[at + 1:at + 1 + size]).decode("utf-8", "surrogatepass")  # as py-amqp decodes it


class Deliveries:
    """feed() the bytes read from the connection; it returns the (correlation id, body) of every delivery
    completed on channel_id so far. A frame split between two reads waits for the rest."""

    def __init__(self, channel_id):
        self.channel_id = channel_id
        self._unread = b""
        self._expecting = METHOD
        self._correlation_id = None
        self._body_left = 0
        self._body = []

    def feed(self, data):
        data = self._unread + data if self._unread else data
        done = []
        at, end = 0, len(data)
        while end - at >= 7:
            kind, channel, size = FRAME_HEAD.unpack_from(data, at)
            last = at + 7 + size  # where the end octet is
            if last >= end:
                break
            if data[last] != FRAME_END:
                raise UnexpectedFrame(f"frame end octet {data[last]:#x}, not 0xce")
            self._frame(kind, channel, memoryview(data)[at + 7:last], done)
            at = last + 1
        self._unread = data[at:]
        return done

    def _frame(self, kind, channel, payload, done):
        if kind == HEARTBEAT:
            return
        if kind == METHOD:
            if len(payload) < 4:
                raise UnexpectedFrame("a method frame shorter than its class and method ids")
            method = _method_id(payload)
            if method == spec.Basic.Deliver and channel == self.channel_id and self._expecting == METHOD:
                self._expecting = HEADER
                return
            if method in NOTICES and channel == 0:
                return
            raise UnexpectedFrame(f"method {method[0]}.{method[1]} on channel {channel}")
        if channel != self.channel_id or kind != self._expecting:
            raise UnexpectedFrame(f"frame type {kind} on channel {channel} while expecting type {self._expecting}")
        if kind == HEADER:
            if len(payload) < 14:
                raise UnexpectedFrame("a content header shorter than its fixed part")
            body_size, flags = _content_head(payload, 4)
            self._correlation_id = correlation_id(payload, flags)
            if body_size == 0:
                done.append((self._correlation_id, b""))
                self._expecting = METHOD
            else:
                self._body_left, self._body, self._expecting = body_size, [], BODY
            return
        self._body.append(bytes(payload))
        self._body_left -= len(payload)
        if self._body_left <= 0:
            if self._body_left < 0:
                raise UnexpectedFrame("more body than the content header announced")
            done.append((self._correlation_id, b"".join(self._body)))
            self._body, self._expecting = [], METHOD
