"""The deployment files stay valid and agree with each other and with the gateway: docker compose accepts
the compose file, manifests parse, the proxy (deploy/nginx) fronts the gateway with the gateway's own limits,
its error pages are the envelope with the catalogue's texts, and (when nginx is installed) it really does."""
import json
import re
import shutil
import socket
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import yaml

from gateway import settings as gateway_settings
from kepu_common.devtools import devstack
from kepu_common.interfaces import messages
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API

ROOT = devstack.ROOT
NGINX_DIR = ROOT / "deploy" / "nginx"
K8S = ROOT / "deploy" / "k8s"
MB = 1024 * 1024
# the status each error page answers -> the catalogue key its message is
ERROR_PAGES = {400: "bad_request", 404: "no_such_endpoint", 408: "edge_request_timeout", 413: "body_too_large",
               414: "uri_too_long", 431: "request_header_fields_too_large", 502: "edge_bad_gateway",
               503: "edge_service_unavailable", 504: "edge_gateway_timeout"}


def compose_available():
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def k8s_documents(name):
    return [document for document in yaml.safe_load_all((K8S / name).read_text()) if document]


def nginx_conf():
    return (NGINX_DIR / "nginx.conf").read_text()


def locations(conf):
    """{location argument: its body} for each location block (no nested blocks in ours)."""
    return {match.group(1).strip(): match.group(2)
            for match in re.finditer(r"^\s*location\s+([^{]+)\{(.*?)^\s*\}", conf, re.M | re.S)}


def directive(body, name):
    match = re.search(rf"^\s*{name}\s+([^;]+);", body, re.M)
    return match.group(1).strip() if match else None


def size_bytes(text):
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", text.strip().lower()).groups()
    return int(number) * {"": 1, "k": 1024, "m": MB, "g": 1024 * MB}[unit]


@pytest.mark.skipif(not compose_available(), reason="the docker client with its compose plugin is not installed")
def test_docker_compose_accepts_the_compose_file():
    result = subprocess.run(["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not compose_available(), reason="the docker client with its compose plugin is not installed")
def test_every_service_scales_and_runs_its_own_command():
    result = subprocess.run(["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config",
                             "--format", "json"], capture_output=True, text=True, check=True)
    services = json.loads(result.stdout)["services"]
    for name in devstack.SERVICES:
        assert "container_name" not in services[name] and not services[name].get("ports")
        assert services[name]["command"][-1] == name
    assert services["proxy"]["ports"] and not services["gateway"].get("ports")
    assert not services["gateway-uploads"].get("ports")


def test_kubernetes_manifests_parse_and_cover_every_service():
    kinds = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                kinds.setdefault(document["kind"], set()).add(document.get("metadata", {}).get("name"))
    assert set(devstack.SERVICES) | {"gateway", "gateway-uploads", "edge-errors"} <= kinds["Deployment"]


# ---- docker compose: the proxy in front of the gateway ------------------------------------------------

def test_only_the_proxy_is_published_and_it_reaches_the_gateway():
    services = compose()["services"]
    gateway, proxy = services["gateway"], services["proxy"]
    assert not gateway.get("ports"), "the gateway is reached through the proxy only"
    gateway_port = gateway["environment"]["GATEWAY_BIND"].rsplit(":", 1)[1]
    assert gateway_port in [str(port) for port in gateway["expose"]]
    # nginx's upstream is the gateway's service name and port
    assert re.search(rf"^\s*server\s+gateway:{gateway_port}\b", nginx_conf(), re.M)
    # the published ports lead to the ports nginx listens on: the API's first, then the review UI's
    listens = re.findall(r"^\s*listen\s+(\d+);", nginx_conf(), re.M)
    assert [port.rsplit(":", 1)[1] for port in proxy["ports"]] == listens
    assert proxy["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert f"http://127.0.0.1:{listens[0]}/healthz" in " ".join(proxy["healthcheck"]["test"])
    # the split gateway (docs/architecture.md): the same image, settings and port; granian for the API,
    # gunicorn's hardened worker for the streamed uploads
    uploads = services["gateway-uploads"]
    assert not uploads.get("ports") and uploads["environment"] == gateway["environment"]
    assert uploads["expose"] == gateway["expose"] and uploads["image"] == gateway["image"]
    assert re.search(rf"^\s*server\s+gateway-uploads:{gateway_port}\b", nginx_conf(), re.M)
    assert proxy["depends_on"]["gateway-uploads"]["condition"] == "service_healthy"
    assert gateway["command"] == ["python", "-m", "kepu_common.edge.granian_server"]
    assert uploads["command"] == ["gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"]


def test_the_review_ui_is_reached_through_the_proxy_too():
    services = compose()["services"]
    review_ui = services["review-ui"]
    assert not review_ui.get("ports")
    bind_port = review_ui["command"][review_ui["command"].index("--bind") + 1].rsplit(":", 1)[1]
    assert bind_port in [str(port) for port in review_ui["expose"]]
    assert re.search(rf"^\s*server\s+review-ui:{bind_port}\b", nginx_conf(), re.M)
    assert int(review_ui["environment"]["REVIEW_UI_TRUSTED_PROXIES"]) == 1
    assert "return 404" in locations(nginx_conf())["= /metrics"]


def test_the_proxy_mounts_the_files_it_includes():
    mounts = dict(volume.rsplit(":", 1)[0].split(":", 1) for volume in compose()["services"]["proxy"]["volumes"])
    assert mounts["./deploy/nginx/nginx.conf"] == "/etc/nginx/nginx.conf"
    included = re.findall(r"^\s*include\s+([^;]+);", nginx_conf(), re.M)
    assert included == [mounts["./deploy/nginx/errors.conf"]]
    for source in mounts:
        assert (ROOT / source).is_file(), source


def test_the_gateway_trusts_exactly_the_proxy_and_nginx_sets_the_client_address():
    environment = compose()["services"]["gateway"]["environment"]
    assert int(environment["GATEWAY_TRUSTED_PROXIES"]) == 1
    # replaced, not appended: a client's own X-Forwarded-For never reaches the gateway
    assert directive(nginx_conf(), "proxy_set_header X-Forwarded-For") == "$remote_addr"


def test_body_limits_match_the_gateway():
    conf = nginx_conf()
    json_limit = size_bytes(directive(conf, "client_max_body_size"))
    assert json_limit == gateway_settings.from_env({})["MAX_CONTENT_LENGTH"]
    assert json_limit == int(compose()["services"]["gateway"]["environment"]["GATEWAY_MAX_JSON_BYTES"])
    blocks = locations(conf)
    from services.identity.constants import LICENCE_MAX_BYTES
    from services.resources.constants import UPLOAD_PURPOSES
    largest = max(limit for _, limit in UPLOAD_PURPOSES.values())  # the default limits (RESOURCE_MAX_MB_* may lower)
    assert size_bytes(directive(blocks["~ ^/api/v1/uploads/[^/]+/content$"], "client_max_body_size")) == largest
    assert size_bytes(directive(blocks["= /api/v1/orgs/licence"], "client_max_body_size")) == LICENCE_MAX_BYTES
    from services.metrics.constants import MALL_IMAGE_MAX_BYTES
    assert size_bytes(directive(blocks["= /api/v1/mall/images"], "client_max_body_size")) == MALL_IMAGE_MAX_BYTES


def test_header_limits_match_gunicorn():
    conf = nginx_conf()
    count, size = directive(conf, "large_client_header_buffers").split()
    gunicorn = {}
    exec((ROOT / "gateway" / "gunicorn.conf.py").read_text(), gunicorn)
    assert size_bytes(size) - 2 == gunicorn["limit_request_line"] == gunicorn["limit_request_field_size"]
    assert gunicorn["worker_class"] == "gateway.gunicorn_worker.GatewayWorker"


def streaming_rules():
    """Every gateway route whose view streams its body (body_rules.streams_body), with a sample path."""
    from gateway import create_app

    app = create_app({"TESTING": True})
    try:
        found = set()
        for rule in app.url_map.iter_rules():
            view = app.view_functions[rule.endpoint]
            if getattr(view, "streams_body", False) or getattr(getattr(view, "view_class", None), "streams_body", False):
                sample = re.sub(r"<uuid:[^>]+>", str(uuid.uuid4()), rule.rule)
                found.add((sample, frozenset(rule.methods - {"HEAD", "OPTIONS"})))
        return found
    finally:
        app.extensions["rpc"].close()


def matching_location(blocks, path):
    exact = [body for argument, body in blocks.items() if argument.startswith("= ") and argument[2:] == path]
    if exact:
        return exact[0]
    regex = [body for argument, body in blocks.items() if argument.startswith("~ ") and re.search(argument[2:], path)]
    return regex[0] if regex else blocks["/"]


def test_request_buffering_is_off_exactly_for_the_streaming_upload_paths():
    blocks = locations(nginx_conf())
    streaming = streaming_rules()
    assert {path.split("/")[3] for path, _ in streaming} == {"uploads", "orgs", "mall", "me"}
    for path, _ in streaming:
        assert directive(matching_location(blocks, path), "proxy_request_buffering") == "off", path
    unbuffered = [argument for argument, body in blocks.items() if directive(body, "proxy_request_buffering") == "off"]
    assert len(unbuffered) == len(streaming)
    # everything else is buffered, whole, before the gateway sees it
    assert directive(nginx_conf().split("location")[0], "proxy_request_buffering") == "on"
    assert matching_location(blocks, f"/api/v1/uploads/{uuid.uuid4()}") is blocks["/"]


def test_streamed_bodies_go_to_gunicorns_gateway_and_the_api_to_granians():
    """granian has no time-out on a body read and gives no socket to cut a trickling client off
    (docs/architecture.md, "The split gateway"): every location nginx streams a body through must reach the
    gunicorn side; the rest goes to granian."""
    api_server = nginx_conf().split("\n    server {")[1]  # the first server block (the second: the review UI)
    assert "listen 8080;" in api_server
    blocks = locations(api_server)
    for path, _ in streaming_rules():
        assert directive(matching_location(blocks, path), "proxy_pass") == "http://kepu_gateway_uploads", path
    complete = matching_location(blocks, f"/api/v1/uploads/{uuid.uuid4()}/complete")
    assert directive(complete, "proxy_pass") == "http://kepu_gateway_uploads"
    for argument, body in blocks.items():
        if directive(body, "proxy_request_buffering") == "off":
            assert directive(body, "proxy_pass") == "http://kepu_gateway_uploads", argument
    assert directive(blocks["/"], "proxy_pass") == "http://kepu_gateway"
    upstreams = dict(re.findall(r"upstream (\w+) \{\s*(?:#[^\n]*\n\s*)*server ([^;\s]+)", nginx_conf()))
    assert upstreams["kepu_gateway"] == "gateway:8000" and upstreams["kepu_gateway_uploads"] == "gateway-uploads:8000"


def test_kubernetes_runs_the_same_split():
    deployments = {document["metadata"]["name"]: document for document in k8s_documents("gateway.yaml")
                   if document["kind"] == "Deployment"}
    services = {document["metadata"]["name"]: document for document in k8s_documents("gateway.yaml")
                if document["kind"] == "Service"}
    api, uploads = (deployments[name]["spec"]["template"]["spec"]["containers"][0] for name in ("gateway", "gateway-uploads"))
    assert api["command"] == ["python", "-m", "kepu_common.edge.granian_server"]
    assert uploads["command"] == ["gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"]
    assert api["env"] == uploads["env"] and api["envFrom"] == uploads["envFrom"]
    for name in ("gateway", "gateway-uploads"):
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["selector"].items() <= labels.items()
        assert labels["app.kubernetes.io/name"] == name
    found = ingresses()
    backends = {(ingress, path["path"]): path["backend"]["service"]["name"]
                for ingress in ("gateway", "gateway-uploads", "gateway-licence")
                for path in found[ingress]["spec"]["rules"][0]["http"]["paths"]}
    for (ingress, path), backend in backends.items():
        assert backend == ("gateway" if ingress == "gateway" else "gateway-uploads"), (ingress, path)
    streamed = {path for path, _ in streaming_rules()}
    covered = [path for path in streamed
               if any(re.fullmatch(p if ingress == "gateway-uploads" else re.escape(p), path)
                      for (ingress, p) in backends if ingress != "gateway")]
    assert sorted(covered) == sorted(streamed)


def error_pages(conf_text):
    """{status answered: (JSON body with a sample request id, headers added)} from errors.conf."""
    pages = {}
    for match in re.finditer(r"location = /_kepu_errors/(\d+)\.json \{(.*?)\n\}", conf_text, re.S):
        body = match.group(2)
        status, text = re.search(r"return (\d+) '(.*)';", body).groups()
        assert int(status) == (431 if match.group(1) == "431" else int(match.group(1)))
        headers = dict(re.findall(r"add_header (\S+) (\S+) always;", body))
        pages[int(status)] = (json.loads(text.replace("$kepu_request_id", "abc").replace("\\n", "")), headers)
    return pages


def test_nginx_errors_are_the_envelope_with_the_catalogue_texts():
    conf = (NGINX_DIR / "errors.conf").read_text()
    pages = error_pages(conf)
    assert set(pages) == set(ERROR_PAGES)
    for status, (body, headers) in pages.items():
        assert set(body) == {"error"} and {"code", "message", "fields", "request_id"} <= set(body["error"])
        assert body["error"]["message"] == messages.text(ERROR_PAGES[status], "zh_CN"), status
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"
        if status >= 502:
            assert headers["Retry-After"] == str(body["error"]["details"]["retry_after"])
    for code in (400, 408, 413, 414, 502, 503, 504, 404):
        assert f"error_page {code} /_kepu_errors/{code}.json;" in conf
    assert "error_page 494 =431 /_kepu_errors/431.json;" in conf  # nginx's "header too large"


# ---- Kubernetes: the same settings for the ingress --------------------------------------------------

def ingresses():
    return {document["metadata"]["name"]: document for document in k8s_documents("ingress.example.yaml")}


def test_the_ingresses_carry_the_proxy_settings():
    found = ingresses()
    gateway = found["gateway"]["metadata"]["annotations"]
    uploads = found["gateway-uploads"]["metadata"]["annotations"]
    licence = found["gateway-licence"]["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    blocks = locations(nginx_conf())
    assert gateway[prefix + "proxy-request-buffering"] == "on"
    assert size_bytes(gateway[prefix + "proxy-body-size"]) == size_bytes(directive(nginx_conf(), "client_max_body_size"))
    assert uploads[prefix + "proxy-request-buffering"] == licence[prefix + "proxy-request-buffering"] == "off"
    assert size_bytes(uploads[prefix + "proxy-body-size"]) == \
        size_bytes(directive(blocks["~ ^/api/v1/uploads/[^/]+/content$"], "client_max_body_size"))
    assert size_bytes(licence[prefix + "proxy-body-size"]) == \
        size_bytes(directive(blocks["= /api/v1/orgs/licence"], "client_max_body_size"))
    # the mall's item pictures share the licence's Ingress: the same limit, unbuffered
    assert "/api/v1/mall/images" in [p["path"] for p in found["gateway-licence"]["spec"]["rules"][0]["http"]["paths"]]
    assert size_bytes(licence[prefix + "proxy-body-size"]) == \
        size_bytes(directive(blocks["= /api/v1/mall/images"], "client_max_body_size"))
    assert uploads[prefix + "proxy-read-timeout"] == \
        directive(blocks["~ ^/api/v1/uploads/[^/]+/content$"], "proxy_read_timeout").rstrip("s")
    for annotations in (gateway, uploads, licence):
        assert annotations[prefix + "default-backend"] == "edge-errors"
        assert set(annotations[prefix + "custom-http-errors"].split(",")) == {"502", "504"}
    upload_path = found["gateway-uploads"]["spec"]["rules"][0]["http"]["paths"][0]["path"]
    assert re.search(upload_path, f"/api/v1/uploads/{uuid.uuid4()}/content")
    assert not re.search(upload_path, f"/api/v1/uploads/{uuid.uuid4()}")


def test_kubernetes_trusts_the_ingress_as_the_one_proxy():
    config = k8s_documents("configmap.yaml")[0]["data"]
    assert config["GATEWAY_TRUSTED_PROXIES"] == "1"
    assert int(config["GATEWAY_MAX_JSON_BYTES"]) == size_bytes(directive(nginx_conf(), "client_max_body_size"))
    controller = k8s_documents("ingress-nginx-controller.example.yaml")[0]["data"]
    assert controller["use-forwarded-headers"] == "false"
    assert controller["large-client-header-buffers"] == directive(nginx_conf(), "large_client_header_buffers")
    assert controller["client-header-timeout"] == directive(nginx_conf(), "client_header_timeout").rstrip("s")
    assert controller["client-body-timeout"] == directive(nginx_conf(), "client_body_timeout").rstrip("s")


def test_the_kubernetes_error_backend_serves_the_same_pages():
    config_map, deployment, service = k8s_documents("edge-errors.yaml")
    assert config_map["data"]["errors.conf"] == (NGINX_DIR / "errors.conf").read_text()
    assert service["metadata"]["name"] == "edge-errors"
    assert "edge-errors.yaml" in (K8S / "kustomization.yaml").read_text()
    mounts = {mount["mountPath"] for mount in deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert set(re.findall(r"^\s*include\s+([^;]+);", config_map["data"]["nginx.conf"], re.M)) <= mounts


# ---- nginx itself, when installed ---------------------------------------------------------------------

NGINX = shutil.which("nginx") or (Path("/usr/sbin/nginx") if Path("/usr/sbin/nginx").exists() else None)
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")


def local_config(tmp_path, conf, upstream, port, errors_path=NGINX_DIR / "errors.conf", review_port=None,
                 uploads_upstream=None):
    """The real configuration with only what differs on this machine changed: upstreams, ports, paths. The
    streamed uploads go to `uploads_upstream` (gunicorn's gateway), else to the one `upstream`."""
    text = devstack.local_upstreams(conf, upstream, uploads_upstream, "127.0.0.1:9")
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    text = text.replace("listen 8100;", f"listen 127.0.0.1:{review_port or devstack.free_port()};")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    text = text.replace("/etc/nginx/kepu/errors.conf", str(errors_path))
    text = text.replace("access_log /dev/stdout kepu;", f"access_log {tmp_path}/access.log kepu;")
    text = text.replace("client_body_temp_path /tmp/client_body;", f"client_body_temp_path {tmp_path}/body;")
    text = text.replace("proxy_temp_path /tmp/proxy;", f"proxy_temp_path {tmp_path}/proxy;")
    path = tmp_path / "nginx.conf"
    path.write_text(text)
    return path


@needs_nginx
@pytest.mark.parametrize("source", ["compose", "k8s-errors"])
def test_nginx_accepts_the_configuration(tmp_path, source):
    conf = nginx_conf() if source == "compose" else k8s_documents("edge-errors.yaml")[0]["data"]["nginx.conf"]
    path = local_config(tmp_path, conf, "127.0.0.1:9", devstack.free_port())
    result = subprocess.run([str(NGINX), "-t", "-q", "-c", str(path), "-e", "stderr"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@contextmanager
def running_nginx(tmp_path, conf, upstream, review_port=None, uploads_upstream=None):
    port = devstack.free_port()
    path = local_config(tmp_path, conf, upstream, port, review_port=review_port, uploads_upstream=uploads_upstream)
    process = subprocess.Popen([str(NGINX), "-c", str(path), "-e", "stderr", "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=open(tmp_path / "error.log", "wb"))
    try:
        devstack.wait_for_port("127.0.0.1", port, 20, "nginx")
        yield f"http://127.0.0.1:{port}", ("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(20)


def raw(address, data, source="127.0.0.1"):
    with socket.create_connection(address, timeout=30, source_address=(source, 0)) as conn:
        conn.sendall(data)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)["error"]


@needs_nginx
def test_nginx_answers_its_own_errors_in_the_envelope(tmp_path):
    with running_nginx(tmp_path, nginx_conf(), f"127.0.0.1:{devstack.free_port()}") as (url, address):
        down = requests.get(f"{url}/api/v1/resources?q=13812345678", headers={"X-Request-ID": "req-1"}, timeout=30)
        assert down.status_code == 502 and down.headers["Retry-After"] == "5"
        assert down.json()["error"]["code"] == "dependency_unavailable"
        assert down.json()["error"]["request_id"] == "req-1"
        too_big = requests.post(f"{url}/api/v1/auth/login", data=b"{" + b" " * (2 * MB) + b"}",
                                headers={"Content-Type": "application/json"}, timeout=30)
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "too_large"
        assert raw(address, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 414
        status, error = raw(address, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n")
        assert (status, error["code"]) == (431, "request_header_fields_too_large")
        status, error = raw(address, b"GARBAGE\r\n\r\n")
        assert (status, error["code"]) == (400, "bad_request") and error["message"] == "请求格式不正确。"
        status, error = raw(address, b"GET /_kepu_errors/502.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status == 404  # the pages are not reachable from outside
    # the access log names the path the client asked for (not the error page nginx answered it with), and
    # never its query, which may hold a phone
    lines = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    logged = next(line for line in lines if line["request_id"] == "req-1")
    assert (logged["method"], logged["path"], logged["status"]) == ("GET", "/api/v1/resources", 502), logged
    assert logged["logger"] == "nginx.access" and logged["message"] == "GET /api/v1/resources 502"
    assert isinstance(logged["duration_ms"], int) and isinstance(logged["bytes"], int)  # JSON numbers, not text
    assert all("13812345678" not in json.dumps(line) for line in lines)
    refused = next(line for line in lines if line["status"] == 413)  # answered by nginx's error page, still a POST
    assert (refused["method"], refused["path"]) == ("POST", "/api/v1/auth/login"), refused


@needs_nginx
def test_the_review_uis_metrics_stay_inside(tmp_path):
    review_port = devstack.free_port()
    with running_nginx(tmp_path, nginx_conf(), "127.0.0.1:9", review_port=review_port):
        for path in ("/metrics", "/metrics?format=text", "//metrics", "/%6detrics"):
            assert requests.get(f"http://127.0.0.1:{review_port}{path}", timeout=10).status_code == 404, path
        # everything else is passed on (here to a review UI that is down)
        assert requests.get(f"http://127.0.0.1:{review_port}/tasks", timeout=10).status_code == 502


@needs_nginx
def test_the_kubernetes_error_backend_answers_the_code_it_is_given(tmp_path):
    conf = k8s_documents("edge-errors.yaml")[0]["data"]["nginx.conf"]
    with running_nginx(tmp_path, conf, "127.0.0.1:9") as (url, _):
        for code in ("502", "504"):
            answer = requests.get(f"{url}/api/v1/resources", headers={"X-Code": code}, timeout=10)
            assert answer.status_code == int(code) and answer.json()["error"]["code"] == "dependency_unavailable"
        unknown = requests.get(f"{url}/x", headers={"X-Code": "418"}, timeout=10)
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
        # what the review UI's host sends here directly (review-ui-metrics): no code, a 404
        assert requests.get(f"{url}/metrics", timeout=10).status_code == 404


def test_the_review_uis_metrics_are_not_published_by_the_ingress():
    found = ingresses()
    review_host = found["review-ui"]["spec"]["rules"][0]["host"]
    rule = found["review-ui-metrics"]["spec"]["rules"][0]
    assert rule["host"] == review_host
    assert rule["http"]["paths"] == [{"path": "/metrics", "pathType": "Exact",
                                      "backend": {"service": {"name": "edge-errors", "port": {"name": "http"}}}}]


@pytest.fixture(scope="module")
def gateway_behind_nginx(tmp_path_factory, jwt_keys, s3_endpoint):
    """nginx as deployed in front of the split gateway: granian for the API, gunicorn for the streamed uploads."""
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("proxy-logs"),
        jwt_keys["public_path"], components=("gateway", "gateway-api"),
        GATEWAY_WORKERS=1, GATEWAY_THREADS=4, GATEWAY_TRUSTED_PROXIES=1, GATEWAY_INTERNAL_NETWORKS="127.0.0.1/32",
    ) as platform:
        api, uploads = (url.rsplit("/", 1)[1] for url in (platform.gateway_api_url, platform.gateway_url))
        with running_nginx(tmp_path_factory.mktemp("nginx"), nginx_conf(), api,
                           uploads_upstream=uploads) as (url, address):
            yield url, address


@needs_nginx
def test_through_nginx_the_gateway_sees_the_real_client(gateway_behind_nginx):
    url, address = gateway_behind_nginx
    assert requests.get(f"{url}/healthz", timeout=30).status_code == 200
    # nginx connects to the gateway from 127.0.0.1 (internal); the client comes from 127.0.0.5 (not
    # internal here) and claims to be 127.0.0.1: the gateway must see 127.0.0.5
    forged = b"X-Forwarded-For: 127.0.0.1\r\n"
    request = b"GET /api/v1/system/services/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + forged + b"\r\n"
    status, error = raw(address, request, source="127.0.0.5")
    assert (status, error["code"]) == (403, "forbidden")
    status, error = raw(address, request, source="127.0.0.1")
    assert (status, error["code"]) == (404, "not_found")  # the real insider gets through


@needs_nginx
def test_through_nginx_the_gateways_own_errors_pass_untouched(gateway_behind_nginx):
    url, _ = gateway_behind_nginx
    answer = requests.post(f"{url}/api/v1/auth/login", data=b'{"phone": "a\\u0000"}',
                           headers={"Content-Type": "application/json"}, timeout=30)
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"]["phone"]["code"] == "edge_control_character"
