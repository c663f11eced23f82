"""The deploy files against their formats' own schemas, so neither drifts while no engine runs here:
deploy/k8s against Kubernetes 1.31's API schemas (kubernetes-validate --strict, which ships them), and
docker-compose.yml against the Compose specification (check-jsonschema's vendored compose-spec schema).
Each check is shown to fail on a broken copy, so a pass means something."""
import copy
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31.0"
# kustomize's own file is not a Kubernetes API object (no schema in the API)
NOT_API_OBJECTS = {"kustomization.yaml"}


def manifests():
    for path in sorted(K8S.glob("*.yaml")):
        if path.name not in NOT_API_OBJECTS:
            for document in yaml.safe_load_all(path.read_text()):
                if document:
                    yield path.name, document


def validate(document):
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name,document", list(manifests()),
                         ids=[f"{name}:{doc['kind']}/{doc['metadata']['name']}" for name, doc in manifests()])
def test_every_kubernetes_object_is_valid_for_1_31_strictly(name, document):
    validate(document)


def test_kubernetes_validation_refuses_a_misspelled_field_and_a_wrong_type():
    deployment = next(doc for _, doc in manifests() if doc["kind"] == "Deployment")
    misspelled = copy.deepcopy(deployment)
    misspelled["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(misspelled)
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(wrong_type)


def compose_check(path):
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(path)], capture_output=True, text=True, timeout=120)


def test_docker_compose_follows_the_compose_specification():
    checked = compose_check(ROOT / "docker-compose.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("breakage", ["unknown key", "ports not a list"])
def test_the_compose_check_refuses_a_broken_file(tmp_path, breakage):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = next(iter(compose["services"].values()))
    if breakage == "unknown key":
        service["restart_policy_typo"] = "always"
    else:
        service["ports"] = 8000
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(compose, allow_unicode=True))
    assert compose_check(broken).returncode != 0
