"""The gateway's API under granian's WSGI server: `python -m kepu_common.edge.granian_server` (issue 26).

Two processes serve the same application (gateway.wsgi:app), and nginx (deploy/nginx/nginx.conf, or the
Ingress in Kubernetes) chooses between them by path:

- *this one* (granian, Rust HTTP/1) answers the API: every request whose body nginx has already read whole but
  `/uploads/{id}/complete`. Through nginx it spent 12–33 % less gateway CPU per one-RPC request than gunicorn
  alone and 45–59 % less per share return, in the same rounds (docs/benchmarks.md, "The split gateway");
- *the uploads gateway* (gunicorn with gateway/gunicorn_worker.py) answers the paths whose bodies nginx streams
  through as they arrive (`proxy_request_buffering off`: upload content, licence, appointment letter, mall
  pictures), and `/uploads/{id}/complete` beside them (so a burst of uploads takes its threads, not the API's).
  Those need what granian does not give: a time-out on each body read (all four) and, for upload content, the
  socket whose read side is shut when a client trickles (kepu_common/edge/slow_clients.py, issue 29). granian's
  `wsgi.input.read(size)` waits for `size` bytes with no deadline.

Without nginx (make run on a machine without it, the test platform) gunicorn alone serves everything.

Settings, from the environment as for gunicorn: GATEWAY_BIND (host:port), GATEWAY_WORKERS, GATEWAY_THREADS (the
blocking threads that run the application, per worker), GATEWAY_HEADER_TIMEOUT (seconds for a request's whole
header), LOG_FORMAT and LOG_LEVEL. The Prometheus counters of all workers are kept in one multi-process
directory, as under gunicorn (gateway/requests_log.py).

This launcher lives outside the `gateway` package on purpose: granian forks its workers from it, and a
launcher that had imported the application (prometheus_client among it) would hand every worker counters made
before the shared directory was chosen. The workers import gateway.wsgi themselves, as gunicorn's do.
"""
import argparse
import os
import sys

from granian import Granian
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels

TARGET = "gateway.wsgi:app"
SERVICE = "gateway"
TEXT_FORMAT = "%(asctime)s gateway %(levelname)s %(name)s: %(message)s"
# granian takes the header deadline in milliseconds, between 1 ms and 60 s; 0 ("off" for gunicorn) is the most
GRANIAN_MAX_HEADER_MS = 60000


def split_bind(bind):
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"GATEWAY_BIND must be host:port, not {bind!r}")
    return host.strip("[]"), int(port)


def header_read_ms(seconds):
    millis = round(float(seconds) * 1000)
    return GRANIAN_MAX_HEADER_MS if millis <= 0 else min(millis, GRANIAN_MAX_HEADER_MS)


def log_config(log_format, level):
    """granian's own lines (start, workers, errors) in the platform's format: JSON objects under
    LOG_FORMAT=json (kepu_common.operations.log_context.JsonFormatter), like gunicorn's. Its access log stays
    off: the application writes the access line itself (GATEWAY_ACCESS_LOG) with the request id."""
    from kepu_common.operations.log_context import wants_json

    formatter = ({"()": "kepu_common.operations.log_context.JsonFormatter", "service": SERVICE}
                 if wants_json(log_format) else {"()": "logging.Formatter", "fmt": TEXT_FORMAT})
    handler = {"class": "logging.StreamHandler", "formatter": "platform", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"platform": formatter},
        "handlers": {"platform": handler},
        "loggers": {
            "_granian": {"handlers": ["platform"], "level": level, "propagate": False},
            "granian.access": {"handlers": ["platform"], "level": level, "propagate": False},
        },
    }


def server_settings(environ):
    """Keyword arguments for granian.Granian, from the environment (pure: unit-tested)."""
    host, port = split_bind(environ.get("GATEWAY_BIND", "0.0.0.0:8000"))
    level = environ.get("LOG_LEVEL", "INFO").upper()
    return {
        "target": TARGET,
        "address": host,
        "port": port,
        "interface": Interfaces.WSGI,
        "workers": int(environ.get("GATEWAY_WORKERS", "2")),
        # granian warns at start that 16 threads are many for 2 cores: here they mostly wait for RPC replies and
        # the broker's confirms. 16 as gunicorn's (where 2 x 4 measured a p99 four times higher, docs/benchmarks.md);
        # granian with fewer threads or its `backpressure` setting has not been measured
        "blocking_threads": int(environ.get("GATEWAY_THREADS", "16")),
        # nginx speaks HTTP/1.1 to its upstreams and keeps 32 connections alive (deploy/nginx/nginx.conf)
        "http": HTTPModes.http1,
        "websockets": False,
        "http1_settings": HTTP1Settings(header_read_timeout=header_read_ms(environ.get("GATEWAY_HEADER_TIMEOUT", "10"))),
        "log_level": LogLevels(level.lower()) if level.lower() in LogLevels.__members__ else LogLevels.info,
        "log_dictconfig": log_config(environ.get("LOG_FORMAT"), level),
        "log_access": False,
        # gunicorn's arbiter starts a worker again when one dies; granian does when asked
        "respawn_failed_workers": True,
        # gunicorn's graceful_timeout (gateway/gunicorn.conf.py): requests in flight get 20 s at a stop
        "workers_kill_timeout": 20,
    }


def main(argv=None, environ=os.environ):
    parser = argparse.ArgumentParser(prog="python -m kepu_common.edge.granian_server", description=__doc__.split("\n")[0])
    parser.add_argument("--bind", help="host:port (default: GATEWAY_BIND, else 0.0.0.0:8000)")
    args = parser.parse_args(argv)
    if args.bind:
        environ["GATEWAY_BIND"] = args.bind
    from kepu_common.operations.metrics_dir import choose_multiprocess_dir

    # before the workers start: they inherit the directory through the environment
    choose_multiprocess_dir(environ, workers_share=True)
    Granian(**server_settings(environ)).serve()


if __name__ == "__main__":
    sys.exit(main())
