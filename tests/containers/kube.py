"""deploy/k8s's workloads under `podman kube play` (podman 4.3 plays Pod, Deployment, ConfigMap and
PersistentVolumeClaim; Secrets it reads from podman's secret store).

The manifests are played as they are, with only what one shared host needs changed (adapt() below): one
replica each; the host's network, so the listening ports (the gateway's, the review UI's) are free ones
and every service's metrics port is 0 (any free one); the image is the one built in this run; the
Secrets are podman secrets of this run's own, holding the run's vhost, databases and object store; the
key-pair Secret volume is the directory the image's `keys` command filled (kube play mounts no Secret
volumes). What the suite cannot play (the SeaweedFS StatefulSets, the Ingresses and their controller,
HPAs, PDBs) is schema-checked: deploy/k8s/README.md.
"""
import base64
import copy
import json
from contextlib import contextmanager
from pathlib import Path

import yaml

from kepu_common.devtools import devstack
from tests.containers.platform import answers, infrastructure, wait_until, wait_until_ready
from tests.containers.podman import ROOT, podman

K8S = ROOT / "deploy" / "k8s"
WORKLOADS = ("identity", "resources", "activities", "review", "metrics", "gateway", "review-ui")


def documents(name):
    return [doc for doc in yaml.safe_load_all((K8S / f"{name}.yaml").read_text()) if doc]


def adapt(deployment, tag, image, ports, keys_dir, secrets):
    """One Deployment as it is, with only what differs on one shared host changed (the module's docstring)."""
    doc = copy.deepcopy(deployment)
    doc["metadata"]["name"] = f"{doc['metadata']['name']}-{tag}"
    doc["spec"]["replicas"] = 1
    pod = doc["spec"]["template"]["spec"]
    pod["hostNetwork"] = True
    # the uploads side of the split gateway listens beside the API side on the one host network
    uploads = doc["metadata"]["name"] == f"gateway-uploads-{tag}"
    moved = {8000: ports["gateway_uploads" if uploads else "gateway"], 8100: ports["review_ui"]}
    for container in pod["containers"]:
        if uploads:  # on its command line: podman 4.3's kube play lets envFrom win over env
            container["command"] = container["command"] + ["--bind", f"127.0.0.1:{ports['gateway_uploads']}"]
        container["image"] = image
        container["imagePullPolicy"] = "Never"
        container["command"] = [arg.replace("0.0.0.0:8100", f"127.0.0.1:{ports['review_ui']}")
                                for arg in container.get("command", [])]
        # on the host's network there is nothing to publish (podman refuses port mappings there); a probe
        # naming a port gets the number it now listens on
        named = {port.get("name"): moved.get(port["containerPort"], port["containerPort"])
                 for port in container.pop("ports", [])}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            check = container.get(probe, {}).get("httpGet") or container.get(probe, {}).get("tcpSocket")
            if check:
                check["port"] = named.get(check["port"], moved.get(check["port"], check["port"]))
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                source["secretRef"]["name"] = secrets[source["secretRef"]["name"]]
        for variable in container.get("env", []):
            reference = variable.get("valueFrom", {}).get("secretKeyRef")
            if reference:
                reference["name"] = secrets[reference["name"]]
    # podman 4.3 makes an emptyDir a named volume of the volume's name: one of this run's own
    for container in pod["containers"]:
        for mount in container.get("volumeMounts", []):
            mount["name"] = f"{mount['name']}-{tag}"
    for volume in pod.get("volumes", []):
        volume["name"] = f"{volume['name']}-{tag}"
        if "secret" in volume:
            del volume["secret"]
            volume["hostPath"] = {"path": str(keys_dir), "type": "Directory"}
    return doc


def secret(values):
    """A Secret's data as podman 4.3's kube play reads it from a podman secret: one JSON object, base64 values."""
    return {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}


@contextmanager
def kube_platform(images, amqp_uri, rabbit_api, database_server, workdir, sms=None, **settings):
    """The kepu Deployments of deploy/k8s played by podman on this host, on infrastructure() of their own.
    sms: the kepu-sms Secret's values (TENCENT_SMS_*; identity runs as production and refuses to start without)."""
    with infrastructure(images, amqp_uri, rabbit_api, database_server, workdir, **settings) as platform:
        workdir, tag, env, ports = Path(workdir), platform.tag, platform.env, platform.ports
        config = documents("configmap")[0]
        config["data"].update({key: env[key] for key in (
            "S3_ENDPOINT", "S3_PUBLIC_ENDPOINT", "S3_BUCKET_UPLOADS", "S3_BUCKET_RESOURCES", "S3_BUCKET_LICENCES",
            "METRICS_PORT", "METRICS_HOST", "GATEWAY_BIND")})
        config["data"].update({key: str(value) for key, value in settings.items()})
        config_path = workdir / "configmap.yaml"
        config_path.write_text(yaml.safe_dump(config))
        secrets = {"kepu-secrets": f"kepu-secrets-{tag}", "kepu-databases": f"kepu-databases-{tag}",
                   "kepu-sms": f"kepu-sms-{tag}"}
        values = {
            "kepu-secrets": {"AMQP_URI": env["AMQP_URI"], "S3_ACCESS_KEY": env["S3_ACCESS_KEY"],
                             "S3_SECRET_KEY": env["S3_SECRET_KEY"]},
            "kepu-databases": {f"{service}-database-url": platform.database_url(service)
                               for service in devstack.SERVICES},
            "kepu-sms": dict(sms or {}),
        }
        for name, podman_name in secrets.items():
            path = workdir / f"{name}.json"
            path.write_text(json.dumps(secret(values[name])))
            path.chmod(0o600)
            podman("secret", "create", podman_name, path)
        deployments = [doc for name in WORKLOADS for doc in documents(name) if doc["kind"] == "Deployment"]
        played = workdir / "workloads.yaml"
        played.write_text(yaml.safe_dump_all([adapt(doc, tag, images["localhost/kepu:latest"], ports, platform.keys,
                                                     secrets) for doc in deployments]))
        platform.gateway_url = f"http://127.0.0.1:{ports['gateway']}"
        platform.review_ui_url = f"http://127.0.0.1:{ports['review_ui']}"
        platform.played = [doc["metadata"]["name"] for doc in yaml.safe_load_all(played.read_text())]
        platform.pattern = lambda name: f"^{name}-{tag}-pod"
        try:
            platform.play = podman("kube", "play", "--network", "host", "--configmap", config_path, played,
                                   timeout=600)
            wait_until_ready(platform, ports["gateway"], devstack.SERVICES)
            wait_until(lambda: answers(f"http://127.0.0.1:{ports['gateway_uploads']}/healthz"), 120,
                       "the uploads gateway", platform, "gateway-uploads")
            yield platform
        finally:
            for container in podman("ps", "-a", "--format", "{{.Names}}", "--filter", f"name=-{tag}",
                                    check=False).stdout.split():
                (platform.logs / f"{container}.log").write_text(podman("logs", container, check=False).stdout or "")
            podman("kube", "down", played, check=False, timeout=300)
            # a play that failed half-way leaves pods `kube down` does not know (restarting, as their policy says)
            leftover = podman("pod", "ps", "-q", "--filter", f"name=-{tag}-pod", check=False).stdout.split()
            if leftover:
                podman("pod", "rm", "--force", "--time", "10", *leftover, check=False, timeout=300)
            volumes = podman("volume", "ls", "-q", "--filter", f"name=-{tag}$", check=False).stdout.split()
            if volumes:
                podman("volume", "rm", "--force", *volumes, check=False)
            for podman_name in secrets.values():
                podman("secret", "rm", podman_name, check=False)
