"""RPC, events and the outbox relay over TLS (amqps://, what deploy/k8s/README.md recommends), against a TLS
listener on the test RabbitMQ with certificates made here (kepu_common/tests/tls_broker.py): every call is
answered, every event arrives, and no connection is opened per reply or per batch."""
import json
import subprocess
import threading
import traceback

import amqp.transport
import kombu
import pytest

from kepu_common.bus.amqp import ConfirmedPublisher
from kepu_common.bus.rpc_client import RpcClient
from kepu_common.tests.tls_broker import RABBITMQCTL, TlsListener
from services.identity.service import IdentityService

CALLS = 25


@pytest.fixture(scope="module")
def tls_listener():
    with TlsListener() as listener:
        yield listener


@pytest.fixture
def trusted_ca(tls_listener, monkeypatch):
    # how an operator makes a private CA trusted: OpenSSL's default verify paths (py-amqp verifies the
    # broker's certificate by default for amqps://)
    monkeypatch.setenv("SSL_CERT_FILE", tls_listener.ca)


@pytest.fixture
def tls_connections(monkeypatch):
    """Counts the TLS connections this process opens (py-amqp's SSLTransport set-ups)."""
    opened = []
    setup = amqp.transport.SSLTransport._setup_transport

    def counting(self):
        opened.append("".join(traceback.format_stack(limit=14)))
        return setup(self)

    monkeypatch.setattr(amqp.transport.SSLTransport, "_setup_transport", counting)
    return opened


@pytest.fixture
def tls_uri(tls_listener, rabbit_config, trusted_ca):
    vhost = rabbit_config["AMQP_URI"].rsplit("/", 1)[1]
    return f"amqps://guest:guest@127.0.0.1:{tls_listener.port}/{vhost}"


def run_in_thread(fn):
    from eventlet import tpool

    return tpool.execute(fn)


def broker_tls_connections(port):
    """(vhost, ssl) of each connection the broker holds on the TLS listener's port."""
    listed = subprocess.run([RABBITMQCTL, "list_connections", "port", "ssl", "vhost", "--silent"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    return [line.split("\t") for line in listed.splitlines() if line.split("\t")[0] == str(port)]


def test_a_certificate_from_an_unknown_ca_is_refused(tls_listener, tls_connections):
    """py-amqp verifies the broker: without the CA trusted, the connection fails (so the tests below do
    check the certificate chain, not only encrypt)."""
    connection = kombu.Connection(f"amqps://guest:guest@127.0.0.1:{tls_listener.port}//", connect_timeout=5)
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        run_in_thread(lambda: connection.connect())
    connection.release()


def test_rpc_and_events_over_tls_without_a_connection_per_reply(start_service, tls_uri, tls_listener,
                                                                 tls_connections):
    start_service(IdentityService, AMQP_URI=tls_uri)  # as deploy/k8s/README.md says: amqps://
    client = RpcClient(tls_uri, timeout=10)
    events = kombu.Connection(tls_uri)
    received = []
    done = threading.Event()

    def consume():
        with events.channel() as channel:
            channel.exchange_declare("identity.events", "topic", durable=True, auto_delete=False)
            channel.queue_declare("tls-pings", exclusive=True, auto_delete=True)
            channel.queue_bind("tls-pings", "identity.events", "ping")
            def on_event(message):
                received.append(json.loads(message.body))
                first_event.set()

            channel.basic_consume("tls-pings", no_ack=True, callback=on_event)
            ready.set()
            while len(received) < CALLS + 1 and not done.is_set():
                try:
                    events.drain_events(timeout=1)
                except TimeoutError:
                    pass

    ready, first_event = threading.Event(), threading.Event()
    try:
        def calls():
            reader = threading.Thread(target=consume, daemon=True)
            reader.start()
            assert ready.wait(10)
            first = client.call("identity", "ping", {"message": "first"})
            first_event.wait(30)  # the relay connects when it has its first batch
            opened_after_first = len(tls_connections)
            answers = [client.call("identity", "ping", {"message": f"call {n}"}) for n in range(CALLS)]
            reader.join(30)
            return first, opened_after_first, answers, len(tls_connections)

        first, opened_after_first, answers, opened_at_end = run_in_thread(calls)
    finally:
        done.set()
        client.close()
        events.release()
    assert first["message"] == "first"
    assert [a["message"] for a in answers] == [f"call {n}" for n in range(CALLS)]
    # every ping's event came through the outbox relay over TLS
    assert sorted(e["message"] for e in received) == sorted(["first"] + [f"call {n}" for n in range(CALLS)])
    # the gateway's two connections, the service's consumer, reply publisher and relay, and this test's
    # consumer: opened once; the 25 calls after the first opened none
    assert opened_after_first >= 4
    assert opened_at_end == opened_after_first, (
        f"{opened_at_end - opened_after_first} TLS connection(s) opened for {CALLS} calls, at:\n"
        + "\n".join(tls_connections[opened_after_first:]))
    listed = broker_tls_connections(tls_listener.port)
    assert listed and all(ssl == "true" for _, ssl, _ in listed), listed


def test_a_confirmed_batch_over_tls_is_written_once_and_confirmed(tls_uri, tls_connections):
    """ConfirmedPublisher's batched write (transport._write) on a TLS transport: every message confirmed,
    all of them in the queue, one connection for several batches."""
    def publish_and_count():
        with kombu.Connection(tls_uri) as conn, conn.channel() as channel:
            channel.exchange_declare("tls-batch", "topic", durable=True, auto_delete=False)
            channel.queue_declare("tls-batch", auto_delete=False, durable=True)
            channel.queue_bind("tls-batch", "tls-batch", "#")
            publisher = ConfirmedPublisher(tls_uri)
            try:
                for batch in range(3):
                    publisher.publish_batch([("tls-batch", "k", f'{{"n": {batch * 100 + n}}}'.encode(), f"m-{batch}-{n}")
                                             for n in range(100)])
            finally:
                publisher.close()
            _, count, _ = channel.queue_declare("tls-batch", passive=True)
            channel.queue_delete("tls-batch")
            channel.exchange_delete("tls-batch")
            return count

    assert run_in_thread(publish_and_count) == 300
    assert len(tls_connections) == 2  # this test's own connection and the publisher's one
