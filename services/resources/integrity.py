"""The integrity scrub inside the resources service: its settings, a connection of its own per run (the
advisory lock is held by that session), and its Prometheus series, read from the database at scrape time
so every replica exports the same figures (services/resources/scrub.py does the work)."""
import logging
import time

import eventlet
import psycopg2
from nameko.extensions import DependencyProvider
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from kepu_common.data.db import database_url
from kepu_common.bus.observability import Observability
from services.resources import scrub, uploads

log = logging.getLogger(__name__)
MB = 1024 * 1024
SCRAPE_SECONDS = 2


class ScrubSettings:
    def __init__(self, settings):
        self.enabled = str(settings.get("scrub_enabled", "true")).lower() not in ("0", "false", "no", "off")
        # 20 MB/s: a terabyte a day at most, a small share of a disk's or network's bandwidth
        self.bytes_per_second = float(settings.get("scrub_mb_per_second", 20)) * MB
        # a run every minute (the timer), each for at most this long: runs never pile up
        self.seconds_per_run = float(settings.get("scrub_seconds_per_run", 50))
        limit = settings.get("scrub_objects_per_run")
        self.objects_per_run = int(limit) if limit not in (None, "") else None


class Scrub:
    def __init__(self, url, settings):
        self.url = url
        self.settings = settings

    def run(self, storage, clock=time.monotonic, sleep=eventlet.sleep):
        """One bounded run (scrub.run) on a connection of its own, closed after (releasing the lock)."""
        conn = psycopg2.connect(self.url, application_name="resources-scrub")
        try:
            pacer = scrub.Pacer(self.settings.bytes_per_second, clock, sleep)
            return scrub.run(conn, storage, storage.bucket(uploads.BUCKET), pacer,
                             max_objects=self.settings.objects_per_run,
                             deadline=clock() + self.settings.seconds_per_run, clock=clock)
        finally:
            conn.close()


class ScrubCollector:
    """kepu_storage_scrub_findings{kind}, objects checked and bytes read, and when the last pass ended."""

    def __init__(self, url):
        self.url = url

    def collect(self):
        try:
            with eventlet.Timeout(SCRAPE_SECONDS * 2):
                conn = psycopg2.connect(self.url, connect_timeout=SCRAPE_SECONDS, application_name="resources-metrics")
                try:
                    with conn, conn.cursor() as cur:
                        cur.execute(f"SET LOCAL statement_timeout = {SCRAPE_SECONDS * 1000}")
                        counts, state = scrub.open_counts(cur), scrub.state(cur)
                finally:
                    conn.close()
        except (Exception, eventlet.Timeout) as exc:  # kepu_metrics_source_up already says the database is away
            log.warning("metrics: scrub query failed: %s", exc)
            return
        found = GaugeMetricFamily("kepu_storage_scrub_findings",
                                  "Stored files the integrity scrub found unsound and not yet sound again", labels=["kind"])
        for kind, count in counts.items():
            found.add_metric([kind], count)
        yield found
        yield CounterMetricFamily("kepu_storage_scrub_objects_checked", "Objects the integrity scrub has re-read",
                                  value=state["objects_checked"])
        yield CounterMetricFamily("kepu_storage_scrub_bytes_read", "Bytes the integrity scrub has re-read",
                                  value=state["bytes_read"])
        yield GaugeMetricFamily("kepu_storage_scrub_last_pass_timestamp_seconds",
                                "When the integrity scrub last finished a pass over every stored file (0: never)",
                                value=state["last_pass_at"].timestamp() if state["last_pass_at"] else 0)


class IntegrityScrub(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.url = database_url(config, self.container.service_name)
        self.scrub = Scrub(self.url, ScrubSettings(config.get("RESOURCES", {})))

    def start(self):
        # the service's metrics registry (kepu_common/bus/observability.py), made in its setup
        for extension in self.container.dependencies:
            if isinstance(extension, Observability):
                extension.registry.register(ScrubCollector(self.url))

    def get_dependency(self, worker_ctx):
        return self.scrub
