"""The RPC path's wire-level savings (kepu_common.rpc_client): chunked frame reads, one peek for broker input
before a publish, and a publisher that replaces a connection the broker closed."""
import socket
import struct
import time

import amqp
import amqp.transport
import kombu
import pytest
from eventlet.patcher import original

from kepu_common.amqp_frames import Outgoing
from kepu_common.rpc_client import UnconfirmedPublisher, input_waiting, read_in_chunks

FRAME_END = b"\xce"


def heartbeat_frame():
    return struct.pack(">BHI", 8, 0, 0) + FRAME_END


def body_frame(channel, payload):
    return struct.pack(">BHI", 3, channel, len(payload)) + payload + FRAME_END


class CountingSocket:
    """Stands in for a transport's socket: counts recv() calls, passes everything else through."""

    def __init__(self, sock):
        self.sock = sock
        self.recvs = 0

    def recv(self, size, *flags):
        self.recvs += 1
        return self.sock.recv(size, *flags)

    def __getattr__(self, name):
        return getattr(self.sock, name)


def transport_on(sock):
    read_in_chunks()
    transport = amqp.transport.TCPTransport.__new__(amqp.transport.TCPTransport)
    transport.sock = sock
    transport._setup_transport()
    return transport


@pytest.fixture
def pair():
    ours, theirs = original("socket").socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def test_one_recv_brings_in_every_frame_the_broker_sent(pair):
    ours, theirs = pair
    counting = CountingSocket(ours)
    transport = transport_on(counting)
    theirs.sendall(heartbeat_frame() + body_frame(1, b"first") + body_frame(1, b"second"))
    frames = [transport.read_frame() for _ in range(3)]
    assert [(kind, channel, bytes(payload)) for kind, channel, payload in frames] == [
        (8, 0, b""), (3, 1, b"first"), (3, 1, b"second")]
    assert counting.recvs == 1  # py-amqp alone makes nine: header, payload and end octet of each frame


def test_a_frame_split_across_reads_is_put_together(pair):
    ours, theirs = pair
    transport = transport_on(ours)
    whole = body_frame(2, b"x" * 300) + heartbeat_frame()
    theirs.sendall(whole[:150])
    ours.settimeout(0.2)
    with pytest.raises(socket.timeout):
        transport.read_frame()  # the rest has not arrived: what came stays buffered
    theirs.sendall(whole[150:])
    assert bytes(transport.read_frame()[2]) == b"x" * 300
    assert transport.read_frame()[0] == 8


class FakeTransport:
    def __init__(self, sock):
        self.sock = sock
        self._read_buffer = b""


def test_input_waiting_peeks_without_consuming(pair):
    ours, theirs = pair
    transport = FakeTransport(ours)
    assert input_waiting(transport) is False
    theirs.sendall(b"frame")
    assert input_waiting(transport) is True
    assert ours.recv(16) == b"frame"  # the peek left the bytes for py-amqp
    assert input_waiting(transport) is False
    transport._read_buffer = b"left over from a chunked read"
    assert input_waiting(transport) is True


def test_input_waiting_sees_a_closed_connection(pair):
    ours, theirs = pair
    theirs.close()
    assert input_waiting(FakeTransport(ours)) is True


def test_input_waiting_on_an_eventlet_socket_asks_the_os_socket():
    ours, theirs = socket.socketpair()  # green under the suite's monkey-patching
    try:
        assert input_waiting(FakeTransport(ours)) is False  # answers at once, no trip through the hub
        theirs.sendall(b"x")
        assert input_waiting(FakeTransport(ours)) is True
    finally:
        ours.close()
        theirs.close()


@pytest.mark.parametrize("make", [amqp.Message, lambda body: Outgoing(body, {})], ids=["py-amqp", "one-pass"])
def test_publisher_notices_what_the_broker_closed_before_it_publishes_again(amqp_uri, make):
    """The broker closes a channel that published to a missing exchange; py-amqp's own read before each
    publish is off, so only the peek stands between the next message and a channel that drops it."""
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        channel.queue_declare("wire-test", auto_delete=False)
        publisher = UnconfirmedPublisher(amqp_uri, connect_timeout=3)
        try:
            publisher.publish(make(b"one"), "", "wire-test")
            first = publisher._connection
            publisher.publish(make(b"lost"), "no-such-exchange", "anything")
            deadline = time.monotonic() + 5
            while not input_waiting(first.connection.transport) and time.monotonic() < deadline:
                time.sleep(0.01)  # the broker's channel.close on its way
            publisher.publish(make(b"two"), "", "wire-test")
            assert publisher._connection is not first
        finally:
            publisher.close()
        bodies = []
        for _ in range(2):
            message = channel.basic_get("wire-test", no_ack=True)
            bodies.append(message and message.body)
        assert bodies == [b"one", b"two"]


def test_the_guards_name_a_changed_py_amqp_internal(monkeypatch):
    from kepu_common import patches

    patches.guard_amqp_read()
    patches.guard_amqp_publish_read()

    def _read(self, n, initial=False):
        return self.sock.recv(n)  # what an upgrade might do: no read buffer for a surplus

    monkeypatch.setattr(amqp.transport.TCPTransport, "_read", _read)
    with pytest.raises(patches.UnsupportedLibrary, match="no longer contains"):
        patches.guard_amqp_read()
    monkeypatch.setattr(patches, "version", lambda package: "6.0.0")
    with pytest.raises(patches.UnsupportedLibrary, match="amqp 5.4"):
        patches.guard_amqp_publish_read()
