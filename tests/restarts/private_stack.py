"""A private PostgreSQL server and a private RabbitMQ node that a test may stop and start at will.

The machine's shared servers (5432, 5672) run every other test; these run on their own ports, from
their own directories under /tmp, and are removed afterwards. As root, each runs as its own system user
(postgres, rabbitmq), as the packaged servers do; otherwise as the current user.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from kepu_common.devtools import devstack

PG_BIN = Path(os.environ.get("KEPU_PG_BIN", "/usr/lib/postgresql/15/bin"))
RABBITMQ_SERVER = Path(os.environ.get("KEPU_RABBITMQ_SERVER", "/usr/lib/rabbitmq/bin/rabbitmq-server"))


def available():
    """Why the private servers cannot run here, or None when they can."""
    if not (PG_BIN / "pg_ctl").exists():
        return f"no PostgreSQL server binaries in {PG_BIN}"
    if not RABBITMQ_SERVER.exists():
        return f"no RabbitMQ server at {RABBITMQ_SERVER}"
    return None


def _as_user(user, command):
    """The command run as user when we are root (servers refuse to run as root); unchanged otherwise."""
    if os.geteuid() == 0:
        return ["runuser", "-u", user, "--", *command]
    return command


def _owned_dir(prefix, user):
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(path, user, user)
    return path


class PrivatePostgres:
    """initdb into /tmp, trust auth, listening on 127.0.0.1:port only."""

    user = "postgres"

    def __init__(self, port=None):
        self.port = port or devstack.free_port()
        self.base = _owned_dir("kepu-restart-pg-", self.user)
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.server_url = f"postgresql://postgres@127.0.0.1:{self.port}"

    def _run(self, *args, check=True):
        return subprocess.run(_as_user(self.user, [str(PG_BIN / args[0]), *args[1:]]), check=check,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def init(self):
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8",
                  "--locale=C.UTF-8")
        return self

    def start(self):
        # fsync off: every stop here is a clean one (or an immediate one with the OS still up), so no
        # committed row can be lost, and the test does not wait on the disk
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base} -c fsync=off "
                   "-c max_connections=200 -c shared_buffers=64MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        """fast: what a restart by ops does (sessions are told and closed); immediate: like a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def running(self):
        return devstack.port_open("127.0.0.1", self.port)

    def remove(self):
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


class PrivateRabbit:
    """A RabbitMQ node of its own: own node name, AMQP and distribution ports, config, plugins and data.

    The packaged node's /etc/rabbitmq files (its port, its management plugin) are replaced by ours, so
    nothing here can bind 5672 or 15672. Stopped with SIGTERM, which RabbitMQ handles as a clean shutdown.
    """

    user = "rabbitmq"

    def __init__(self, port=None):
        self.port = port or devstack.free_port()
        self.dist_port = devstack.free_port()
        self.base = _owned_dir("kepu-restart-mq-", self.user)
        self.nodename = f"kepu-restart-{uuid.uuid4().hex[:6]}@localhost"
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users = none\n"
            "disk_free_limit.absolute = 50MB\n")
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "rabbitmq-env.conf").write_text("")
        for path in self.base.iterdir():
            if os.geteuid() == 0:
                shutil.chown(path, self.user, self.user)
        self.process = None

    def _env(self):
        env = {key: value for key, value in os.environ.items() if not key.startswith("RABBITMQ_")}
        env.update({
            "HOME": str(self.base),  # the node's Erlang cookie is made here, not in a shared home
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PID_FILE": str(self.base / "node.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        })
        return env

    def start(self, timeout=90):
        log = open(self.base / "console.log", "ab")
        command = _as_user(self.user, ["env", f"HOME={self.base}", str(RABBITMQ_SERVER)])
        self.process = subprocess.Popen(command, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                        cwd=self.base, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while not devstack.port_open("127.0.0.1", self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"private RabbitMQ exited ({self.process.returncode}); see {self.base}/log")
            if time.monotonic() > deadline:
                raise RuntimeError(f"private RabbitMQ did not listen on {self.port} in {timeout}s")
            time.sleep(0.2)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """SIGTERM: a clean stop (queues and persistent messages are kept); SIGKILL: the process dies."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        deadline = time.monotonic() + timeout  # the Erlang VM may outlive the script by a moment
        while devstack.port_open("127.0.0.1", self.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.process = None

    def running(self):
        return devstack.port_open("127.0.0.1", self.port)

    def remove(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
