"""The whole platform as separate processes (five services, the gateway under gunicorn, a local S3
endpoint) in a private RabbitMQ vhost with its own databases, for journeys through the HTTP API."""
import os
import signal
import subprocess
import time
import uuid

import psycopg2
import pytest
import requests

from kepu_common import devstack
from kepu_common.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API, drop_database


class Platform:
    def __init__(self, env, logs, gateway_url):
        self.env = env
        self.logs = logs
        self.gateway_url = gateway_url
        self.processes = {}

    def database_url(self, service):
        return f"{DATABASE_SERVER}/{self.env['DATABASE_PREFIX']}{service}"

    def start(self, name):
        command = devstack.gateway_command(self.env["GATEWAY_BIND"]) if name == "gateway" else devstack.service_command(name)
        log = open(self.logs / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                                cwd=devstack.ROOT)

    def kill(self, name, sig=signal.SIGKILL):
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(30)

    def wait_until_serving(self, name, timeout=60):
        """A service is serving once it answers its health RPC."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = requests.get(f"{self.gateway_url}/api/v1/system/services/{name}", timeout=10)
            if response.status_code == 200:
                return
            time.sleep(0.2)
        raise AssertionError(f"{name} did not come up; see {self.logs / (name + '.log')}")

    def query(self, service, sql, args=()):
        with psycopg2.connect(self.database_url(service)) as conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def stop_all(self):
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)


@pytest.fixture(scope="session")
def platform(tmp_path_factory, jwt_keys, s3_endpoint):
    tag = uuid.uuid4().hex[:8]
    vhost = f"kepu-it-{tag}"
    devstack.create_vhost(RABBIT_API, vhost)
    gateway_port = devstack.free_port()
    logs = tmp_path_factory.mktemp("platform-logs")
    env = dict(os.environ)
    env.update({
        "AMQP_URI": f"{AMQP_URI.rstrip('/')}/{vhost}",
        "DATABASE_SERVER": DATABASE_SERVER,
        "DATABASE_PREFIX": f"kepu_it_{tag}_",
        "S3_ENDPOINT": s3_endpoint,
        "S3_BUCKET_UPLOADS": f"it-uploads-{tag}",
        "S3_BUCKET_RESOURCES": f"it-resources-{tag}",
        "S3_BUCKET_LICENCES": f"it-licences-{tag}",
        "JWT_PUBLIC_KEY_FILE": jwt_keys["public_path"],
        "GATEWAY_BIND": f"127.0.0.1:{gateway_port}",
        "GATEWAY_WORKERS": "1",
        "GATEWAY_THREADS": "8",
        "OUTBOX_POLL_INTERVAL": "0.2",
        "GATEWAY_RPC_TIMEOUT": "3",
        "MAX_WORKERS": "4",
    })
    platform = Platform(env, logs, f"http://127.0.0.1:{gateway_port}")
    platform.start("gateway")
    for name in devstack.SERVICES:
        platform.start(name)
    try:
        devstack.wait_for_port("127.0.0.1", gateway_port, 30, "gateway")
        for name in devstack.SERVICES:
            platform.wait_until_serving(name)
        yield platform
    finally:
        platform.stop_all()
        devstack.delete_vhost(RABBIT_API, vhost)
        for name in devstack.SERVICES:
            drop_database(f"kepu_it_{tag}_{name}")


@pytest.fixture
def api(platform):
    session = requests.Session()
    session.base = platform.gateway_url + "/api/v1"
    return session


@pytest.fixture
def admin_headers(make_token):
    return {"Authorization": f"Bearer {make_token(['platform_admin'])}"}
