"""Request ids, the access log, and the gateway's Prometheus metrics.

Request ids: taken from X-Request-ID when sane, made otherwise; echoed back and put on log lines
(JSON lines with LOG_FORMAT=json: kepu_common/operations/log_context.JsonFormatter).

Metrics (docs/observability.md), labelled by the Flask url_rule (`/api/v1/orgs/<uuid:org_id>`), never the
raw path, so the number of series stays bounded whatever clients send:

    kepu_gateway_requests_total{route, method, status}
    kepu_gateway_request_duration_seconds{route, method}     histogram, until the view returned

GET /metrics answers GATEWAY_METRICS_NETWORKS only (GATEWAY_INTERNAL_NETWORKS when unset; 404 otherwise),
and neither nginx (deploy/nginx) nor the example Ingress passes it on. gunicorn runs several worker
processes and a scrape reaches one of them, so under gunicorn and granian the counters live in
prometheus_client's multiprocess files and every worker answers the sum: PROMETHEUS_MULTIPROC_DIR when the
deployment sets it, else a directory per master in the temp directory (so a restart starts from zero, and
directories of masters that are gone are removed). The directory must be chosen before prometheus_client is
imported; gunicorn's master imports this module first (through the worker class, gateway.gunicorn_worker) and
granian's launcher (kepu_common/edge/granian_server.py) calls choose_multiprocess_dir before it starts workers, so the
workers inherit the choice.
"""
import itertools
import logging
import os
import re
import time

from flask import abort, g, has_request_context, request

from kepu_common.operations.log_context import install_root_handler
from kepu_common.operations.metrics_dir import choose_multiprocess_dir
from kepu_common.operations.networks import LOOPBACK, is_internal, parse_networks

SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
EDGE_REQUEST_ID = "kepu.request_id"  # set by gateway.edge.Edge


class RequestIds:
    """Request ids made here: 32 hex digits, a random prefix of this process (80 bits, made again in each
    forked worker, gunicorn's or granian's) and a counter, so ids never repeat across workers and instances. uuid4 per
    request asked the kernel for 16 random bytes each time (a getrandom system call)."""

    def __init__(self):
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self):
        self._prefix = os.urandom(10).hex()
        self._numbers = itertools.count()  # next() on a count is atomic: no lock across threads

    def new(self):
        return f"{self._prefix}{next(self._numbers) & 0xFFFFFFFFFFFF:012x}"


new_request_id = RequestIds().new
access_log = logging.getLogger("gateway.access")


MULTIPROC_DIR = choose_multiprocess_dir()  # before prometheus_client is imported

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram  # noqa: E402
from prometheus_client import generate_latest, multiprocess  # noqa: E402

# seconds: most answers take a few milliseconds; uploads and an RPC time-out take seconds
BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
REQUESTS = Counter("kepu_gateway_requests_total", "HTTP requests answered, by route, method and status",
                   ["route", "method", "status"])
DURATION = Histogram("kepu_gateway_request_duration_seconds", "Time to answer, by route and method",
                     ["route", "method"], buckets=BUCKETS)
# (route, method, status) -> (counter child, histogram child): labels() validates and locks on every call
_children = {}


def record(route, method, status, seconds):
    key = (route, method, status)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (REQUESTS.labels(route, method, str(status)), DURATION.labels(route, method))
    children[0].inc()
    children[1].observe(seconds)


def exposition():
    if MULTIPROC_DIR is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def init_app(app):
    # one handler on the root logger: the gateway's lines and its libraries' (kepu_common, werkzeug,
    # py.warnings) alike, JSON lines with LOG_FORMAT=json (gunicorn's own: kepu_common.edge.gunicorn_logging)
    install_root_handler("gateway", app.config.get("LOG_LEVEL", "INFO"), app.config.get("LOG_FORMAT"),
                         filters=(RequestIdFilter(),),
                         text_format="%(asctime)s gateway %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    # who may scrape /metrics: GATEWAY_METRICS_NETWORKS (Prometheus's network), else the internal networks
    scrapers = parse_networks(app.config.get("METRICS_NETWORKS") or os.environ.get("GATEWAY_METRICS_NETWORKS")
                              or app.config.get("INTERNAL_NETWORKS", LOOPBACK))

    @app.before_request
    def assign_request_id():
        # gateway.edge.Edge chose it (and echoes it on the answer) before anything else ran
        g.request_id = request.environ.get(EDGE_REQUEST_ID)
        if g.request_id is None:
            incoming = request.headers.get("X-Request-ID", "")
            g.request_id = incoming if SANE_REQUEST_ID.match(incoming) else new_request_id()
        g.started = time.perf_counter()

    @app.after_request
    def record_request(response):
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        rule = request.url_rule
        record(rule.rule if rule is not None else "unmatched", request.method, response.status_code, elapsed)
        if app.config.get("ACCESS_LOG"):
            duration_ms = round(elapsed * 1000, 1)
            access_log.info("%s %s %s %.1fms", request.method, request.path, response.status_code, duration_ms,
                            extra={"method": request.method, "path": request.path,
                                   "status": response.status_code, "duration_ms": duration_ms})
        return response

    @app.get("/metrics")
    def metrics():
        if not is_internal(request.remote_addr, scrapers):
            abort(404)  # the figures are for the platform's monitoring, not for the internet
        return exposition(), 200, {"Content-Type": CONTENT_TYPE_LATEST}
