"""Ids on every service log line, and quiet logs for a client's mistakes.

A worker (an RPC call or a batch of events) runs in its own green thread; `WorkerLogContext` (a
DependencyProvider every PlatformService has) puts the gateway's request id, or the ids of the
events being handled, in a green-thread-local that `ContextFilter` adds to each record as
`%(context)s`. nameko logs every exception an entrypoint raises with its traceback (ERROR, or
WARNING for expected exceptions): `ExpectedErrorFilter` turns a client's mistake (a KepuError with a
4xx status, or a marshmallow ValidationError) into one INFO line without the traceback.

LOG_FORMAT=json writes one JSON object per line instead (`JsonFormatter`, for a log collector): time
(UTC, ISO 8601), level, logger, message, service, request_id or event_id (event_count for a batch),
and exception with the traceback when there is one; an access line carries method, path, status,
duration_ms (and bytes) as fields of their own (`ACCESS_FIELDS`, passed as `extra=`). Field names and
their ECS equivalents: docs/observability.md, "Logs".

`configure` is for a service process (the whole root logger is its); `install_root_handler` for the web
processes (gateway, review UI): their library loggers (kepu_common, werkzeug, py.warnings) reach the same
handler as their own lines, so no line falls to Python's bare "last resort" text. gunicorn's own lines go
through kepu_common.edge.gunicorn_logging.
"""
import json
import logging
import os
import threading
from datetime import datetime, timezone

from kepu_common.interfaces import messages

_local = threading.local()  # green-thread-local once eventlet has monkey-patched threading
FORMAT = "%(asctime)s {service} %(levelname)s [%(context)s] %(name)s: %(message)s"


def current():
    return getattr(_local, "context", "-")


def current_locale():
    """The language of the reader a worker answers (the gateway's Accept-Language), or None."""
    return getattr(_local, "locale", None)


messages.use_locale_source(current_locale)  # label() answers in the worker's reader's language


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


def set_locale(value):
    """The language of the reader the current worker answers (kepu_common.bus.service_base.WorkerLogContext)."""
    _local.locale = value


class ContextFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "context"):
            record.context = current()
        return True


def is_expected(exc):
    from marshmallow import ValidationError

    from kepu_common.interfaces.errors import KepuError

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


def ids_of(context):
    """`request=<id>` -> {"request_id": id}; `event=<id>`, `events=<first>+<n>` -> event_id (and event_count)."""
    kind, _, value = (context or "-").partition("=")
    if kind == "request":
        return {"request_id": value}
    if kind == "event":
        return {"event_id": value}
    if kind == "events":
        first, _, more = value.partition("+")
        return {"event_id": first, "event_count": 1 + int(more)} if more.isdigit() else {"event_id": first}
    return {}


# fields an access line carries besides its message (logger.info(..., extra={"method": ..., ...}))
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "bytes")


class JsonFormatter(logging.Formatter):
    """One JSON object per line. The ids come from ContextFilter's `context` (services) or a
    `request_id` attribute (the gateway's RequestIdFilter)."""

    def __init__(self, service):
        super().__init__()
        self.service = service

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
        }
        entry.update(ids_of(getattr(record, "context", None)))
        request_id = getattr(record, "request_id", None)
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        for name in ACCESS_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def wants_json(log_format=None):
    """LOG_FORMAT=json (the environment unless given); anything else is the text format."""
    return (log_format or os.environ.get("LOG_FORMAT", "text")).strip().lower() == "json"


def configure(service, level="INFO", log_format=None):
    """Logging for a service process: ids on every line, client mistakes at INFO; JSON lines with LOG_FORMAT=json."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service) if wants_json(log_format)
                         else logging.Formatter(FORMAT.format(service=service)))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # a library's warning is a line like the others, not bare text
    install_expected_filter()


ROOT_HANDLER_MARK = "_kepu_root_handler"


def install_root_handler(service, level="INFO", log_format=None, filters=(), text_format=None):
    """The web processes' logging: one handler on the root logger (JSON lines with LOG_FORMAT=json), replacing
    the one installed before (an app made again in tests), leaving any other handler (pytest's) in place.
    Python warnings are logged through it too (py.warnings) instead of printed bare."""
    handler = logging.StreamHandler()
    setattr(handler, ROOT_HANDLER_MARK, True)
    handler.setFormatter(JsonFormatter(service) if wants_json(log_format)
                         else logging.Formatter(text_format or FORMAT.format(service=service)))
    for item in filters or (ContextFilter(),):
        handler.addFilter(item)
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not getattr(h, ROOT_HANDLER_MARK, False)] + [handler]
    root.setLevel(level)
    logging.captureWarnings(True)
    return handler


def install_expected_filter():
    container_log = logging.getLogger("nameko.containers")
    if not any(isinstance(f, ExpectedErrorFilter) for f in container_log.filters):
        container_log.addFilter(ExpectedErrorFilter())
