"""Prometheus metrics for every nameko service, served on the service's own metrics port.

`Observability` is a DependencyProvider every PlatformService has. nameko calls its worker_setup and
worker_result around every worker of the container, whatever the entrypoint, so RPC calls, batches of
events (kepu_common.bus.consumers) and timers are all measured here without touching their code:

    kepu_rpc_duration_seconds{service, method, outcome}                 histogram (its _count: calls)
    kepu_events_consumed_total{service, source, event_type, outcome}    counter, in events (a batch counts each)
    kepu_event_batch_duration_seconds{service, source, event_type, outcome}  histogram, per batch
    kepu_task_duration_seconds{service, task, outcome}                  histogram, timers

outcome is `ok`, `refused` (a client's mistake: a 4xx platform error or a schema's refusal) or `error`.
A batch that failed and is retried event by event counts each attempt.

What needs a query is read when Prometheus scrapes, each source with a one-second bound. The outbox is
read on one connection of the collector's own, kept between scrapes (a scrape never takes a worker's
connection, and still answers when the server has no connection slot left); the broker is asked on a
fresh connection:

    kepu_outbox_pending_events{service}              rows not yet relayed
    kepu_outbox_oldest_pending_age_seconds{service}  age of the oldest of them (0 when none)
    kepu_dead_letter_messages{queue}                 messages in the dead-letter queue (shared by all services)
    kepu_metrics_source_up{service, source}          1 when that query answered, 0 when it did not

The server listens on OBSERVABILITY.metrics_host:metrics_port (deploy/config/service.yaml: METRICS_HOST,
METRICS_PORT). Port 0 takes a free port,
for several instances on one host; the port taken is logged ("metrics for <service> at <url>").
An empty port turns the server off (the counters are still kept).
"""
import logging
import time

import eventlet
import eventlet.semaphore
import eventlet.wsgi
import kombu
import psycopg2
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily

from kepu_common.bus.amqp import DEAD_LETTER_QUEUE
from kepu_common.bus.consumers import BatchEventConsumer
from kepu_common.operations.log_context import is_expected

log = logging.getLogger(__name__)

# seconds: an RPC answers in milliseconds; a batch of 500 events or an argon2 hash takes longer
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SCRAPE_QUERY_SECONDS = 1


def outcome_of(exc_info):
    if exc_info is None:
        return "ok"
    return "refused" if is_expected(exc_info[1]) else "error"


class WorkerMetrics:
    """The counters and histograms of one service, in its own registry (several containers may share a
    process in tests), and what a finished worker adds to them."""

    def __init__(self, service, registry):
        self.service = service
        self.rpc = Histogram("kepu_rpc_duration_seconds", "RPC calls handled, by method and outcome",
                             ["service", "method", "outcome"], buckets=DURATION_BUCKETS, registry=registry)
        self.events = Counter("kepu_events_consumed_total", "Events handled by batch consumers",
                              ["service", "source", "event_type", "outcome"], registry=registry)
        self.batches = Histogram("kepu_event_batch_duration_seconds", "Time to handle one batch of events",
                                 ["service", "source", "event_type", "outcome"], buckets=DURATION_BUCKETS,
                                 registry=registry)
        self.tasks = Histogram("kepu_task_duration_seconds", "Timer runs, by task and outcome",
                               ["service", "task", "outcome"], buckets=DURATION_BUCKETS, registry=registry)

    def record(self, entrypoint, args, seconds, exc_info):
        outcome = outcome_of(exc_info)
        if isinstance(entrypoint, Rpc):
            self.rpc.labels(self.service, entrypoint.method_name, outcome).observe(seconds)
        elif isinstance(entrypoint, BatchEventConsumer):
            labels = (self.service, entrypoint.source_service, entrypoint.event_type, outcome)
            events = args[0] if args and isinstance(args[0], list) else ()
            self.events.labels(*labels).inc(len(events))
            self.batches.labels(*labels).observe(seconds)
        else:
            self.tasks.labels(self.service, entrypoint.method_name, outcome).observe(seconds)


class BacklogCollector:
    """Outbox backlog and dead letters, queried at scrape time (a custom prometheus_client collector)."""

    def __init__(self, service, database_url, amqp_uri):
        self.service = service
        self.database_url = database_url
        self.amqp_uri = amqp_uri
        self._conn = None
        self._lock = eventlet.semaphore.Semaphore()  # two scrapes at once take turns on the connection

    def outbox(self):
        """(pending rows, age in seconds of the oldest); the partial index outbox_unsent makes both cheap."""
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg2.connect(self.database_url, connect_timeout=SCRAPE_QUERY_SECONDS,
                                                  application_name=f"{self.service}-metrics")
                with self._conn, self._conn.cursor() as cur:
                    cur.execute(f"SET LOCAL statement_timeout = {SCRAPE_QUERY_SECONDS * 1000}")
                    cur.execute("SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                                "FROM outbox WHERE sent_at IS NULL")
                    pending, age = cur.fetchone()
                    return pending, float(age)
            except BaseException:  # a time-out or a broken connection: the next scrape starts afresh
                self.close()
                raise

    def close(self):
        if self._conn is not None and not self._conn.closed:
            try:
                self._conn.close()
            except psycopg2.Error:
                pass
        self._conn = None

    def dead_letters(self):
        with kombu.Connection(self.amqp_uri, connect_timeout=SCRAPE_QUERY_SECONDS) as conn:
            conn.ensure_connection(max_retries=1)
            _, count, _ = conn.default_channel.queue_declare(DEAD_LETTER_QUEUE, passive=True)
            return count

    def collect(self):
        up = GaugeMetricFamily("kepu_metrics_source_up", "Whether the query behind a scrape-time metric answered",
                               labels=["service", "source"])
        try:
            with eventlet.Timeout(SCRAPE_QUERY_SECONDS * 2):
                pending, age = self.outbox()
        except (Exception, eventlet.Timeout) as exc:  # a scrape reports what it can; the failure is the 0 below
            log.warning("metrics: outbox query failed: %s", exc)
            up.add_metric([self.service, "database"], 0)
        else:
            up.add_metric([self.service, "database"], 1)
            yield self._gauge("kepu_outbox_pending_events", "Outbox rows not yet relayed to the broker",
                              ["service"], [self.service], pending)
            yield self._gauge("kepu_outbox_oldest_pending_age_seconds",
                              "Age of the oldest outbox row not yet relayed", ["service"], [self.service], age)
        try:
            with eventlet.Timeout(SCRAPE_QUERY_SECONDS * 2):
                count = self.dead_letters()
        except (Exception, eventlet.Timeout) as exc:  # the queue may not exist yet: no consumer declared it
            log.debug("metrics: dead-letter count failed: %s", exc)
            up.add_metric([self.service, "broker"], 0)
        else:
            up.add_metric([self.service, "broker"], 1)
            yield self._gauge("kepu_dead_letter_messages", "Messages waiting in the dead-letter queue",
                              ["queue"], [DEAD_LETTER_QUEUE], count)
        yield up

    @staticmethod
    def _gauge(name, documentation, label_names, label_values, value):
        family = GaugeMetricFamily(name, documentation, labels=label_names)
        family.add_metric(label_values, value)
        return family


class _QuietLog:
    def write(self, *args):
        pass


class Observability(DependencyProvider):
    def setup(self):
        config = self.container.config
        settings = config.get("OBSERVABILITY") or {}
        self.service = self.container.service_name
        self.registry = CollectorRegistry()
        self.workers = WorkerMetrics(self.service, self.registry)
        self.backlog = None
        if "DATABASE_URL" in config and "AMQP_URI" in config:
            self.backlog = BacklogCollector(self.service, config["DATABASE_URL"], config["AMQP_URI"])
            self.registry.register(self.backlog)
        port = settings.get("metrics_port", 0)
        port = "" if port is None else str(port).strip()  # METRICS_PORT= (empty) is YAML's null
        self.bind = (settings.get("metrics_host") or "127.0.0.1", int(port)) if port else None
        self.port = None
        self._socket = self._thread = None
        self._started = {}

    def start(self):
        if self.bind is None:
            return
        try:
            self._socket = eventlet.listen(self.bind)
        except OSError as exc:  # the service still serves; Prometheus sees the target down
            log.error("metrics: cannot listen on %s:%s (%s); /metrics is off for %s", *self.bind, exc, self.service)
            return
        self.port = self._socket.getsockname()[1]
        log.info("metrics for %s at http://%s:%s/metrics", self.service, self.bind[0], self.port)
        self._thread = self.container.spawn_managed_thread(self._serve, identifier="metrics-server")

    def _serve(self):
        try:
            eventlet.wsgi.server(self._socket, make_wsgi_app(self.registry), log=_QuietLog(), log_output=False)
        except Exception:  # a managed thread that raises kills the container: metrics must never do that
            log.exception("metrics: server stopped")

    def stop(self):
        if self._thread is not None:
            self._thread.kill()
        if self._socket is not None:
            self._socket.close()
        self._thread = self._socket = None
        if self.backlog is not None:
            self.backlog.close()

    kill = stop

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        try:
            self.workers.record(worker_ctx.entrypoint, worker_ctx.args, time.perf_counter() - started, exc_info)
        except Exception:  # never let counting break the worker's result
            log.exception("metrics: could not record a worker")

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
