"""The platform as containers (podman, host networking): the object store, the five services, the gateway,
the review UI and nginx in front, from the images deploy/*Dockerfile build; RabbitMQ and PostgreSQL are
the host's, with a private vhost and databases of this run's own, as every other journey has.

Host networking, so every listener gets a free port of its own here (several runs share the machine):
the services' settings take them from the environment, nginx gets its real configuration with only the
ports changed (as tests/test_deploy_files.py does for the host's nginx).
"""
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import requests

from kepu_common.devtools import devstack
from tests.containers.podman import ROOT, podman

NGINX_CONF = ROOT / "deploy" / "nginx" / "nginx.conf"


class ContainerPlatform:
    """What the journeys' helpers (tests/test_identity_journey.py ...) use: gateway_url is nginx's."""

    def __init__(self, env, logs, tag):
        self.env = env
        self.logs = Path(logs)
        self.tag = tag
        self.containers = []

    def database_url(self, service):
        return f"{self.env['DATABASE_SERVER']}/{self.env['DATABASE_PREFIX']}{service}"

    def query(self, service, sql, args=()):
        with psycopg2.connect(self.database_url(service)) as conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def run(self, name, image, *command, env=None, volumes=(), detach=True, user=None, workdir=None,
            entrypoint=None):
        """`podman run` on the host's network; the container is removed with the platform."""
        container = f"kepu-ct-{self.tag}-{name}"
        args = ["run", "--name", container, "--network", "host", "--init", "--log-driver", "k8s-file"]
        if detach:
            args.append("-d")
            self.containers.append(container)
        else:
            args.append("--rm")
        for key, value in (env or {}).items():
            args += ["-e", f"{key}={value}"]
        for host_path, path in volumes:
            args += ["-v", f"{host_path}:{path}"]
        if user:
            args += ["--user", user]
        if workdir:
            args += ["--workdir", workdir]
        if entrypoint:
            args += ["--entrypoint", entrypoint]
        return podman(*args, image, *command, timeout=300)

    def save_logs(self):
        for container in self.containers:
            result = podman("logs", container, check=False)
            (self.logs / f"{container}.log").write_text(result.stdout or "")

    def remove_all(self):
        if self.containers:
            podman("rm", "--force", "--time", "10", *self.containers, check=False, timeout=300)
        self.containers = []

    def pattern(self, name):
        """podman's name filter (a regular expression) for the containers of one component."""
        return f"^kepu-ct-{self.tag}-{name}$"

    def running(self, name):
        result = podman("ps", "--filter", f"name={self.pattern(name)}", "--format", "{{.Names}}", check=False)
        return bool(result.stdout.strip())

    def log_of(self, name):
        names = podman("ps", "-a", "--filter", f"name={self.pattern(name)}", "--format", "{{.Names}}",
                       check=False).stdout.split()
        return "\n".join((podman("logs", n, check=False).stdout or "")[-3000:] for n in names)


def wait_until(check, seconds, what, platform, name):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        if not platform.running(name):
            break
        time.sleep(0.5)
    tail = platform.log_of(name)
    raise AssertionError(f"{what} did not come up in its container ({name}); its log ends:\n{tail}")


def answers(url):
    try:
        return requests.get(url, timeout=3).status_code == 200
    except requests.RequestException:
        return False


def nginx_config(gateway_port, review_ui_port, api_port, ui_port, uploads_port):
    """deploy/nginx/nginx.conf with only the ports changed (host networking: no service names)."""
    text = NGINX_CONF.read_text()
    for old, new in (("gateway-uploads:8000", f"127.0.0.1:{uploads_port}"), ("gateway:8000", f"127.0.0.1:{gateway_port}"),
                     ("review-ui:8100", f"127.0.0.1:{review_ui_port}"),
                     ("listen 8080;", f"listen 127.0.0.1:{api_port};"), ("listen 8100;", f"listen 127.0.0.1:{ui_port};")):
        assert old in text, f"deploy/nginx/nginx.conf no longer has {old!r}: update tests/containers/platform.py"
        text = text.replace(old, new)
    return text


@contextmanager
def infrastructure(images, amqp_uri, rabbit_api, database_server, workdir, **settings):
    """What every platform here stands on: a private vhost, the token keys (made by the image's own one-shot
    command), the object store's container; the settings the platform's containers get. Torn down after
    (containers, vhost, databases, data)."""
    tag = uuid.uuid4().hex[:8]
    workdir = Path(workdir)
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    vhost = f"kepu-ct-{tag}"
    ports = {name: devstack.free_port() for name in (
        "s3", "master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3_grpc",
        "gateway", "gateway_uploads", "review_ui", "api", "ui")}
    env = {
        "AMQP_URI": f"{amqp_uri.rstrip('/')}/{vhost}",
        "DATABASE_SERVER": database_server,
        "DATABASE_PREFIX": f"kepu_it_{tag}_",
        "S3_ENDPOINT": f"http://127.0.0.1:{ports['s3']}",
        "S3_PUBLIC_ENDPOINT": f"http://127.0.0.1:{ports['s3']}",
        "S3_ACCESS_KEY": devstack.LOCAL_ACCESS_KEY,
        "S3_SECRET_KEY": devstack.LOCAL_SECRET_KEY,
        "S3_BUCKET_UPLOADS": f"ct-uploads-{tag}",
        "S3_BUCKET_RESOURCES": f"ct-resources-{tag}",
        "S3_BUCKET_LICENCES": f"ct-licences-{tag}",
        "JWT_PRIVATE_KEY_FILE": "/keys/jwt-private.pem",
        "JWT_PUBLIC_KEY_FILE": "/keys/jwt-public.pem",
        "IDENTITY_SECRET_KEY_FILE": "/keys/identity-secret.key",
        "SHARE_KEY_FILE": "/keys/share-secret.key",
        "MALL_SECRET_KEY_FILE": "/keys/mall-secret.key",
        "REVIEW_UI_SECRET_KEY_FILE": "/keys/review-ui-secret.key",
        "KEPU_ENV": "development",
        "SMS_DEBUG_ECHO": "1",
        "METRICS_PORT": "0",
        "METRICS_HOST": "127.0.0.1",
        "GATEWAY_BIND": f"127.0.0.1:{ports['gateway']}",
        "GATEWAY_TRUSTED_PROXIES": "1",
        "REVIEW_UI_TRUSTED_PROXIES": "1",
    }
    env.update({key: str(value) for key, value in settings.items()})
    platform = ContainerPlatform(env, logs, tag)
    platform.ports = ports
    platform.images = images
    platform.keys = workdir / "keys"
    data = workdir / "seaweedfs"
    kepu, seaweedfs = images["localhost/kepu:latest"], images["localhost/kepu-seaweedfs:latest"]
    devstack.create_vhost(rabbit_api, vhost)
    try:
        # the token key pair, made by the image's own one-shot command into a directory its user owns
        platform.keys.mkdir()
        data.mkdir()
        os.chown(platform.keys, 10001, 10001)
        os.chown(data, 10002, 10002)
        platform.run("keys", kepu, "python", "-m", "kepu_common.cli", "keys", "/keys", detach=False,
                     volumes=[(platform.keys, "/keys")])

        # the object store: `weed server -s3` with real credentials, every listener on a free port
        identities = data / "s3-identities.json"
        identities.write_text(json.dumps(devstack.seaweedfs_config(devstack.LOCAL_ACCESS_KEY,
                                                                   devstack.LOCAL_SECRET_KEY)))
        (data / "master.toml").write_text(devstack.MASTER_TOML)
        for path in (identities, data / "master.toml"):
            os.chown(path, 10002, 10002)
            path.chmod(0o600)
        command = devstack.seaweedfs_command(ports["s3"], "/data", "/data/s3-identities.json", ports)
        platform.run("seaweedfs", seaweedfs, *command[1:], volumes=[(data, "/data")], workdir="/data")
        devstack.wait_for_s3(env["S3_ENDPOINT"], devstack.LOCAL_ACCESS_KEY, devstack.LOCAL_SECRET_KEY, 120)
        yield platform
    finally:
        platform.save_logs()
        platform.remove_all()
        devstack.delete_vhost(rabbit_api, vhost)
        admin = psycopg2.connect(f"{database_server}/postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            for name in devstack.SERVICES:
                cur.execute(f'DROP DATABASE IF EXISTS "kepu_it_{tag}_{name}" WITH (FORCE)')
        admin.close()
        # the object store's files belong to the container's user; the run's data goes with it
        shutil.rmtree(data, ignore_errors=True)


def wait_until_ready(platform, gateway_port, components):
    wait_until(lambda: answers(f"http://127.0.0.1:{gateway_port}/healthz"), 180, "the gateway", platform, "gateway")
    for service in devstack.SERVICES:
        wait_until(lambda: serving(platform.env["AMQP_URI"], service), 240, f"the {service} service", platform,
                   service)
    wait_until(lambda: answers(f"http://127.0.0.1:{gateway_port}/readyz"), 120, "the platform (/readyz)", platform,
               "gateway")


@contextmanager
def container_platform(images, amqp_uri, rabbit_api, database_server, workdir, **settings):
    """docker-compose.yml's platform as containers on free ports of this host, nginx in front."""
    with infrastructure(images, amqp_uri, rabbit_api, database_server, workdir, **settings) as platform:
        env, ports, workdir = platform.env, platform.ports, Path(workdir)
        kepu, nginx = images["localhost/kepu:latest"], images["localhost/kepu-nginx:latest"]
        platform.gateway_url = f"http://127.0.0.1:{ports['api']}"
        platform.review_ui_url = f"http://127.0.0.1:{ports['ui']}"
        key_mount = [(platform.keys, "/keys:ro")]
        for service in devstack.SERVICES:
            platform.run(service, kepu, "python", "-m", "kepu_common.cli", "run", service,
                         env={**env, "SERVICE_NAME": service}, volumes=key_mount)
        # the split gateway as compose runs it: the API under granian, the streamed uploads under gunicorn
        platform.run("gateway", kepu, "python", "-m", "kepu_common.edge.granian_server", env=env, volumes=key_mount)
        platform.run("gateway-uploads", kepu, "gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app",
                     env={**env, "GATEWAY_BIND": f"127.0.0.1:{ports['gateway_uploads']}"}, volumes=key_mount)
        platform.run("review-ui", kepu, "gunicorn", "-c", "services/review/gunicorn.conf.py", "--bind",
                     f"127.0.0.1:{ports['review_ui']}", "services.review.web.wsgi:app",
                     env={**env, "SERVICE_NAME": "review"}, volumes=key_mount)
        conf = workdir / "nginx.conf"
        conf.write_text(nginx_config(ports["gateway"], ports["review_ui"], ports["api"], ports["ui"],
                                     ports["gateway_uploads"]))
        conf.chmod(0o644)
        platform.run("nginx", nginx, volumes=[(conf, "/etc/nginx/nginx.conf:ro")])
        wait_until_ready(platform, ports["gateway"], devstack.SERVICES)
        wait_until(lambda: answers(f"http://127.0.0.1:{ports['gateway_uploads']}/healthz"), 120, "the uploads gateway",
                   platform, "gateway-uploads")
        wait_until(lambda: answers(f"{platform.gateway_url}/readyz"), 60, "nginx", platform, "nginx")
        yield platform


def serving(amqp_uri, service):
    from kepu_common.bus.rpc_client import RpcClient, RpcError

    client = RpcClient(amqp_uri, timeout=2)
    try:
        client.call(service, "health")
        return True
    except RpcError:
        return False
    finally:
        client.close()
