"""What every benchmark needs: the infrastructure, a private platform, CPU accounting per process."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu_common import devstack  # noqa: E402
from kepu_common.keys import ensure_pair  # noqa: E402
from kepu_common.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API, mint_token  # noqa: E402


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
            s3.terminate()
            s3.wait(10)


def cpu_ticks():
    """utime+stime per process, keyed by pid, with a short label of what the process is."""
    ticks = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ticks[pid] = (label(cmd, stat), int(fields[11]) + int(fields[12]))
    return ticks


def label(cmd, stat):
    if "gunicorn" in cmd:
        return "gateway (gunicorn)"
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
