"""The deployment files stay valid: docker compose accepts the compose file, manifests parse."""
import shutil
import subprocess

import pytest
import yaml

from kepu_common import devstack


def compose_available():
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not compose_available(), reason="the docker client with its compose plugin is not installed")
def test_docker_compose_accepts_the_compose_file():
    result = subprocess.run(["docker", "compose", "-f", str(devstack.ROOT / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not compose_available(), reason="the docker client with its compose plugin is not installed")
def test_every_service_scales_and_runs_its_own_command():
    result = subprocess.run(["docker", "compose", "-f", str(devstack.ROOT / "docker-compose.yml"), "config",
                             "--format", "json"], capture_output=True, text=True, check=True)
    import json

    services = json.loads(result.stdout)["services"]
    for name in devstack.SERVICES:
        assert "container_name" not in services[name] and not services[name].get("ports")
        assert services[name]["command"][-1] == name
    assert services["gateway"]["ports"]


def test_kubernetes_manifests_parse_and_cover_every_service():
    kinds = {}
    for path in sorted((devstack.ROOT / "deploy" / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                kinds.setdefault(document["kind"], set()).add(document.get("metadata", {}).get("name"))
    assert set(devstack.SERVICES) | {"gateway"} <= kinds["Deployment"]
