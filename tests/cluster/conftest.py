"""The cluster tests share one private 3-node RabbitMQ cluster (rabbit_cluster.py), started once per run."""
import time

import pytest

from tests.cluster.rabbit_cluster import ClusterUnavailable, RabbitCluster, installed

# the broker's heartbeat in seconds: short, so a test quiet for many intervals stands for quiet minutes.
# Not short: the broker sends its own every half interval, and a consumer's drain_events(timeout=1.0) that
# always gets a frame within the second never returns to send ours (py-amqp loops over heartbeats). At 2 s
# that happened every time; at 4 s it happened once, in a fresh-clone CI run on 2 busy cores (every consumer
# dropped at once, 59 s into the quiet spell); at 8 s the broker's frames are 4 s apart.
HEARTBEAT = 8


@pytest.fixture(scope="session")
def rabbit_cluster():
    if not installed():
        pytest.skip("RabbitMQ is not installed: the cluster tests start their own nodes")
    cluster = RabbitCluster(heartbeat=HEARTBEAT)
    started = time.monotonic()
    try:
        cluster.start()
    except ClusterUnavailable:
        cluster.stop()
        raise
    print(f"\n3-node cluster up in {time.monotonic() - started:.0f}s: {cluster.uri()}")
    yield cluster
    cluster.stop()


REPORTED = []


@pytest.fixture
def report(request):
    """Each test's counts: kept in the junit report (testcase properties) and printed at the end of the run."""
    def put(**counts):
        request.node.user_properties.extend(counts.items())
        REPORTED.append((request.node.name, counts))

    return put


def pytest_terminal_summary(terminalreporter):
    if REPORTED:
        terminalreporter.section("cluster tests: counts")
        for name, counts in REPORTED:
            terminalreporter.write_line(f"{name}: " + " ".join(f"{key}={value}" for key, value in counts.items()))


