"""A private 3-node RabbitMQ cluster on this machine, for the cluster tests (docs/operations.md, "RabbitMQ
cluster with quorum queues").

Nodes kepu-c1/c2/c3@localhost, each with its own AMQP and distribution ports, data and log directories
under one temporary directory, no plugins, and a config file of its own (the machine's
/etc/rabbitmq/rabbitmq.conf binds 5672, the shared node's port). They share the machine's Erlang cookie
(/var/lib/rabbitmq/.erlang.cookie: run as the rabbitmq user when we are root) and join kepu-c1 with
`rabbitmqctl join_cluster`. The shared node on 5672 is never touched.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from kepu_common.devtools import devstack

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
COOKIE_HOME = "/var/lib/rabbitmq"  # where the machine's .erlang.cookie lives
NODE_NAMES = ("kepu-c1", "kepu-c2", "kepu-c3")


class ClusterUnavailable(RuntimeError):
    pass


def installed():
    return Path(SERVER).exists() and Path(CTL).exists()


def registered_nodes():
    """Node names epmd knows on this machine (its NAMES request): cheaper than a CLI call, which boots a VM."""
    try:
        with socket.create_connection(("127.0.0.1", 4369), timeout=2) as sock:
            sock.sendall(b"\x00\x01n")
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
    except OSError:
        return set()
    return {line.split()[1] for line in data[4:].decode(errors="replace").splitlines() if line.startswith("name ")}


def _as_broker_user(command, env=None):
    """RabbitMQ refuses to mix cookies: as root, run as the rabbitmq user whose HOME holds the cookie."""
    env = {**(env or {}), "HOME": COOKIE_HOME} if os.geteuid() == 0 else (env or {})
    prefix = ["runuser", "-u", "rabbitmq", "--"] if os.geteuid() == 0 else []
    return [*prefix, "env", *(f"{k}={v}" for k, v in env.items()), *command]


class Node:
    def __init__(self, name, base, heartbeat):
        self.name = name
        self.node = f"{name}@localhost"
        self.amqp_port = devstack.free_port()
        self.dist_port = devstack.free_port()
        self.base = base
        self.heartbeat = heartbeat
        self.process = None

    @property
    def pid_file(self):
        return self.base / f"{self.name}.pid"

    def uri(self, vhost="/"):
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/{vhost.lstrip('/') or '/'}"

    def _env(self):
        return {
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / f"{self.name}.conf"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
        }

    def start(self):
        (self.base / f"{self.name}.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n"
            "loopback_users = none\n"
            # short, so a test quiet for many intervals stands for a night of quiet (docs/operations.md)
            f"heartbeat = {self.heartbeat}\n"
            "log.console = false\n"
        )
        self.pid_file.unlink(missing_ok=True)
        log = open(self.base / f"{self.name}.out", "ab")
        self.process = subprocess.Popen(_as_broker_user([SERVER], self._env()), stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        log.close()

    def wait_until_serving(self, seconds=180):
        """The AMQP listener opens last, once the node booted (a CLI call per poll would cost a VM each)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ClusterUnavailable(f"{self.node} exited; see {self.base / 'log'}")
            if devstack.port_open("127.0.0.1", self.amqp_port):
                return
            time.sleep(0.5)
        raise ClusterUnavailable(f"{self.node} not serving after {seconds}s")

    def beam_pid(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                return int(self.pid_file.read_text().strip())
            except (FileNotFoundError, ValueError):
                time.sleep(0.2)
        raise ClusterUnavailable(f"{self.node} wrote no pid file")

    def kill(self):
        """SIGKILL the Erlang VM: no goodbye to the other nodes or to the clients."""
        os.kill(self.beam_pid(), signal.SIGKILL)
        self.process.wait(30)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.kill(self.beam_pid(), signal.SIGTERM)  # the VM stops the node cleanly on SIGTERM
            self.process.wait(30)
        except (ClusterUnavailable, ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


class RabbitCluster:
    def __init__(self, heartbeat=4):
        self.base = Path(tempfile.mkdtemp(prefix="kepu-cluster-"))
        os.chmod(self.base, 0o777)  # the broker runs as the rabbitmq user
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "owner").write_text(str(os.getpid()))
        self.nodes = [Node(name, self.base, heartbeat) for name in NODE_NAMES]
        self.vhosts = []

    def ctl(self, node, *args, timeout=120):
        result = subprocess.run(_as_broker_user([CTL, "-q", "-n", node.node, *args]), capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            raise ClusterUnavailable(f"rabbitmqctl -n {node.node} {' '.join(args)}: {result.stdout}{result.stderr}")
        return result.stdout

    def _stop_leftovers(self):
        """Nodes of an interrupted earlier run hold our node names: stop them (they are ours by name), unless
        the run that started them is still going (its directory names its process)."""
        running = registered_nodes() & set(NODE_NAMES)
        others = {owner.parent: int(owner.read_text() or 0)
                  for owner in Path(tempfile.gettempdir()).glob("kepu-cluster-*/owner") if owner.parent != self.base}
        alive = [pid for pid in others.values() if Path(f"/proc/{pid}").exists()]
        if running and alive:
            raise ClusterUnavailable(f"test run {alive[0]} is using the nodes {sorted(running)}: run one at a time")
        for node in self.nodes:
            if node.name in running:
                subprocess.run(_as_broker_user([CTL, "-q", "-n", node.node, "stop"]), capture_output=True, timeout=60)
        for directory, pid in others.items():
            if pid not in alive:
                shutil.rmtree(directory, ignore_errors=True)

    def start(self):
        if not installed():
            raise ClusterUnavailable("RabbitMQ is not installed (apt-get install rabbitmq-server)")
        self._stop_leftovers()
        for path in ("mnesia", "log"):
            (self.base / path).mkdir(exist_ok=True)
        for path in self.base.iterdir():
            os.chmod(path, 0o777)
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_until_serving()
        seed = self.nodes[0]
        # one node at a time: two joining at once can fail in mnesia ({badmatch, ... mnesia_app, start}, seen in
        # CI), and a node left so may not even reset ({cannot_start_mnesia, ...}, seen in CI): such a node is
        # stopped, its database removed and started empty, then joins again
        for node in self.nodes[1:]:
            for attempt in range(3):
                try:
                    self._join(node, seed)
                    break
                except ClusterUnavailable:
                    if attempt == 2:
                        raise
                    self._start_empty(node, seed)
        missing = {node.node for node in self.nodes} - set(self.running_nodes(seed))
        if missing:
            raise ClusterUnavailable(f"nodes not running in the cluster: {sorted(missing)}")
        return self

    def _join(self, node, seed):
        self.ctl(node, "stop_app")
        self.ctl(node, "join_cluster", seed.node)
        self.ctl(node, "start_app")

    def _start_empty(self, node, seed):
        node.stop()
        try:  # the seed may count the node as a member already: it must forget it before it joins anew
            self.ctl(seed, "forget_cluster_node", node.node)
        except ClusterUnavailable:
            pass  # it was not one
        for path in (self.base / "mnesia").glob(f"{node.node}*"):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        node.start()
        node.wait_until_serving()

    def running_nodes(self, node):
        return json.loads(self.ctl(node, "cluster_status", "--formatter", "json"))["running_nodes"]

    def add_vhost(self, name):
        self.ctl(self.nodes[0], "add_vhost", name)
        self.ctl(self.nodes[0], "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        self.vhosts.append(name)
        return name

    def uri(self, vhost="/"):
        """Every node, as the services are configured for a cluster: kombu fails over from one to the next."""
        return ";".join(node.uri(vhost) for node in self.nodes)

    def node(self, name):
        return next(node for node in self.nodes if node.node == name or node.name == name)

    def queue_leader(self, vhost, queue):
        listing = self.ctl(self.nodes[0], "list_queues", "-p", vhost, "name", "leader", "--no-table-headers")
        for line in listing.splitlines():
            fields = line.split()
            if fields and fields[0] == queue:
                return self.node(fields[1])
        raise ClusterUnavailable(f"no queue {queue} in {vhost}")

    def restart(self, node):
        node.start()
        node.wait_until_serving()

    def stop(self):
        for node in self.nodes:
            node.stop()
        keep = os.environ.get("KEPU_CLUSTER_LOGS")  # a directory to keep the nodes' logs in, for a post-mortem
        if keep:
            shutil.copytree(self.base / "log", Path(keep) / self.base.name, dirs_exist_ok=True)
        shutil.rmtree(self.base, ignore_errors=True)
