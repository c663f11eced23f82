"""Running the platform on one machine: infrastructure checks, the local S3 endpoint, service processes.

Used by scripts/run_local.py (make run) and by the cross-service tests, so both start things the same way.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("identity", "resources", "activities", "review", "metrics")


class MissingInfrastructure(SystemExit):
    pass


def port_open(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host, port, seconds=60.0, what="service"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.2)
    raise MissingInfrastructure(f"{what} did not start listening on {host}:{port} within {seconds:.0f}s")


def _start_if_installed(name, host, port, command, how_to_get):
    if port_open(host, port):
        return "running"
    if shutil.which(command[0]) is None:
        raise MissingInfrastructure(f"{name} is not reachable at {host}:{port} and is not installed here.\n{how_to_get}")
    print(f"starting {name}: {' '.join(command)}", flush=True)
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(host, port, 90, name)
    return "started"


def ensure_rabbitmq(amqp_uri, management=True):
    parts = urlsplit(amqp_uri)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    if host not in ("127.0.0.1", "localhost"):
        wait_for_port(host, port, 30, "RabbitMQ")
        return "remote"
    state = _start_if_installed(
        "RabbitMQ", host, port, ["rabbitmq-server", "-detached"],
        "Install it with 'apt-get install rabbitmq-server', or point AMQP_URI at a running broker.",
    )
    if management and not port_open(host, 15672) and shutil.which("rabbitmq-plugins"):
        # the management API is what tests use to make a private vhost each
        subprocess.run(["rabbitmq-plugins", "enable", "rabbitmq_management"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(host, 15672, 60, "RabbitMQ management")
    return state


def ensure_postgres(server_url):
    parts = urlsplit(server_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    if host not in ("127.0.0.1", "localhost"):
        wait_for_port(host, port, 30, "PostgreSQL")
        return "remote"
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"] if versions else ["pg_ctlcluster"]
    return _start_if_installed(
        "PostgreSQL", host, port, command,
        "Install it with 'apt-get install postgresql', or set DATABASE_SERVER to a running server.",
    )


def start_s3(port, data_log=None):
    """The local S3-compatible endpoint (moto's server) standing in for MinIO."""
    moto = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=data_log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    wait_for_port("127.0.0.1", port, 90, "local S3 endpoint")
    return process


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_vhost(api_url, vhost, user="guest"):
    """A private RabbitMQ vhost (management API), so test runs never see each other's queues."""
    quoted = requests.utils.quote(vhost, safe="")
    requests.put(f"{api_url}/api/vhosts/{quoted}", timeout=10).raise_for_status()
    requests.put(f"{api_url}/api/permissions/{quoted}/{user}",
                 json={"configure": ".*", "write": ".*", "read": ".*"}, timeout=10).raise_for_status()


def delete_vhost(api_url, vhost):
    requests.delete(f"{api_url}/api/vhosts/{requests.utils.quote(vhost, safe='')}", timeout=10)


def service_command(name):
    return [sys.executable, "-m", "kepu_common.cli", "run", name]


def review_ui_command(bind):
    return [str(Path(sys.executable).with_name("gunicorn")), "--worker-class", "gthread", "--threads", "8",
            "--bind", bind, "services.review.web.wsgi:app"]


def gateway_command(bind):
    return [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "gateway" / "gunicorn.conf.py"),
            "--bind", bind, "gateway.wsgi:app"]


class Platform:
    def __init__(self, env, logs, gateway_url):
        self.env = env
        self.logs = logs
        self.gateway_url = gateway_url
        self.processes = {}

    def database_url(self, service):
        return f"{self.env['DATABASE_SERVER']}/{self.env['DATABASE_PREFIX']}{service}"

    def start(self, name):
        if name == "gateway":
            command = gateway_command(self.env["GATEWAY_BIND"])
        elif name == "reviewui":
            command = review_ui_command(self.env["REVIEW_UI_BIND"])
        else:
            command = service_command(name)
        log = open(self.logs / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                                cwd=ROOT)

    def kill(self, name, sig=signal.SIGKILL):
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(30)

    def wait_until_serving(self, name, timeout=60):
        """A service is serving once it answers its health RPC."""
        from kepu_common.rpc_client import RpcClient, RpcError

        client = RpcClient(self.env["AMQP_URI"], timeout=2)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    client.call(name, "health")
                    return
                except RpcError:
                    time.sleep(0.2)
        finally:
            client.close()
        raise AssertionError(f"{name} did not come up; see {self.logs / (name + '.log')}")

    def query(self, service, sql, args=()):
        with psycopg2.connect(self.database_url(service)) as conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def stop_all(self):
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)


@contextmanager
def isolated_platform(amqp_uri, rabbit_api, database_server, s3_endpoint, logs, public_key_path,
                      components=SERVICES + ("gateway", "reviewui"), **settings):
    """The platform in a private vhost with its own databases and buckets; torn down afterwards."""
    tag = uuid.uuid4().hex[:8]
    vhost = f"kepu-it-{tag}"
    create_vhost(rabbit_api, vhost)
    gateway_port, review_ui_port = free_port(), free_port()
    env = dict(os.environ)
    env.update({
        "AMQP_URI": f"{amqp_uri.rstrip('/')}/{vhost}",
        "DATABASE_SERVER": database_server,
        "DATABASE_PREFIX": f"kepu_it_{tag}_",
        "S3_ENDPOINT": s3_endpoint,
        "S3_BUCKET_UPLOADS": f"it-uploads-{tag}",
        "S3_BUCKET_RESOURCES": f"it-resources-{tag}",
        "S3_BUCKET_LICENCES": f"it-licences-{tag}",
        "JWT_PUBLIC_KEY_FILE": str(public_key_path),
        "JWT_PRIVATE_KEY_FILE": str(Path(public_key_path).with_name("jwt-private.pem")),
        "IDENTITY_SECRET_KEY_FILE": str(Path(public_key_path).with_name("identity-secret.key")),
        "SMS_DEBUG_ECHO": "1",
        "GATEWAY_BIND": f"127.0.0.1:{gateway_port}",
        "REVIEW_UI_BIND": f"127.0.0.1:{review_ui_port}",
        "REVIEW_UI_SECRET_KEY_FILE": str(Path(public_key_path).with_name("review-ui-secret.key")),
    })
    env.update({key: str(value) for key, value in settings.items()})
    platform = Platform(env, Path(logs), f"http://127.0.0.1:{gateway_port}")
    platform.review_ui_url = f"http://127.0.0.1:{review_ui_port}"
    try:
        for name in components:
            platform.start(name)
        if "gateway" in components:
            wait_for_port("127.0.0.1", gateway_port, 90, "gateway")
        if "reviewui" in components:
            wait_for_port("127.0.0.1", review_ui_port, 90, "review UI")
        for name in components:
            if name not in ("gateway", "reviewui"):
                platform.wait_until_serving(name)
        yield platform
    finally:
        platform.stop_all()
        delete_vhost(rabbit_api, vhost)
        admin = psycopg2.connect(f"{database_server}/postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            for name in SERVICES:
                cur.execute(f'DROP DATABASE IF EXISTS "kepu_it_{tag}_{name}" WITH (FORCE)')
        admin.close()
