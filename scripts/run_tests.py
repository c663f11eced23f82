"""make test: every test, against the local RabbitMQ, PostgreSQL and a local S3 endpoint.

Starts RabbitMQ (with its management API, which the tests use for private vhosts) and PostgreSQL if
they are installed and stopped, clears what an interrupted earlier run left behind, then runs pytest
in several processes at once: the test files are shared out between KEPU_TEST_SHARDS processes
(default 3) by their last measured durations (tests/durations.json), and the browser tests run in one
more process without eventlet (Playwright's driver hangs under its monkey patch). Each test already
has its own vhost, databases and buckets, so processes side by side do not collide; most of the
suite waits on the broker, the database and the services it starts, which is why three processes
beat one on two cores.

Extra arguments go to every process (make test ARGS="-k outbox"); when they name test paths, those
run in one process per pass, as pytest would. `--store-durations` rewrites tests/durations.json from
this run. The last line adds every process up.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu_common.devtools import devstack  # noqa: E402
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, admin_connection  # noqa: E402

NO_TESTS_COLLECTED = 5
TEST_PATHS = ("kepu_common/tests", "services", "gateway/tests", "tests")
DURATIONS = ROOT / "tests" / "durations.json"
CONNECTIONS_PER_PROCESS = 150


def made_by_a_live_process(name):
    """Test databases are named kepu_t_<pid>_... / kepu_tpl_<pid>_... by the process that made them (conftest's
    worker_tag): one whose process still runs belongs to a run going on beside this one and is left alone."""
    parts = name.split("_")
    if len(parts) < 3 or not parts[2].isdigit():
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_leftover_databases():
    """What interrupted earlier runs left behind; a run going on beside this one keeps its databases."""
    conn = admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database WHERE datname LIKE 'kepu\\_t\\_%' "
                        "OR datname LIKE 'kepu\\_tpl\\_%'")
            for (name,) in cur.fetchall():
                if not made_by_a_live_process(name):
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def shards_the_database_allows(wanted):
    """A test process with a platform running holds up to ~150 connections (every service's pool, the
    relays, the test's own): PostgreSQL's default max_connections of 100 fits one process at a time."""
    conn = admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW max_connections")
            allowed = max(1, int(cur.fetchone()[0]) // CONNECTIONS_PER_PROCESS)
    finally:
        conn.close()
    if allowed < wanted:
        print(f"PostgreSQL allows {allowed} test process(es) at once, not {wanted}: raise max_connections to "
              f"{wanted * CONNECTIONS_PER_PROCESS} to run them side by side (README.md, 'The two commands')", file=sys.stderr)
    return min(wanted, allowed)


def test_files():
    files = []
    for top in TEST_PATHS:
        files.extend(sorted(str(p.relative_to(ROOT)) for p in (ROOT / top).rglob("test_*.py")
                            if "__pycache__" not in p.parts))
    return files


def share_out(files, weights, shards):
    """Longest first, each file to the lightest shard: a file stays whole, so its module fixtures start once."""
    default = sorted(weights.values())[len(weights) // 2] if weights else 1.0
    loads = [[0.0, []] for _ in range(shards)]
    for name in sorted(files, key=lambda f: -weights.get(f, default)):
        lightest = min(loads, key=lambda load: load[0])
        lightest[0] += weights.get(name, default)
        lightest[1].append(name)
    return [sorted(names) for _, names in loads if names]


def counts_of(report):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    if Path(report).exists():
        for suite in ElementTree.parse(report).getroot().iter("testsuite"):
            total, failed = int(suite.get("tests", 0)), int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped = int(suite.get("skipped", 0))
            counts["passed"] += total - failed - skipped
            counts["failed"] += failed
            counts["skipped"] += skipped
    return counts


def file_of(classname):
    """'services.metrics.tests.test_mall.TestMall' -> 'services/metrics/tests/test_mall.py'."""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        candidate = Path(*parts[:end]).with_suffix(".py")
        if (ROOT / candidate).exists():
            return str(candidate)
    return None


def durations_of(reports):
    seconds = {}
    for report in reports:
        if Path(report).exists():
            for case in ElementTree.parse(report).getroot().iter("testcase"):
                name = file_of(case.get("classname", ""))
                if name:
                    seconds[name] = round(seconds.get(name, 0.0) + float(case.get("time", 0)), 1)
    return seconds


class Run:
    """One pytest process, its output kept in a file and shown whole when it ends (no interleaving)."""

    def __init__(self, label, marker, argv, tmp, extra_env=None):
        self.label, self.report = label, f"{tmp}/{label}.xml"
        self.log = open(f"{tmp}/{label}.log", "w+b")
        command = [sys.executable, "-m", "pytest", "-q", "-m", marker, f"--junitxml={self.report}", *argv]
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(extra_env or {})},
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def finish(self):
        code = self.process.wait()
        self.log.seek(0)
        sys.stdout.write(f"\n===== {self.label} ({time.monotonic() - self.started:.0f} s) =====\n")
        sys.stdout.flush()
        sys.stdout.buffer.write(self.log.read())
        sys.stdout.flush()
        self.log.close()
        return (0 if code == NO_TESTS_COLLECTED else code), counts_of(self.report)


def main(argv):
    store = "--store-durations" in argv
    argv = [arg for arg in argv if arg != "--store-durations"]
    try:
        devstack.ensure_rabbitmq(AMQP_URI, management=True)
        devstack.ensure_postgres(DATABASE_SERVER)
    except devstack.MissingInfrastructure as exc:
        print(f"cannot run the tests: {exc}", file=sys.stderr)
        return 1
    drop_leftover_databases()
    named_paths = any(not arg.startswith("-") for arg in argv)
    if named_paths:
        groups = [[]]
    else:
        weights = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
        shards = shards_the_database_allows(int(os.environ.get("KEPU_TEST_SHARDS", "3")))
        groups = share_out(test_files(), weights, shards)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [Run(f"services-{n + 1}", "not browser", [*argv, *group], tmp) for n, group in enumerate(groups)]
        runs.append(Run("browser", "browser", argv, tmp, {"KEPU_TEST_NO_EVENTLET": "1"}))
        results = [run.finish() for run in runs]
        if store and not argv:
            DURATIONS.write_text(json.dumps(durations_of([run.report for run in runs]), indent=1, sort_keys=True) + "\n")
    total = {key: sum(counts[key] for _, counts in results) for key in ("passed", "failed", "skipped")}
    print(f"\ntotal: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped "
          f"in {time.monotonic() - started:.0f} s ({len(runs)} processes)")
    return 1 if any(code for code, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
