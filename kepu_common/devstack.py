"""Running the platform on one machine: infrastructure checks, the local S3 endpoint, service processes.

Used by scripts/run_local.py (make run) and by the cross-service tests, so both start things the same way.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

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
    wait_for_port("127.0.0.1", port, 30, "local S3 endpoint")
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


def gateway_command(bind):
    return [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "gateway" / "gunicorn.conf.py"),
            "--bind", bind, "gateway.wsgi:app"]
