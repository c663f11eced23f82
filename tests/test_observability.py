"""/metrics on every process of the running platform (the journey platform, tests/conftest.py), and the
deploy files built on them: the Grafana dashboard and the Prometheus alert rules only name series the
processes export, and their PromQL parses (promql-parser, the Prometheus parser's Rust port)."""
import json
import re
import uuid
from pathlib import Path

import promql_parser
import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from kepu_common.operations import metrics_dir
from kepu_common.devtools.devstack import SERVICES

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SERVED = re.compile(r"metrics for (\w+) at (http://\S+/metrics)")
# series Prometheus writes itself for every target (the target-down alerts read `up`)
PROMETHEUS_OWN = {"up"}
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"),
            "gauge": ("",), "summary": ("", "_count", "_sum")}


def metrics_urls(platform):
    """Each process's /metrics: the services say where in their log (they take a free port here)."""
    urls = {"gateway": f"{platform.gateway_url}/metrics", "reviewui": f"{platform.review_ui_url}/metrics"}
    for name in SERVICES:
        found = SERVED.findall((platform.logs / f"{name}.log").read_text(errors="replace"))
        assert found, f"{name} did not log where it serves /metrics"
        urls[name] = found[-1][1]
    return urls


def scrape(url):
    """(samples {(name, labels): value}, exported series names) of one /metrics."""
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    samples, names = {}, set()
    for family in text_string_to_metric_families(answer.text):
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples, names


def total(samples, name, **labels):
    """Sum of the samples of a series whose labels include these."""
    wanted = set(labels.items())
    return sum(value for (sample_name, sample_labels), value in samples.items()
               if sample_name == name and wanted <= sample_labels)


def sign_up(platform):
    phone = f"137{uuid.uuid4().int % 10**8:08d}"
    api = f"{platform.gateway_url}/api/v1"
    sent = requests.post(f"{api}/auth/sms-code", json={"phone": phone}, timeout=10)
    assert sent.status_code == 202, sent.text
    registered = requests.post(f"{api}/auth/register", timeout=10,
                               json={"phone": phone, "code": sent.json()["debug_code"], "password": "kepu2026ok"})
    assert registered.status_code == 201, registered.text


def wait_for(condition, timeout=20):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def exported(platform):
    """Every process scraped before and after a /readyz (a health RPC to each service) and a sign-up
    (identity's outbox -> user_registered -> metrics' consumer)."""
    urls = metrics_urls(platform)
    before = {name: scrape(url)[0] for name, url in urls.items()}
    assert requests.get(f"{platform.gateway_url}/readyz", timeout=30).status_code == 200
    sign_up(platform)
    consumed = dict(service="metrics", source="identity", event_type="user_registered", outcome="ok")
    wait_for(lambda: total(scrape(urls["metrics"])[0], "kepu_events_consumed_total", **consumed)
             > total(before["metrics"], "kepu_events_consumed_total", **consumed))
    for name in SERVICES:  # a database server out of connection slots (a busy machine) answers a later scrape
        wait_for(lambda: total(scrape(urls[name])[0], "kepu_metrics_source_up", source="database") == 1)
    after, names = {}, set()
    for name, url in urls.items():
        after[name], exported_names = scrape(url)
        names |= exported_names
    return {"before": before, "after": after, "names": names}


def test_the_gateway_counts_requests_by_route_and_status(exported):
    before, after = exported["before"]["gateway"], exported["after"]["gateway"]
    labels = dict(route="/readyz", method="GET", status="200")
    assert total(after, "kepu_gateway_requests_total", **labels) \
        >= total(before, "kepu_gateway_requests_total", **labels) + 1
    assert total(after, "kepu_gateway_request_duration_seconds_count", route="/readyz") >= 1
    register = dict(route="/api/v1/auth/register", method="POST", status="201")
    assert total(after, "kepu_gateway_requests_total", **register) >= 1
    routes = {dict(labels)["route"] for name, labels in after if name == "kepu_gateway_requests_total"}
    assert all(not re.search(r"/\d{5,}", route) for route in routes)  # templates, never raw paths


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_counts_its_rpc_calls_and_reads_its_outbox(exported, service):
    before, after = exported["before"][service], exported["after"][service]
    health = dict(service=service, method="health", outcome="ok")
    assert total(after, "kepu_rpc_duration_seconds_count", **health) \
        > total(before, "kepu_rpc_duration_seconds_count", **health)
    assert (("kepu_outbox_pending_events", frozenset({("service", service)})) in after)
    assert (("kepu_outbox_oldest_pending_age_seconds", frozenset({("service", service)})) in after)
    assert total(after, "kepu_metrics_source_up", service=service, source="database") == 1
    assert ("kepu_dead_letter_messages", frozenset({("queue", "kepu.dead-letter")})) in after


def test_consumed_events_and_the_review_queues_are_exported(exported):
    consumed = dict(service="metrics", source="identity", event_type="user_registered", outcome="ok")
    assert total(exported["after"]["metrics"], "kepu_events_consumed_total", **consumed) \
        > total(exported["before"]["metrics"], "kepu_events_consumed_total", **consumed)
    assert total(exported["after"]["identity"], "kepu_rpc_duration_seconds_count", method="register") >= 1
    assert "kepu_review_oldest_task_age_seconds" in exported["names"]


# --- deploy files ---------------------------------------------------------------------------------

def selector_names(expr):
    """Metric names a PromQL expression reads; a syntax error raises."""
    names = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            names.append(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def dashboard_exprs():
    dashboard = json.loads((DEPLOY / "grafana" / "kepu.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def alert_rules():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def test_selector_names_are_read_from_promql():
    assert selector_names('histogram_quantile(0.9, sum by (le) (rate(a_bucket{x="1"}[5m]))) / on() b > 2') == \
        ["a_bucket", "b"]
    with pytest.raises(Exception):
        selector_names("sum(rate(a[5m])")


def test_the_dashboard_shows_what_the_issue_asks_for():
    exprs = " ".join(dashboard_exprs())
    for needed in ("kepu_gateway_requests_total", 'status=~"5.."', "histogram_quantile(0.99",
                   "kepu_gateway_request_duration_seconds_bucket", "kepu_rpc_duration_seconds_bucket",
                   "kepu_events_consumed_total", "kepu_outbox_pending_events", "kepu_outbox_oldest_pending_age_seconds",
                   "kepu_dead_letter_messages", "kepu_review_oldest_task_age_seconds"):
        assert needed in exprs, needed


def test_alert_rules_are_well_formed_and_cover_the_issue():
    groups = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
    assert len({group["name"] for group in groups}) == len(groups)
    names = []
    for rule in alert_rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, rule
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule["alert"])
        assert re.fullmatch(r"\d+[smhd]", rule.get("for", "0s"))
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert {"summary", "description"} <= set(rule["annotations"])
        anchor = f"#{rule['alert'].lower()}"
        assert anchor in rule["annotations"]["description"], f"{rule['alert']} does not point at its runbook"
        selector_names(rule["expr"])
        names.append(rule["alert"])
    assert len(names) == len(set(names))
    covered = " ".join(rule["expr"] for rule in alert_rules())
    for needed in ("kepu_outbox_pending_events", "kepu_dead_letter_messages", "kepu_review_oldest_task_age_seconds",
                   'kepu_gateway_requests_total{status=~"5.."}', 'up{job="kepu-services"} == 0',
                   'up{job="kepu-gateway"} == 0', 'up{job="kepu-review-ui"} == 0'):
        assert needed in covered, needed
    runbook = (DEPLOY.parent / "docs" / "observability.md").read_text()
    for name in names:
        assert f"### {name}" in runbook, f"docs/observability.md does not explain {name}"


def test_the_scrape_config_loads_the_alert_rules():
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"kepu-services", "kepu-gateway", "kepu-review-ui"}
    assert set(jobs["kepu-services"]["dns_sd_configs"][0]["names"]) == set(SERVICES)


def test_every_series_the_dashboard_and_alerts_read_is_exported(exported):
    exprs = dashboard_exprs() + [rule["expr"] for rule in alert_rules()]
    read = {name for expr in exprs for name in selector_names(expr)}
    assert read and read <= exported["names"] | PROMETHEUS_OWN, sorted(read - exported["names"] - PROMETHEUS_OWN)


# --- the gateway's metrics, without the platform ------------------------------------------------

def test_gunicorns_workers_share_a_directory_per_master(tmp_path):
    assert metrics_dir.choose_multiprocess_dir({}, tmp_path) is None  # one process: no files
    set_by_deployment = {"PROMETHEUS_MULTIPROC_DIR": "/var/run/kepu-metrics"}
    assert metrics_dir.choose_multiprocess_dir(set_by_deployment, tmp_path) == "/var/run/kepu-metrics"
    gone = tmp_path / f"{metrics_dir.MULTIPROC_PREFIX}999999999"
    gone.mkdir()
    environ = {"SERVER_SOFTWARE": "gunicorn/23.0.0"}
    chosen = metrics_dir.choose_multiprocess_dir(environ, tmp_path, pid=4242)
    assert chosen == str(tmp_path / f"{metrics_dir.MULTIPROC_PREFIX}4242") == environ["PROMETHEUS_MULTIPROC_DIR"]
    assert Path(chosen).is_dir() and not gone.exists()  # a master that is gone leaves nothing behind


def test_gateway_metrics_are_for_its_scrapers_only_and_labelled_by_route():
    from gateway import create_app

    app = create_app({"TESTING": True})
    try:
        client = app.test_client()
        org_id = str(uuid.uuid4())
        assert client.get(f"/api/v1/orgs/{org_id}/members").status_code == 401  # refused before any RPC
        client.get("/no/such/path/42")
        outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert outside.status_code == 404 and outside.json["error"]["code"] == "not_found"
        text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).text
    finally:
        app.extensions["rpc"].close()
    assert 'route="/api/v1/orgs/<uuid:org_id>/members",status="401"' in text and 'route="unmatched"' in text
    assert org_id not in text and "/no/such/path" not in text
