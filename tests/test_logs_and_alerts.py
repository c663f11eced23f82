"""The platform as ops teams run it, checked with their tools.

- LOG_FORMAT=json: every line every process writes (five services, the gateway under gunicorn and under
  granian, the review UI, gunicorn's and granian's own lines and the access lines) is one JSON object with the
  fields docs/observability.md names; an access line has method, path, status and duration_ms as fields.
- A real Prometheus (Debian's `prometheus` package; .ci/run installs it) with the project's scrape
  configuration and alert rules (deploy/prometheus; only the discovery, the intervals and the target-down
  rules' `for` are shortened here) scrapes every process, and the target-down alert of a job fires when one
  of its processes is killed.

Waits are for conditions, with generous limits (the machine is shared); nothing asserts a duration.
"""
import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from kepu_common.devtools import devstack
from kepu_common.devtools.devstack import SERVICES
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
PROCESSES = SERVICES + ("gateway", "gateway-api", "reviewui")
FIELDS = {"time", "level", "logger", "message", "service"}
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def wait_for(condition, what, limit=180.0, every=0.5):
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(every)


@pytest.fixture(scope="module")
def json_platform(tmp_path_factory, jwt_keys, s3_endpoint):
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("json-logs"),
        jwt_keys["public_path"], components=PROCESSES, LOG_FORMAT="json", GATEWAY_ACCESS_LOG="1", GATEWAY_WORKERS=1, GATEWAY_THREADS=4,
        MAX_WORKERS=2, OUTBOX_POLL_INTERVAL=0.5,
    ) as platform:
        yield platform


def log_lines(platform, name):
    return (platform.logs / f"{name}.log").read_text(errors="replace").splitlines()


def entries(platform, name):
    """Every line of a process's log (stdout and stderr) as JSON objects: fails on the first line that is not."""
    found = []
    for number, line in enumerate(log_lines(platform, name), 1):
        try:
            entry = json.loads(line)
        except ValueError:
            raise AssertionError(f"{name}.log line {number} is not JSON: {line[:300]!r}") from None
        assert isinstance(entry, dict) and FIELDS <= set(entry), (name, number, line[:300])
        found.append(entry)
    return found


def metrics_addresses(platform):
    """host:port of every process's /metrics: the services name theirs in a log line (a free port here)."""
    found = {"gateway": platform.gateway_url.split("//")[1], "gateway-api": platform.gateway_api_url.split("//")[1],
             "reviewui": platform.review_ui_url.split("//")[1]}
    for name in SERVICES:
        said = [e["message"] for e in entries(platform, name) if e["message"].startswith(f"metrics for {name} at ")]
        assert said, f"{name} did not log where it serves /metrics"
        found[name] = said[-1].split("http://", 1)[1].split("/", 1)[0]
    return found


def test_every_line_of_every_process_is_one_json_object(json_platform):
    platform = json_platform
    api = f"{platform.gateway_url}/api/v1"
    assert requests.get(f"{platform.gateway_url}/healthz", timeout=10).status_code == 200
    refused = requests.post(f"{api}/auth/sms-code", json={"phone": "12"}, timeout=10)
    assert refused.status_code == 400, refused.text  # a client mistake: one INFO line in identity, no traceback
    assert requests.get(f"{api}/no/such/path", timeout=10).status_code == 404
    assert requests.get(f"{platform.review_ui_url}/healthz", timeout=10).status_code == 200
    # something every service logs about, besides starting: a sign-up (identity) and the events it sends
    phone = f"136{uuid.uuid4().int % 10**8:08d}"
    sent = requests.post(f"{api}/auth/sms-code", json={"phone": phone}, timeout=10)
    assert sent.status_code == 202, sent.text

    def access_line():
        return [e for e in entries(platform, "gateway")
                if e["logger"] == "gunicorn.access" and e.get("path") == "/api/v1/no/such/path"]

    line = wait_for(access_line, "the gateway's access line")[-1]
    assert (line["method"], line["status"], line["service"]) == ("GET", 404, "gateway")
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    assert isinstance(line["bytes"], int) and line["request_id"]

    # under granian the application writes the access line itself (granian's own access log stays off)
    asked = requests.get(f"{platform.gateway_api_url}/api/v1/no/such/path?phone=13600000000", timeout=10)
    assert asked.status_code == 404

    def api_access_line():
        return [e for e in entries(platform, "gateway-api")
                if e["logger"] == "gateway.access" and e.get("path") == "/api/v1/no/such/path"]

    line = wait_for(api_access_line, "the granian gateway's access line")[-1]
    assert (line["method"], line["status"], line["service"]) == ("GET", 404, "gateway")
    assert isinstance(line["duration_ms"], (int, float)) and line["request_id"] == asked.headers["X-Request-ID"]
    assert "13600000000" not in (platform.logs / "gateway-api.log").read_text()  # no query in a log line

    for name in PROCESSES:
        found = entries(platform, name)
        assert found, f"{name} wrote nothing"
        for entry in found:
            assert entry["time"].endswith("Z") and entry["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    gunicorn_lines = {(e["service"], e["logger"]) for name in ("gateway", "reviewui") for e in entries(platform, name)}
    assert {("gateway", "gunicorn.error"), ("review-ui", "gunicorn.error")} <= gunicorn_lines
    assert ("gateway", "_granian") in {(e["service"], e["logger"]) for e in entries(platform, "gateway-api")}
    assert {e["service"] for e in entries(platform, "identity")} == {"identity"}


# --- a real Prometheus ------------------------------------------------------------------------------

def prometheus_config(addresses, rules_path):
    """The project's scrape configuration with its DNS discovery replaced by this platform's addresses (the
    labels its relabelling gives are given here), and short intervals."""
    project = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = []
    for job in project["scrape_configs"]:
        kept = {key: value for key, value in job.items() if key not in ("dns_sd_configs", "relabel_configs")}
        if job["job_name"] == "kepu-services":
            kept["static_configs"] = [{"targets": [addresses[name]], "labels": {"kepu_service": name}}
                                      for name in SERVICES]
        elif job["job_name"] == "kepu-gateway":  # the API (granian) and the uploads (gunicorn)
            kept["static_configs"] = [{"targets": [addresses[name]], "labels": {"kepu_gateway": label}}
                                      for name, label in (("gateway-api", "gateway"), ("gateway", "gateway-uploads"))]
        else:
            kept["static_configs"] = [{"targets": [addresses["reviewui"]]}]
        jobs.append(kept)
    return {"global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules_path)], "scrape_configs": jobs}


def short_rules():
    """The project's alert rules as they are, but a target-down rule fires after 2 s instead of minutes."""
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule["alert"].endswith("TargetDown"):
                rule["for"] = "2s"
    return rules


@pytest.fixture
def prometheus(json_platform, tmp_path):
    if not Path(PROMETHEUS).exists():
        pytest.fail("Prometheus is not installed: apt-get install prometheus (.ci/run does)")
    rules_path = tmp_path / "alerts.yml"
    rules_path.write_text(yaml.safe_dump(short_rules(), allow_unicode=True))
    config_path = tmp_path / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(prometheus_config(metrics_addresses(json_platform), rules_path)))
    port = devstack.free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    process = subprocess.Popen([PROMETHEUS, f"--config.file={config_path}", f"--storage.tsdb.path={tmp_path / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def ready():
        assert process.poll() is None, (tmp_path / "prometheus.log").read_text()[-3000:]
        try:
            return requests.get(f"{url}/-/ready", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_for(ready, "Prometheus to start")
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def targets(url):
    return requests.get(f"{url}/api/v1/targets", timeout=10).json()["data"]["activeTargets"]


def firing(url, alert):
    alerts = requests.get(f"{url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return [a["labels"] for a in alerts if a["labels"]["alertname"] == alert and a["state"] == "firing"]


def test_prometheus_scrapes_every_process_and_fires_target_down_when_one_dies(json_platform, prometheus):
    groups = requests.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
    loaded = {rule["name"] for group in groups for rule in group["rules"]}
    project = {rule["alert"] for group in short_rules()["groups"] for rule in group["rules"]}
    assert loaded == project  # Prometheus itself loaded every rule of the project

    def all_up():
        found = targets(prometheus)
        return len(found) == len(PROCESSES) and all(t["health"] == "up" for t in found) and found

    up = wait_for(all_up, "every target up")
    assert {t["labels"]["job"] for t in up} == {"kepu-services", "kepu-gateway", "kepu-review-ui"}
    assert {t["labels"].get("kepu_service") for t in up if t["labels"]["job"] == "kepu-services"} == set(SERVICES)
    assert {t["labels"].get("kepu_gateway") for t in up if t["labels"]["job"] == "kepu-gateway"} == {
        "gateway", "gateway-uploads"}
    # the review UI answers Prometheus (a 404, as before, is a scrape error and `up` 0)
    review_ui = next(t for t in up if t["labels"]["job"] == "kepu-review-ui")
    assert review_ui["lastError"] == "" and review_ui["scrapeUrl"].endswith("/metrics")
    # before the first scrapes `up` is absent, which the rules count as down: once every target answered,
    # the next evaluations resolve them
    down_alerts = ("KepuServiceTargetDown", "KepuGatewayTargetDown", "KepuReviewUiTargetDown")
    wait_for(lambda: not any(firing(prometheus, alert) for alert in down_alerts), "no target-down alert firing")

    json_platform.kill("metrics")
    fired = wait_for(lambda: firing(prometheus, "KepuServiceTargetDown"), "KepuServiceTargetDown to fire")
    assert [labels["kepu_service"] for labels in fired] == ["metrics"]
    json_platform.kill("reviewui")
    wait_for(lambda: firing(prometheus, "KepuReviewUiTargetDown"), "KepuReviewUiTargetDown to fire")
    assert firing(prometheus, "KepuGatewayTargetDown") == []


def test_compose_lets_its_prometheus_scrape_the_review_ui_and_names_the_logger_class():
    """Under compose's monitoring profile Prometheus reaches review-ui:8100/metrics from the compose network
    (172.x by default, or 192.168.x / 10.x address pools): the UI's default scrapers cover them, as the
    gateway's do, and the job asks the port the UI listens on."""
    from kepu_common.operations.networks import is_internal, parse_networks

    compose = yaml.safe_load((DEPLOY.parent / "docker-compose.yml").read_text())
    services = compose["services"]

    def default(value):
        return value.split(":-", 1)[1].rstrip("}") if value.startswith("${") else value

    review_ui = services["review-ui"]
    scrapers = parse_networks(default(review_ui["environment"]["REVIEW_UI_METRICS_NETWORKS"]))
    gateway = parse_networks(default(services["gateway"]["environment"]["GATEWAY_METRICS_NETWORKS"]))
    for prometheus_address in ("172.18.0.7", "192.168.16.4", "10.89.0.3"):
        assert is_internal(prometheus_address, scrapers) and is_internal(prometheus_address, gateway)
    assert not is_internal("203.0.113.9", scrapers)
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "kepu-review-ui")
    command = review_ui["command"]
    assert str(job["dns_sd_configs"][0]["port"]) == command[command.index("--bind") + 1].rsplit(":", 1)[1]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    config_file = DEPLOY.parent / command[command.index("-c") + 1]
    assert 'logger_class = "kepu_common.edge.gunicorn_logging.Logger"' in config_file.read_text()
    assert "prometheus" in services and "monitoring" in services["prometheus"]["profiles"]
