"""The gateway's RPC client against a real nameko service in a private vhost."""
import json
import threading

import pytest
import requests

from kepu_common.bus.rpc_client import BrokerUnavailable, RemoteError, RpcClient, RpcTimeout, Unencodable
from kepu_common.devtools.testing import RABBIT_API, wait_for
from services.identity.service import IdentityService


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


@pytest.fixture
def client(amqp_uri):
    rpc = RpcClient(amqp_uri, timeout=5)
    yield rpc
    rpc.close()


def run_in_thread(fn):
    """The client is for OS threads (gunicorn); keep it off the test's eventlet hub. A test makes its calls
    within one fn: a second tpool job's call to the in-process service was seen to wait out its time-out
    (also before the one-pass encoding; the gateway's threads are real ones, where it does not happen)."""
    from eventlet import tpool

    return tpool.execute(fn)


def test_call_returns_the_service_result(identity, client):
    report = run_in_thread(lambda: client.call("identity", "health"))
    assert report == {"service": "identity", "database": "ok", "outbox_pending": 0}


def test_errors_raised_in_the_service_arrive_with_type_and_args(identity, client):
    """A schema's refusal in a service crosses RPC as InvalidInput carrying its field codes."""
    with pytest.raises(RemoteError) as error:
        run_in_thread(lambda: client.call("identity", "ping", {"message": ""}))
    assert error.value.exc_type == "InvalidInput"
    payload = json.loads(error.value.exc_args[0])
    assert payload["status"] == 400 and payload["code"] == "validation_failed"  # numbers stay numbers
    assert payload["fields"]["message"]["code"] == "length_between"


def test_a_service_nobody_runs_times_out_quickly(client):
    with pytest.raises(RpcTimeout, match="nobody.health"):
        run_in_thread(lambda: client.call("nobody", "health", timeout=0.5))


def test_a_request_that_cannot_be_encoded_is_not_blamed_on_the_broker(identity, client):
    """A routing key over AMQP's 255 bytes: the caller learns that, the connection stays, the next call works."""
    def calls():
        client.call("identity", "health")
        connection = client._publisher._connection
        with pytest.raises(Unencodable):
            client.call("identity", "x" * 300)
        assert client._publisher._connection is connection and not client._waiters
        return client.call("identity", "health")

    assert run_in_thread(calls)["database"] == "ok"  # one thread: see run_in_thread


def test_unreachable_broker_is_reported_as_such():
    rpc = RpcClient("amqp://guest:guest@127.0.0.1:1//", connect_timeout=0.5)
    with pytest.raises(BrokerUnavailable):
        run_in_thread(lambda: rpc.call("identity", "health"))
    rpc.close()


def test_concurrent_callers_each_get_their_own_reply(identity, client):
    results, errors = {}, []

    def caller(n):
        try:
            results[n] = client.call("identity", "ping", {"message": f"caller {n}"})["message"]
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    def run_all():
        threads = [threading.Thread(target=caller, args=(n,)) for n in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    run_in_thread(run_all)
    assert errors == []
    assert results == {n: f"caller {n}" for n in range(24)}



def test_a_call_waits_for_a_publisher_busy_connecting_only_until_its_own_deadline(client):
    """Another caller holding the publish lock while it connects to a broker that does not answer must not
    hold this call past its time-out (the gateway answers 503 within the time-out, never later): the call
    waits for the lock with what is left of its own time-out, and reports the broker unavailable."""
    asked = []

    class BusyLock:
        """The lock as another caller in the middle of a connection attempt holds it."""

        def acquire(self, timeout=-1):
            asked.append(timeout)
            return False

        def release(self):
            raise AssertionError("released a lock it never took")

        def __enter__(self):
            raise AssertionError("close() ran during the test")

    client._ensure_reader()
    client._publish_lock = BusyLock()
    with pytest.raises(BrokerUnavailable):
        client.call("identity", "health", timeout=0.5)
    assert len(asked) == 1 and 0 <= asked[0] <= 0.5
    assert not client._waiters
    client._publish_lock = threading.Lock()


def test_the_reply_reader_connects_again_after_the_broker_closes_its_connection(identity, client, amqp_uri):
    """The broker's connection.close reaches the reader as a frame it does not expect (not a delivery):
    the calls waiting fail as broker unavailable, the same reader thread connects again, calls work."""
    vhost = amqp_uri.rsplit("/", 1)[1]

    def calls():
        assert client.call("identity", "health")["database"] == "ok"
        reader, port = client._reader, client._reply_connection.transport.sock.getsockname()[1]
        def listed():  # the management API lists a new connection within its statistics interval
            connections = requests.get(f"{RABBIT_API}/api/vhosts/{vhost}/connections", timeout=10).json()
            return [c["name"] for c in connections if c.get("peer_port") == port]

        ours = wait_for(listed, timeout=60, step=0.5, what="the reply connection in the management API")
        requests.delete(f"{RABBIT_API}/api/connections/{requests.utils.quote(ours[0], safe='')}", timeout=10)

        def answered():
            try:
                return client.call("identity", "health", timeout=2)
            except (BrokerUnavailable, RpcTimeout):
                return None

        answer = wait_for(answered, timeout=60, step=0.2, what="an answer after the broker closed the reader")
        new_port = client._reply_connection.transport.sock.getsockname()[1]
        return answer, reader is client._reader and reader.is_alive(), port, new_port
    answer, same_reader, old_port, new_port = run_in_thread(calls)
    assert answer["database"] == "ok"
    assert same_reader
    assert new_port != old_port  # a new connection
