"""Quorum queues on a 3-node RabbitMQ cluster (rabbit_cluster.py), the services on EVENT_QUEUE_TYPE=quorum
with AMQP_URI listing the three nodes. One file, so one pytest process starts the cluster once.

- a poison event dead-lettered by the broker's delivery limit, a count a consumer restart does not reset;
- after a quiet spell of many heartbeat intervals, the first event and the first RPC go through on the
  connections they had, with no warning logged (the equivalence with 10 quiet minutes: docs/operations.md);
- losing the node that holds a service's RPC queue (RPC_QUEUE_TYPE=quorum): calls answer again within seconds,
  on the same service process (the node is started again afterwards);
- losing the node that leads a consumer's queue mid-stream: every event applied, none twice (last, as it
  leaves the cluster with two nodes).
"""
import json
import logging
import socket
import time

import eventlet
import kombu
import psycopg2
from nameko.containers import ServiceContainer

from kepu_common.bus.amqp import DEAD_LETTER_QUEUE, consumer_queue_name, declare_consumer_queue
from kepu_common.bus.outbox import Outbox, OutboxRelay, pending_count
from kepu_common.bus.rpc_client import RpcClient
from kepu_common.devtools.testing import publish_events, wait_for
from services.identity.service import IdentityService
from services.metrics.service import MetricsService
from tests.cluster.conftest import HEARTBEAT
from tests.cluster.consumers_under_test import (DELIVERED, POISON_TRIES, PoisonedConsumer, Receipts, StreamCounter,
                                               ping_events, write_outbox)

EVENTS, CHUNK, KILL_AT_WRITTEN = 12_000, 500, 6_000
DELIVERY_LIMIT = 3  # the broker dead-letters on the return past 3: at most 4 deliveries in all
QUIET_INTERVALS = 10


def unsent(url):
    with psycopg2.connect(url) as conn:
        count = pending_count(conn)
    conn.close()
    return count


def dead_letters(uri):
    with kombu.Connection(uri) as conn:
        channel = conn.channel()
        got = []
        while (message := channel.basic_get(DEAD_LETTER_QUEUE, no_ack=True)) is not None:
            got.append(message)
        return got


def test_poison_event_is_dead_lettered_by_the_broker_limit_across_a_consumer_restart(
        rabbit_cluster, database_factory, report):
    POISON_TRIES["count"] = 0
    uri = rabbit_cluster.uri()
    config = {"AMQP_URI": uri, "DATABASE_URL": database_factory("metrics"), "EVENT_QUEUE_TYPE": "quorum",
              "EVENT_DELIVERY_LIMIT": DELIVERY_LIMIT, "max_workers": 2}
    receipts = Receipts(config["DATABASE_URL"])
    first = ServiceContainer(PoisonedConsumer, config)
    first.start()
    good, (poison,) = ping_events(10), ping_events(1, "poison")
    poison["message"] = "poison"
    publish_events(uri, good[:5] + [poison] + good[5:])
    try:
        wait_for(lambda: POISON_TRIES["count"] >= 2, timeout=60, what="two failed tries")
    finally:
        first.stop()
    tries_before_restart = POISON_TRIES["count"]

    second = ServiceContainer(PoisonedConsumer, config)  # a new process, as after a deploy: nothing in memory
    second.start()
    try:
        dead = wait_for(lambda: dead_letters(uri), timeout=60, what="the poison event dead-lettered")
        wait_for(lambda: (r := receipts()) and r[0] == len(good), timeout=30, what="the good events applied")
        applied = receipts()
    finally:
        receipts.close()
        second.stop()
    deaths = dead[0].headers["x-death"]
    report(delivery_limit=DELIVERY_LIMIT, tries_before_restart=tries_before_restart,
           tries_after_restart=POISON_TRIES["count"] - tries_before_restart, tries=POISON_TRIES["count"],
           dead_lettered=len(dead), dead_letter_reason=deaths[0]["reason"], good_applied=applied[0])
    assert [json.loads(m.body)["event_id"] for m in dead] == [poison["event_id"]]
    assert deaths[0]["reason"] == "delivery_limit"  # the broker's doing, not a reject by the consumer
    # every return counts, the restart's included: never more tries than the limit allows in all
    assert POISON_TRIES["count"] <= DELIVERY_LIMIT + 1
    assert applied[:2] == (len(good), 1)


def relay_publisher(container):
    return next(ext for ext in container.extensions if isinstance(ext, Outbox)).relay.publisher


def ping_and_receipt(client, message):
    ping = client.call("identity", "ping", {"message": message})
    return wait_for(lambda: client.call("metrics", "ping_receipt", ping["id"]), timeout=30,
                      what=f"the receipt of {message!r}")


def still_open(connection):
    try:
        connection.drain_events(timeout=0.5)
    except socket.timeout:
        return True
    except Exception:  # closed by the broker: reset, EOF, "connection forced"
        return False
    return True


def test_first_event_and_rpc_after_a_quiet_spell_go_through_without_a_reconnect(
        rabbit_cluster, container_factory, service_config, caplog, report):
    uri = rabbit_cluster.uri()
    overrides = {"AMQP_URI": uri, "EVENT_QUEUE_TYPE": "quorum", "OUTBOX": {"relay": True, "poll_interval": 0.2}}
    identity = container_factory(IdentityService, service_config("identity", **overrides))
    metrics = container_factory(MetricsService, service_config("metrics", **overrides))
    metrics.start()
    identity.start()
    client = RpcClient(uri, timeout=10)
    undriven = kombu.Connection(rabbit_cluster.nodes[1].uri(), heartbeat=30)
    try:
        ping_and_receipt(client, "before the quiet")  # every connection open and used once
        publisher = relay_publisher(identity)
        relay_connection = publisher.connection
        undriven.connect()
        caplog.clear()
        caplog.set_level(logging.INFO)
        quiet = QUIET_INTERVALS * HEARTBEAT
        time.sleep(quiet)

        started = time.monotonic()
        receipt = ping_and_receipt(client, "after the quiet")
        first_round_trip = time.monotonic() - started
        problems = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]
        same_relay_connection = publisher.connection is relay_connection
        undriven_alive = still_open(undriven)
    finally:
        client.close()
        undriven.release()
    report(quiet_seconds=quiet, heartbeat_seconds=HEARTBEAT, warnings=len(problems),
           relay_reconnected=not same_relay_connection, undriven_connection_alive=undriven_alive,
           first_event_and_rpc_seconds=round(first_round_trip, 2))
    assert receipt["event_id"] and receipt["applied"] == 1
    assert problems == []
    assert same_relay_connection and relay_connection is not None
    assert not undriven_alive  # without heartbeats the same quiet spell ends a connection


LAST_REFUSAL = []


def answers(client):
    try:
        return client.call("identity", "health", timeout=3)["database"] == "ok"
    except Exception as exc:  # the broker connection or the call lost with the node: not yet
        LAST_REFUSAL[:] = [f"{type(exc).__name__}: {exc}"]
        return False


def node_loss_diagnosis(rabbit_cluster, lost, vhost, container, client):
    """What the broker and both ends saw, for a failure that does not reproduce at will: the queues (leader,
    ready and unacknowledged requests, consumers), the consumers, the service's RPC consumer and the client's
    connections, and the survivors' log lines about the request queue."""
    survivor = next(node for node in rabbit_cluster.nodes if node is not lost)
    lines = []
    for args in (("list_queues", "-p", vhost, "name", "type", "leader", "messages_ready", "messages_unacknowledged",
                  "consumers"), ("list_consumers", "-p", vhost, "queue_name", "channel_pid", "active")):
        try:
            listing = rabbit_cluster.ctl(survivor, *args, timeout=30).splitlines()
            lines.append(f"rabbitmqctl {args[0]}: " + " | ".join(line for line in listing if "rpc-identity" in line))
        except Exception as exc:  # noqa: BLE001  a diagnosis must not hide the failure it describes
            lines.append(f"rabbitmqctl {args[0]}: {exc}")
    ready = [extension._consumers_ready.ready() for extension in container.extensions
             if hasattr(extension, "_consumers_ready")]  # nameko's QueueConsumer, shared by the RPC entrypoint
    lines.append(f"service queue consumer ready: {ready}; container died: {container._died.ready()}")
    reply, publisher = client._reply_connection, client._publisher._connection
    try:
        reply_port = reply.transport.sock.getpeername()[1]
    except Exception as exc:  # noqa: BLE001  closed, or never opened
        reply_port = repr(exc)
    lines.append(f"client: last call {LAST_REFUSAL}; reply reader ready {client._ready.is_set()}, alive "
                 f"{client._reader is not None and client._reader.is_alive()}, broker port {reply_port}; "
                 f"request connection {publisher.as_uri() if publisher is not None else None}")
    for log_file in sorted((rabbit_cluster.base / "log").glob("*.log")):
        if survivor.node.split("@")[0] in log_file.name:
            wanted = [line for line in log_file.read_text(errors="replace").splitlines() if "rpc-identity" in line]
            if wanted:
                lines.append(f"{log_file.name}: " + "\n".join(wanted[-20:]))
    return "\n".join(lines)


def test_rpc_answers_again_after_losing_the_node_that_held_its_quorum_queue(
        rabbit_cluster, container_factory, service_config, report):
    vhost = rabbit_cluster.add_vhost("rpc-node-loss")  # rpc-identity is classic in "/" (the tests above)
    uri = rabbit_cluster.uri(vhost)
    identity = container_factory(IdentityService, service_config("identity", AMQP_URI=uri, RPC_QUEUE_TYPE="quorum",
                                                                  EVENT_QUEUE_TYPE="quorum"))
    identity.start()
    client = RpcClient(uri, timeout=10)
    leader = None
    try:
        assert answers(client)
        listing = rabbit_cluster.ctl(rabbit_cluster.nodes[0], "list_queues", "-p", vhost, "name", "type",
                                     "--no-table-headers")
        assert "rpc-identity quorum" in " ".join(listing.split()), listing
        leader = rabbit_cluster.queue_leader(vhost, "rpc-identity")
        leader.kill()
        killed_at = time.monotonic()
        try:
            wait_for(lambda: answers(client), timeout=90, step=0.2, what="an RPC answered after the node was lost")
        except AssertionError as exc:  # rare on loaded CI machines: say where the requests stopped
            raise AssertionError(f"{exc}\n{node_loss_diagnosis(rabbit_cluster, leader, vhost, identity, client)}") \
                from None
        recovered_s = time.monotonic() - killed_at
        calls = [answers(client) for _ in range(50)]
        survivor = next(node for node in rabbit_cluster.nodes if node is not leader)
        listing = rabbit_cluster.ctl(survivor, "list_queues", "-p", vhost, "name", "leader", "--no-table-headers")
        new_leader = next(line.split()[1] for line in listing.splitlines() if line.split()[:1] == ["rpc-identity"])
    finally:
        client.close()
        if leader is not None:
            rabbit_cluster.restart(leader)  # the next test loses a node of three
    report(killed_node=leader.node, new_leader=new_leader, answered_again_after_s=round(recovered_s, 1),
           calls_after=len(calls), failed_after=calls.count(False))
    assert new_leader != leader.node
    assert calls == [True] * 50
    assert recovered_s < 30


def test_killing_the_queue_leader_mid_stream_loses_nothing_and_applies_nothing_twice(
        rabbit_cluster, database_factory, report):
    DELIVERED["events"] = 0
    uri = rabbit_cluster.uri()
    metrics_db, identity_db = database_factory("metrics"), database_factory("identity")
    queue = consumer_queue_name("identity", "ping", StreamCounter.name, "on_ping")
    with kombu.Connection(uri) as conn:  # as `kepu migrate` declares it, before anything is published
        declare_consumer_queue(conn.channel(), "identity", "ping", queue, "quorum")
    leader = rabbit_cluster.queue_leader("/", queue)
    events = ping_events(EVENTS)
    written = {"events": 0}

    def write_stream():  # identity's transactions committing while everything runs
        for start in range(0, EVENTS, CHUNK):
            write_outbox(identity_db, events[start:start + CHUNK])
            written["events"] += len(events[start:start + CHUNK])
            eventlet.sleep(0.2)

    writer = eventlet.spawn(write_stream)
    relay = OutboxRelay("identity", identity_db, uri, batch_size=500, poll_interval=0.2)
    relay_thread = eventlet.spawn(relay.run)
    consumer = ServiceContainer(StreamCounter, {"AMQP_URI": uri, "DATABASE_URL": metrics_db,
                                                "EVENT_QUEUE_TYPE": "quorum", "max_workers": 4})
    consumer.start()
    receipts = Receipts(metrics_db)
    try:
        wait_for(lambda: written["events"] >= KILL_AT_WRITTEN and receipts(), timeout=180, step=0.1,
                   what=f"{KILL_AT_WRITTEN} events written")
        # the node a queue was declared through leads it: kepu-c1, first in every client's list, so the relay and
        # the consumer lose their connections too
        leader.kill()
        at_kill = {"written": written["events"], "applied": receipts()[0], "unrelayed": unsent(identity_db)}
        writer.wait()
        wait_for(lambda: (r := receipts()) and r[0] >= EVENTS, timeout=300, step=0.5, what="every event applied")
        eventlet.sleep(1.0)  # anything redelivered late would show now
        applied, most, doubles = receipts()
        left_unsent = unsent(identity_db)
    finally:
        writer.kill()
        receipts.close()
        relay.stop()
        relay_thread.wait()
        consumer.stop()  # the last test: the cluster is stopped next, so the killed node stays down
    report(events=EVENTS, killed_node=leader.node, written_when_killed=at_kill["written"],
           relayed_when_killed=at_kill["written"] - at_kill["unrelayed"], applied_when_killed=at_kill["applied"],
           applied=applied, lost=EVENTS - applied, applied_twice=doubles, deliveries=DELIVERED["events"],
           redelivered=DELIVERED["events"] - EVENTS, unsent=left_unsent)
    assert (applied, most, doubles, left_unsent) == (EVENTS, 1, 0, 0)
    assert at_kill["applied"] < EVENTS  # the kill came mid-stream
