"""The metrics every service exports (kepu_common/bus/observability.py): what a worker adds, and what a scrape
of a running container's /metrics shows, against real PostgreSQL and RabbitMQ."""
import socket
import uuid

import eventlet
import kombu
import psycopg2
import pytest
import requests
from nameko.rpc import Rpc
from nameko.testing.services import entrypoint_hook
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from kepu_common.bus.amqp import DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, declare_dead_letter
from kepu_common.bus.consumers import BatchEventConsumer, event_consumer
from kepu_common.interfaces.contracts import make_event
from kepu_common.interfaces.errors import InvalidInput
from kepu_common.bus.observability import Observability, WorkerMetrics, outcome_of
from kepu_common.bus.outbox import OutboxWriter
from kepu_common.bus.rpc import rpc
from kepu_common.devtools.testing import publish_events


def samples(text):
    """{(name, frozenset(labels)): value} of a Prometheus exposition."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scraped, name, **labels):
    return scraped.get((name, frozenset(labels.items())))


def entrypoint(cls, method_name, *args, **kwargs):
    made = cls(*args, **kwargs)
    made.method_name = method_name
    return made


# --- what a finished worker adds (pure) -----------------------------------------------------------

def test_outcome_tells_a_clients_mistake_from_a_failure():
    assert outcome_of(None) == "ok"
    assert outcome_of((InvalidInput, InvalidInput("invalid_input"), None)) == "refused"
    assert outcome_of((RuntimeError, RuntimeError("bug"), None)) == "error"


def test_workers_are_counted_by_entrypoint_kind():
    registry = CollectorRegistry()
    metrics = WorkerMetrics("identity", registry)
    metrics.record(entrypoint(Rpc, "login"), ({},), 0.004, None)
    metrics.record(entrypoint(Rpc, "login"), ({},), 0.002, (RuntimeError, RuntimeError("bug"), None))
    consumer = entrypoint(BatchEventConsumer, "on_decided", "review", "review_decided", subjects=("org",))
    metrics.record(consumer, ([{"event_id": "a"}, {"event_id": "b"}, {"event_id": "c"}],), 0.03, None)
    metrics.record(_timer("purge"), (), 0.5, None)
    get = registry.get_sample_value
    assert get("kepu_rpc_duration_seconds_count", {"service": "identity", "method": "login", "outcome": "ok"}) == 1
    assert get("kepu_rpc_duration_seconds_count", {"service": "identity", "method": "login", "outcome": "error"}) == 1
    assert get("kepu_rpc_duration_seconds_sum", {"service": "identity", "method": "login", "outcome": "ok"}) == 0.004
    labels = {"service": "identity", "source": "review", "event_type": "review_decided", "outcome": "ok"}
    assert get("kepu_events_consumed_total", labels) == 3
    assert get("kepu_event_batch_duration_seconds_count", labels) == 1
    assert get("kepu_task_duration_seconds_count", {"service": "identity", "task": "purge", "outcome": "ok"}) == 1


def _timer(method_name):
    from nameko.timer import Timer

    return entrypoint(Timer, method_name, 60)


def test_the_service_config_carries_the_metrics_port_beside_the_metrics_services_settings():
    from kepu_common.cli import DEFAULT_CONFIG
    from kepu_common.operations.config import load_config

    config = load_config(DEFAULT_CONFIG, {"SERVICE_NAME": "metrics", "METRICS_PORT": "9105", "METRICS_HOST": "0.0.0.0"})
    assert config["OBSERVABILITY"] == {"metrics_port": 9105, "metrics_host": "0.0.0.0"}
    assert "share_key_file" in config["METRICS"]
    assert load_config(DEFAULT_CONFIG, {"SERVICE_NAME": "metrics"})["OBSERVABILITY"]["metrics_port"] == 0


# --- a running container ------------------------------------------------------------------------

class Probe:
    name = "identity"
    observability = Observability()

    @rpc
    def answer(self, refuse=False, fail=False):
        if refuse:
            raise InvalidInput("invalid_input")
        if fail:
            raise RuntimeError("a bug")
        return "ok"

    @event_consumer("identity", "ping", batch_size=50, max_wait=0.02)
    def on_ping(self, events):
        pass


def provider_of(container):
    return next(d for d in container.dependencies if d.attr_name == "observability")


def scrape(container):
    port = provider_of(container).port
    return samples(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)


def wait_until(predicate, timeout=15.0):
    deadline = eventlet.hubs.get_hub().clock() + timeout
    while eventlet.hubs.get_hub().clock() < deadline:
        if predicate():
            return True
        eventlet.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def probe(start_service):
    return start_service(Probe, OBSERVABILITY={"metrics_port": "0", "metrics_host": "127.0.0.1"})


def test_rpc_calls_are_counted_by_method_and_outcome(probe):
    with entrypoint_hook(probe, "answer") as answer:
        answer()
        answer()
        with pytest.raises(InvalidInput):
            answer(refuse=True)
        with pytest.raises(RuntimeError):
            answer(fail=True)
    scraped = scrape(probe)
    for outcome, count in (("ok", 2), ("refused", 1), ("error", 1)):
        assert value(scraped, "kepu_rpc_duration_seconds_count", service="identity", method="answer",
                     outcome=outcome) == count


def test_consumed_events_are_counted_per_event(probe, amqp_uri):
    publish_events(amqp_uri, [make_event("ping", "identity", ping_id=str(uuid.uuid4()), message=f"m{i}")
                              for i in range(3)])
    labels = {"service": "identity", "source": "identity", "event_type": "ping", "outcome": "ok"}
    wait_until(lambda: value(scrape(probe), "kepu_events_consumed_total", **labels) == 3)


def test_outbox_backlog_and_its_oldest_row_are_read_at_scrape_time(probe):
    assert value(scrape(probe), "kepu_outbox_pending_events", service="identity") == 0
    assert value(scrape(probe), "kepu_outbox_oldest_pending_age_seconds", service="identity") == 0
    with psycopg2.connect(probe.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        OutboxWriter("identity").add(cur, "ping", ping_id=str(uuid.uuid4()), message="waiting")
        cur.execute("UPDATE outbox SET created_at = now() - interval '90 seconds'")  # the relay is not running
    scraped = scrape(probe)
    assert value(scraped, "kepu_outbox_pending_events", service="identity") == 1
    assert 90 <= value(scraped, "kepu_outbox_oldest_pending_age_seconds", service="identity") < 120
    assert value(scraped, "kepu_metrics_source_up", service="identity", source="database") == 1


def test_dead_letters_are_counted_from_the_queue(probe, amqp_uri):
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        declare_dead_letter(channel)
        for _ in range(2):
            channel.basic_publish(channel.prepare_message(b"{}"), DEAD_LETTER_EXCHANGE, "evt-x")
    wait_until(lambda: value(scrape(probe), "kepu_dead_letter_messages", queue=DEAD_LETTER_QUEUE) == 2)
    assert value(scrape(probe), "kepu_metrics_source_up", service="identity", source="broker") == 1


def test_a_database_that_does_not_answer_is_reported_not_fatal(start_service):
    probe = start_service(Probe, OBSERVABILITY={"metrics_port": "0"},
                          DATABASE_URL="postgresql://postgres@127.0.0.1:1/none")
    scraped = scrape(probe)
    assert value(scraped, "kepu_metrics_source_up", service="identity", source="database") == 0
    assert value(scraped, "kepu_outbox_pending_events", service="identity") is None


def test_instances_in_one_host_take_free_ports_and_an_empty_port_turns_metrics_off(start_service):
    first = start_service(Probe, OBSERVABILITY={"metrics_port": "0"})
    second = start_service(Probe, OBSERVABILITY={"metrics_port": "0"})
    assert provider_of(first).port != provider_of(second).port
    off = start_service(Probe, OBSERVABILITY={"metrics_port": None})  # METRICS_PORT= in the environment: YAML's null
    assert provider_of(off).port is None
    with entrypoint_hook(off, "answer") as answer:
        assert answer() == "ok"


def test_a_taken_port_leaves_the_service_running(start_service):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        probe = start_service(Probe, OBSERVABILITY={"metrics_port": str(taken.getsockname()[1])})
        assert provider_of(probe).port is None
        with entrypoint_hook(probe, "answer") as answer:
            assert answer() == "ok"
