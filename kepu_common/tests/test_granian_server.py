"""The gateway's API under granian (kepu_common/edge/granian_server.py): its settings from the environment, and
its workers' counters summed at every scrape, as under gunicorn."""
import logging.config
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from kepu_common.devtools import devstack
from kepu_common.edge import granian_server

ROOT = Path(__file__).resolve().parents[2]


def test_settings_come_from_the_gateways_environment():
    found = granian_server.server_settings({"GATEWAY_BIND": "127.0.0.1:8123", "GATEWAY_WORKERS": "3",
                                            "GATEWAY_THREADS": "8", "GATEWAY_HEADER_TIMEOUT": "7"})
    assert (found["target"], found["address"], found["port"]) == ("gateway.wsgi:app", "127.0.0.1", 8123)
    assert (found["workers"], found["blocking_threads"]) == (3, 8)
    assert found["http1_settings"].header_read_timeout == 7000
    assert found["interface"].value == "wsgi" and found["http"].value == "1" and found["websockets"] is False
    # the application writes the access line (with its request id); granian's would be a second one
    assert found["log_access"] is False and found["respawn_failed_workers"] is True
    defaults = granian_server.server_settings({})
    assert (defaults["address"], defaults["port"], defaults["workers"], defaults["blocking_threads"]) == (
        "0.0.0.0", 8000, 2, 16)
    assert granian_server.server_settings({"GATEWAY_BIND": "[::1]:9000"})["address"] == "::1"


@pytest.mark.parametrize("seconds, millis", [("10", 10000), ("0.5", 500), ("0", 60000), ("-1", 60000),
                                             ("120", 60000)])
def test_the_header_deadline_stays_within_what_granian_accepts(seconds, millis):
    # 0 is "no deadline" for gunicorn; granian needs 1 ms to 60 s, so the loosest it has
    assert granian_server.header_read_ms(seconds) == millis


@pytest.mark.parametrize("bind", ["8000", "localhost", ":8000", "host:port"])
def test_a_bind_without_host_and_port_is_refused_by_name(bind):
    with pytest.raises(SystemExit, match="GATEWAY_BIND"):
        granian_server.split_bind(bind)


def test_granians_own_lines_use_the_platforms_formatter(capsys):
    logging.config.dictConfig(granian_server.log_config("json", "INFO"))
    try:
        logging.getLogger("_granian").info("Listening at: http://127.0.0.1:1")
        line = capsys.readouterr().err.strip()
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                                   "loggers": {"_granian": {"handlers": [], "propagate": True}}})
    assert re.fullmatch(r'\{"time": "[^"]+Z", "level": "INFO", "logger": "_granian", "message": "Listening at: '
                        r'http://127.0.0.1:1", "service": "gateway"\}', line)
    text = granian_server.log_config("text", "INFO")
    assert text["formatters"]["platform"]["fmt"] == granian_server.TEXT_FORMAT


def healthz_count(text):
    found = re.search(r'^kepu_gateway_requests_total\{[^}]*route="/healthz"[^}]*\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_every_worker_answers_the_sum_of_all_workers_counters(tmp_path):
    """Two workers: a scrape reaches one of them, and it answers what both counted."""
    port = devstack.free_port()
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    # the launcher chooses the shared directory itself, in the temporary directory
    env.update(GATEWAY_BIND=f"127.0.0.1:{port}", GATEWAY_WORKERS="2", GATEWAY_THREADS="2", TMPDIR=str(tmp_path))
    log = open(tmp_path / "granian.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "kepu_common.edge.granian_server"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        devstack.wait_for_port("127.0.0.1", port, 90, "granian")
        base = f"http://127.0.0.1:{port}"
        (metrics_dir,) = tmp_path.glob("kepu-gateway-metrics-*")
        sent = 0
        # a new connection per request, until both workers have counted something (each writes its own file)
        while len(list(metrics_dir.glob("counter_*.db"))) < 2 and sent < 2000:
            with requests.Session() as once:
                assert once.get(f"{base}/healthz", timeout=10).status_code == 200
            sent += 1
        assert len(list(metrics_dir.glob("counter_*.db"))) == 2, "one worker answered everything"
        for _ in range(6):
            with requests.Session() as once:
                assert healthz_count(once.get(f"{base}/metrics", timeout=10).text) == sent
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    assert "Traceback" not in (tmp_path / "granian.log").read_text(errors="replace")
