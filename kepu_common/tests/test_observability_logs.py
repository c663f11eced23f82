"""LOG_FORMAT=json: one JSON object per line with the ids of what is being handled (kepu_common/operations/log_context.py)."""
import io
import json
import logging

import pytest

from kepu_common.operations import log_context
from kepu_common.operations.log_context import JsonFormatter, bound, ids_of, wants_json


def record(message, *args, exc_info=None, name="kepu.test", level=logging.INFO):
    return logging.LogRecord(name, level, __file__, 1, message, args, exc_info)


@pytest.mark.parametrize("context, ids", [
    ("request=abc123", {"request_id": "abc123"}),
    ("event=6f1c", {"event_id": "6f1c"}),
    ("events=6f1c+4", {"event_id": "6f1c", "event_count": 5}),
    ("-", {}),
    (None, {}),
])
def test_ids_are_read_from_the_workers_context(context, ids):
    assert ids_of(context) == ids


def test_a_line_is_one_json_object_with_time_level_logger_message_and_ids():
    line = record("审核通过 %s", "t-1")
    line.context = "request=r-42"
    entry = json.loads(JsonFormatter("review").format(line))
    assert entry == {"time": entry["time"], "level": "INFO", "logger": "kepu.test", "message": "审核通过 t-1",
                     "service": "review", "request_id": "r-42"}
    assert entry["time"].endswith("Z") and entry["time"][10] == "T"  # UTC, ISO 8601, milliseconds
    assert len(entry["time"]) == len("2026-01-01T00:00:00.000Z")


def test_a_traceback_stays_inside_the_one_line():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        text = JsonFormatter("metrics").format(record("failed", exc_info=sys.exc_info(), level=logging.ERROR))
    assert "\n" not in text
    entry = json.loads(text)
    assert entry["level"] == "ERROR" and "RuntimeError: boom" in entry["exception"]


def test_the_gateways_request_id_attribute_is_used():
    line = record("GET /api/v1/me 200")
    line.request_id = "gw-1"
    assert json.loads(JsonFormatter("gateway").format(line))["request_id"] == "gw-1"


def test_log_format_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert wants_json()
    monkeypatch.setenv("LOG_FORMAT", "text")
    assert not wants_json() and wants_json("JSON")


def test_configure_with_json_writes_json_lines_carrying_the_event_id(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        log_context.configure("activities")
        stream = io.StringIO()
        root.handlers[0].setStream(stream)
        with bound("event=e-7"):
            logging.getLogger("services.activities").warning("applied %d", 3)
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    entry = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert entry["service"] == "activities" and entry["event_id"] == "e-7" and entry["message"] == "applied 3"
    assert entry["level"] == "WARNING" and entry["logger"] == "services.activities"


def test_the_gateways_library_loggers_write_json_lines_with_the_request_id(monkeypatch):
    """kepu_common's warnings in the gateway printed as bare text (Python's last resort): they reach the
    gateway's root handler now (Python warnings too, through logging.captureWarnings: pytest catches those
    itself, so tests/test_logs_and_alerts.py checks every line of the running processes)."""
    from gateway import create_app

    monkeypatch.setenv("LOG_FORMAT", "json")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        app = create_app({"TESTING": True})
        handler = next(h for h in root.handlers if getattr(h, log_context.ROOT_HANDLER_MARK, False))
        stream = io.StringIO()
        handler.setStream(stream)
        with app.test_request_context("/api/v1/me"):
            from flask import g

            g.request_id = "gw-9"
            logging.getLogger("kepu_common.bus.rpc_client").warning("broker away: %s", "retrying")
        create_app({"TESTING": True})  # an app made again replaces the handler, never adds a second
        assert sum(getattr(h, log_context.ROOT_HANDLER_MARK, False) for h in root.handlers) == 1
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
        logging.captureWarnings(False)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    library = next(e for e in lines if e["logger"] == "kepu_common.bus.rpc_client")
    assert (library["service"], library["level"], library["request_id"]) == ("gateway", "WARNING", "gw-9")
    assert library["message"] == "broker away: retrying"
