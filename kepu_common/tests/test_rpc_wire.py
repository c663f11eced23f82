"""The RPC path's wire level (kepu_common.bus.rpc_client): chunked frame reads, and a publisher that replaces a
connection the broker closed."""
import socket
import struct

import amqp
import amqp.transport
import kombu
import pytest
from eventlet.patcher import original

from kepu_common.bus.rpc_client import UnconfirmedPublisher, read_in_chunks

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


def test_a_publish_after_the_broker_closed_the_channel_is_not_dropped(amqp_uri):
    """The broker closes a channel that published to a missing exchange; once py-amqp has read that
    close (it reopens the channel), the next publish is delivered, not dropped."""
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        channel.queue_declare("wire-test", auto_delete=False)
        publisher = UnconfirmedPublisher(amqp_uri, connect_timeout=3)
        try:
            publisher.publish(amqp.Message(b"one"), "", "wire-test")
            first = publisher._connection
            publisher.publish(amqp.Message(b"lost"), "no-such-exchange", "anything")
            with pytest.raises(amqp.exceptions.NotFound):
                while True:  # the broker's channel.close on its way: py-amqp raises it when read
                    try:
                        first.drain_events(timeout=5)
                    except socket.timeout:
                        pytest.fail("the broker did not close the channel")
            publisher.publish(amqp.Message(b"two"), "", "wire-test")
        finally:
            publisher.close()
        bodies = []
        for _ in range(2):
            message = channel.basic_get("wire-test", no_ack=True)
            bodies.append(message and message.body)
        channel.queue_delete("wire-test")
        assert bodies == [b"one", b"two"]


def test_the_guards_name_a_changed_py_amqp_internal(monkeypatch):
    from kepu_common.operations import patches

    patches.guard_amqp_read()

    def _read(self, n, initial=False):
        return self.sock.recv(n)  # what an upgrade might do: no read buffer for a surplus

    monkeypatch.setattr(amqp.transport.TCPTransport, "_read", _read)
    with pytest.raises(patches.UnsupportedLibrary, match="no longer contains"):
        patches.guard_amqp_read()
    monkeypatch.setattr(patches, "version", lambda package: "6.0.0")
    with pytest.raises(patches.UnsupportedLibrary, match="amqp 5.4"):
        patches.guard_amqp_write()
