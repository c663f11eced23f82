"""Exactly-once counting when things go wrong: two instances on the same queues, and a consumer process
SIGKILLed in the middle of its batches."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import kombu
import psycopg2.extras

from kepu_common.bus.amqp import ConfirmedPublisher, consumer_queue_name, declare_consumer_queue
from kepu_common.cli import ROOT
from kepu_common.interfaces.contracts import exchange_name
from services.metrics import ledger, points
from services.metrics.service import MetricsService
from services.metrics.tests.conftest import query, returned

QUEUE = consumer_queue_name("gateway", "share_returned", "metrics", "on_share_returned")


def seed_shares(db, users, per_user, channel="qq"):
    """Started shares, written as start_share writes them (the content check is tested elsewhere)."""
    now = datetime.now(timezone.utc)
    rows = [(uuid.uuid4(), user, "resource", uuid.uuid4(), channel, now, now + timedelta(days=1))
            for user in users for _ in range(per_user)]
    with db.cursor() as cur:
        psycopg2.extras.execute_values(
            cur, "INSERT INTO shares (id, user_id, content_type, content_id, channel, started_at, expires_at) VALUES %s",
            rows, page_size=5000)
    return [(r[0], r[1]) for r in rows]


def publish_returns(amqp_uri, shares, copies=1):
    events = [returned(share, user) for share, user in shares for _ in range(copies)]
    with kombu.Connection(amqp_uri) as conn:
        declare_consumer_queue(conn.channel(), "gateway", "share_returned", QUEUE)
    publisher = ConfirmedPublisher(amqp_uri)
    try:
        for start in range(0, len(events), 2000):
            publisher.publish_batch((exchange_name("gateway"), "share_returned", json.dumps(e).encode(), e["event_id"])
                                    for e in events[start:start + 2000])
    finally:
        publisher.close()
    return events


def wait_for(predicate, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def counted(db):
    return query(db, "SELECT count(*) FROM shares WHERE day IS NOT NULL")[0][0]


def assert_books_balance(db, expected_shares, expected_points):
    assert counted(db) == expected_shares
    assert query(db, "SELECT count(*), count(DISTINCT reference), coalesce(sum(delta), 0) FROM ledger") == \
        [(expected_points, expected_points, expected_points)]
    with db.cursor() as cur:
        assert ledger.mismatches(cur) == []


def test_two_instances_count_the_same_as_one(container_factory, metrics_config, db, amqp_uri):
    with db.cursor() as cur:
        # every share its own content; all return within a minute: no counting-rule ceiling here
        cur.execute("UPDATE settings SET daily_cap = 7, share_minute_ceiling = 1000")
    users = [uuid.uuid4() for _ in range(20)]
    shares = seed_shares(db, users, 10)
    first, second = (container_factory(MetricsService, metrics_config) for _ in range(2))
    first.start()
    second.start()
    events = publish_returns(amqp_uri, shares, copies=2)  # every return arrives twice, at either instance
    assert wait_for(lambda: counted(db) == len(shares))
    time.sleep(0.5)  # the duplicates still in flight must change nothing
    # what one instance computes (the pure rule), whatever order the instances took the shares in
    expected = {}
    for share_id, user_id, day, pts in points.award(
            [{"share_id": s, "user_id": u, "channel": "qq", "returned_at": e} for (s, u), e in
             zip(shares, [datetime.fromisoformat(ev["returned_at"]) for ev in events[::2]])], {"qq": 1}, 7, {}):
        expected[user_id] = expected.get(user_id, 0) + pts
    assert dict(query(db, "SELECT user_id, balance FROM balances")) == expected
    assert_books_balance(db, len(shares), sum(expected.values()))


def test_a_consumer_killed_mid_batch_loses_nothing_and_counts_nothing_twice(metrics_config, db, amqp_uri,
                                                                             share_key_file, tmp_path):
    with db.cursor() as cur:
        cur.execute("UPDATE settings SET daily_cap = 1000000, share_minute_ceiling = 1000")
    shares = seed_shares(db, [uuid.uuid4() for _ in range(400)], 50)
    publish_returns(amqp_uri, shares)
    env = dict(os.environ, AMQP_URI=amqp_uri, DATABASE_URL=metrics_config["DATABASE_URL"],
               SHARE_KEY_FILE=share_key_file, LOG_LEVEL="WARNING")
    log = open(tmp_path / "metrics.log", "wb")

    def run():
        return subprocess.Popen([sys.executable, "-m", "kepu_common.cli", "run", "metrics"], env=env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)

    process = run()
    try:
        assert wait_for(lambda: counted(db) > 0, 60), (tmp_path / "metrics.log").read_text()
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        at_kill = counted(db)
        assert 0 < at_kill < len(shares), "the kill should land while batches are still being counted"
        process = run()
        assert wait_for(lambda: counted(db) == len(shares), 120), (tmp_path / "metrics.log").read_text()
        time.sleep(1)  # redelivered messages of the killed batch must change nothing
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    assert_books_balance(db, len(shares), len(shares))
