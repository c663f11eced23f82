"""What every benchmark needs: the infrastructure, a private platform, CPU accounting per process."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu_common.devtools import devstack  # noqa: E402
from kepu_common.operations.keys import ensure_pair  # noqa: E402
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API, mint_token  # noqa: E402


def ensure_wrk():
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)


@contextmanager
def platform(components, **settings):
    devstack.ensure_rabbitmq(AMQP_URI, management=True)
    devstack.ensure_postgres(DATABASE_SERVER)
    with tempfile.TemporaryDirectory(prefix="kepu-bench-") as tmp:
        tmp = Path(tmp)
        _, public_key = ensure_pair(tmp / "keys")
        s3_port = devstack.free_port()
        s3 = devstack.start_s3(s3_port)
        try:
            with devstack.isolated_platform(AMQP_URI, RABBIT_API, DATABASE_SERVER, f"http://127.0.0.1:{s3_port}",
                                            tmp, public_key, components=components, **settings) as running:
                private_key = (tmp / "keys" / "jwt-private.pem").read_text()
                running.token = lambda roles: mint_token(private_key, roles, sub="00000000-0000-0000-0000-000000000001",
                                                         ttl=3600)
                yield running
        finally:
            devstack.stop_s3(s3)


def cpu_ticks(running=None):
    """utime+stime per process, keyed by pid, with a short label of what the process is.

    Given the running platform, only what serves it: its processes and their children (gunicorn's
    workers), the PostgreSQL backends connected to its databases, and the broker on its AMQP port (shared
    with whatever else uses that broker). On a machine shared with other work, the rest would otherwise be
    counted as "other", and other brokers (a test's private nodes) as "rabbitmq".
    """
    ticks, parents = {}, {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[pid] = fields[1]
        ticks[pid] = (label(cmd, stat), int(fields[11]) + int(fields[12]), cmd)
    if running is not None:
        ours = {str(process.pid) for process in running.processes.values()}
        grown = True
        while grown:
            before = len(ours)
            ours |= {pid for pid, parent in parents.items() if parent in ours}
            grown = len(ours) > before
        prefix = running.env["DATABASE_PREFIX"]
        broker = listening_sockets(urlsplit(running.env["AMQP_URI"].split(";")[0]).port or 5672)
        ticks = {pid: entry for pid, entry in ticks.items()
                 if pid in ours or (entry[0] == "postgresql" and prefix in entry[2])
                 or (entry[0] == "rabbitmq" and holds_socket(pid, broker))}
    return {pid: (name, used) for pid, (name, used, _) in ticks.items()}


def listening_sockets(port):
    """Inodes of the TCP sockets listening on port (IPv4 and IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


def holds_socket(pid, inodes):
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] in inodes for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def label(cmd, stat):
    if "gunicorn" in cmd:
        return "gateway (gunicorn)"
    if "granian" in cmd:
        return "gateway (granian)"
    if "kepu_common.cli run" in cmd:
        return "service " + cmd.split(" run ")[1].split()[0]
    if "beam.smp" in cmd:
        return "rabbitmq"
    if stat.split("(")[1].startswith("postgres"):
        return "postgresql"
    if "wrk" in cmd.split(" ")[0]:
        return "load generator (wrk)"
    return "other"


def cpu_seconds_between(before, after):
    hz = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid, (name, ticks) in after.items():
        delta = ticks - before.get(pid, (name, 0))[1]
        if delta > 0:
            used[name] = used.get(name, 0) + delta / hz
    return used


def parse_wrk(output):
    def latency_ms(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    figures = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for percentile in ("50", "90", "99"):
        figures[f"p{percentile}_ms"] = latency_ms(re.search(rf"^\s+{percentile}%\s+(\S+)", output, re.M).group(1))
    figures["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["non_2xx"] = int(errors.group(1)) if errors else 0
    return figures
