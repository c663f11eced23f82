"""Issue 15: the broker process and the database server restarted during a stream of 100,000 events
(identity's outbox → relay → RabbitMQ → metrics' batch consumer) and during gateway traffic.

Afterwards: no event lost, none applied twice, the same service processes serving (none restarted);
while the part was down every failed answer was a 503 naming it, within the time-out; once the database
was back, no request failed (no stale pooled connection). Counts are printed and kept as junit properties.
"""
import json
import os
import time
import uuid

import eventlet

from kepu_common.devtools.testing import wait_for
from tests.restarts.conftest import RPC_TIMEOUT, wait_while_progressing
from tests.restarts.load import EventStream, GatewayTraffic, accepted_ping_ids, summarize

EVENTS = int(os.environ.get("KEPU_RESTART_EVENTS", "100000"))
# a failed call, waiting for the broker included, ends at the gateway's RPC time-out; the rest is the
# gateway's and this process's own work on a loaded machine. A failure answered later than this has hung.
LONGEST_FAILURE = RPC_TIMEOUT + 3


def receipts(platform, ids=None, prefix=None):
    """(received, applied more than once) among ping receipts."""
    if ids is not None:
        where, args = "ping_id = ANY(%s::uuid[])", (ids,)
    else:
        where, args = "message LIKE %s", (f"{prefix}-%",)
    (received, extra), = platform.query(
        "metrics", f"SELECT count(*), coalesce(sum(applied - 1), 0) FROM ping_receipts WHERE {where}", args)
    return received, int(extra)


# log lines that show each part recovering by itself (counted during one test)
RECOVERY_LINES = {
    "stale_connections_dropped": "dropping a pooled connection the database has closed",
    "relay_retries": "outbox relay for identity:",
}


def log_lines(platform):
    text = "".join((platform.logs / f"{name}.log").read_text(errors="replace") for name in ("identity", "metrics"))
    return {key: text.count(line) for key, line in RECOVERY_LINES.items()}


def restart_under_load(platform, make_token, stop, start, down_for):
    tag = uuid.uuid4().hex[:6]
    lines_before = log_lines(platform)
    stream = EventStream(platform.database_url("identity"), EVENTS, f"s{tag}").start()
    traffic = GatewayTraffic(platform.gateway_url, make_token(["platform_admin"], ttl=1800), f"g{tag}").start()
    started = time.monotonic()
    try:
        stream.wait_written(EVENTS // 3, timeout=900)
        down_at = time.monotonic()
        stop()
        eventlet.sleep(down_for)
        start()
        back_at = time.monotonic()
        stream.wait(timeout=1800)
        written_at = time.monotonic()
        wait_while_progressing(lambda: receipts(platform, prefix=f"s{tag}")[0], EVENTS)
        received_at = time.monotonic()
        eventlet.sleep(2)  # traffic goes on a moment after the stream, in the steady state
    finally:
        traffic.stop()
        # every answer, its times from the start of the stream: what to read when a count is off
        records = [{**r, "started": r["started"] - started, "ended": r["ended"] - started} for r in traffic.records]
        (platform.logs / f"traffic-{tag}.json").write_text(json.dumps(records, default=str))
    pings = accepted_ping_ids(traffic.records)
    wait_for(lambda: receipts(platform, ids=pings)[0] >= len(pings), timeout=300, what="every accepted ping received")
    received, extra = receipts(platform, prefix=f"s{tag}")
    pings_received, pings_extra = receipts(platform, ids=pings)
    (pending,), = platform.query("identity", "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    counts = {
        "events_written": stream.written, "events_received": received, "events_lost": stream.written - received,
        "events_applied_twice": extra, "writer_retries": stream.write_failures, "outbox_pending": pending,
        "pings_accepted": len(pings), "pings_lost": len(pings) - pings_received, "pings_applied_twice": pings_extra,
        "down_s": round(back_at - down_at, 1), "down_at_s": round(down_at - started, 1),
        "written_at_s": round(written_at - started, 1), "received_at_s": round(received_at - started, 1),
        **summarize(traffic.records, down_at, back_at),
        **{key: count - lines_before[key] for key, count in log_lines(platform).items()},
    }
    return counts


def report(record_property, name, counts):
    print(f"\n{name}: {json.dumps(counts, ensure_ascii=False, default=str)}")
    for key, value in counts.items():
        record_property(key, value)


def assert_recovered(platform, counts, down_dependencies):
    assert counts["events_lost"] == 0 and counts["events_received"] == EVENTS
    assert counts["events_applied_twice"] == 0
    assert counts["outbox_pending"] == 0
    assert counts["pings_lost"] == 0 and counts["pings_applied_twice"] == 0
    assert counts["unnamed_failures"] == 0, counts["unnamed_examples"]
    assert set(counts["unavailable_by_dependency"]) <= down_dependencies, counts["unavailable_by_dependency"]
    assert counts["unavailable_by_dependency"], "the outage was never seen by the gateway"
    assert counts["slowest_failed_s"] <= LONGEST_FAILURE
    for name, pid in platform.pids.items():  # recovered by themselves: the very same processes
        assert platform.processes[name].pid == pid and platform.processes[name].poll() is None, name


def test_broker_restart_under_an_event_stream_and_gateway_traffic(restart_platform, stack, make_token,
                                                                   record_property):
    rabbit = stack[1]
    counts = restart_under_load(restart_platform, make_token, rabbit.stop, rabbit.start, down_for=2)
    report(record_property, "broker restart", counts)
    # until each service has its RPC consumer back, a call published to the broker waits for it: 503 naming it
    assert_recovered(restart_platform, counts, {"broker", "identity", "metrics"})


def test_database_restart_under_an_event_stream_and_gateway_traffic(restart_platform, stack, make_token,
                                                                     record_property):
    postgres = stack[0]
    counts = restart_under_load(restart_platform, make_token, postgres.stop, postgres.start, down_for=5)
    report(record_property, "database restart", counts)
    assert_recovered(restart_platform, counts, {"identity.database", "metrics.database"})
    assert counts["failed_after_back"] == 0  # not one request on a stale pooled connection
