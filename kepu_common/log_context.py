"""Ids on every service log line, and quiet logs for a client's mistakes.

A worker (an RPC call or a batch of events) runs in its own green thread; `WorkerLogContext` (a
DependencyProvider every PlatformService has) puts the gateway's request id, or the ids of the
events being handled, in a green-thread-local that `ContextFilter` adds to each record as
`%(context)s`. nameko logs every exception an entrypoint raises with its traceback (ERROR, or
WARNING for expected exceptions): `ExpectedErrorFilter` turns a client's mistake (a KepuError with a
4xx status, or a marshmallow ValidationError) into one INFO line without the traceback.
"""
import logging
import threading

from nameko.extensions import DependencyProvider

_local = threading.local()  # green-thread-local once eventlet has monkey-patched threading
FORMAT = "%(asctime)s {service} %(levelname)s [%(context)s] %(name)s: %(message)s"


def current():
    return getattr(_local, "context", "-")


def current_locale():
    """The language of the reader a worker answers (the gateway's Accept-Language), or None."""
    return getattr(_local, "locale", None)


def set_context(value):
    _local.context = value or "-"


class bound:
    """with bound(f"event={event_id}"): lines inside carry that id, the outer context comes back after."""

    def __init__(self, value):
        self.value = value

    def __enter__(self):
        self.outer = current()
        set_context(self.value)

    def __exit__(self, *exc):
        set_context(self.outer)


def events_context(events):
    ids = [str(event.get("event_id")) for event in events]
    if len(ids) == 1:
        return f"event={ids[0]}"
    return f"events={ids[0]}+{len(ids) - 1}" if ids else "-"


class WorkerLogContext(DependencyProvider):
    def worker_setup(self, worker_ctx):
        _local.locale = (worker_ctx.data or {}).get("locale")
        request_id = (worker_ctx.data or {}).get("request_id")
        if request_id:
            set_context(f"request={request_id}")
        elif worker_ctx.args and isinstance(worker_ctx.args[0], list) and worker_ctx.args[0] \
                and isinstance(worker_ctx.args[0][0], dict) and "event_id" in worker_ctx.args[0][0]:
            set_context(events_context(worker_ctx.args[0]))
        else:
            set_context("-")

    def worker_teardown(self, worker_ctx):
        set_context("-")
        _local.locale = None


class ContextFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "context"):
            record.context = current()
        return True


def is_expected(exc):
    from marshmallow import ValidationError

    from kepu_common.errors import KepuError

    return (isinstance(exc, KepuError) and exc.expected) or isinstance(exc, ValidationError)


class ExpectedErrorFilter(logging.Filter):
    """On nameko's container logger: a client's mistake is one INFO line, with no traceback."""

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_expected(exc):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "refused: %s (%s)", (type(exc).__name__, exc)
            record.exc_info = record.exc_text = None
        return True


def configure(service, level="INFO"):
    """Logging for a service process: ids on every line, client mistakes at INFO."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT.format(service=service)))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    install_expected_filter()


def install_expected_filter():
    container_log = logging.getLogger("nameko.containers")
    if not any(isinstance(f, ExpectedErrorFilter) for f in container_log.filters):
        container_log.addFilter(ExpectedErrorFilter())
