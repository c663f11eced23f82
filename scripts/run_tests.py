"""make test: every test, against the local RabbitMQ, PostgreSQL and a local S3 endpoint.

Starts RabbitMQ (with its management API, which the tests use for private vhosts) and PostgreSQL if
they are installed and stopped, clears what an interrupted earlier run left behind, then runs pytest
twice: everything but the browser tests (with eventlet, as the services run), then the browser tests
(headless Chromium, without eventlet, whose monkey patch hangs Playwright's driver). Extra arguments
go to both runs (make test ARGS="-k outbox"). The last line adds both runs up.
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu_common import devstack  # noqa: E402
from kepu_common.testing import AMQP_URI, DATABASE_SERVER, admin_connection  # noqa: E402

NO_TESTS_COLLECTED = 5


def drop_leftover_databases():
    conn = admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database WHERE datname LIKE 'kepu\\_t\\_%' "
                        "OR datname LIKE 'kepu\\_tpl\\_%' OR datname LIKE 'kepu\\_it\\_%'")
            for (name,) in cur.fetchall():
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def run_pass(marker, argv, report, extra_env=None):
    env = {**os.environ, **(extra_env or {})}
    command = [sys.executable, "-m", "pytest", "-q", "-m", marker, f"--junitxml={report}", *argv]
    code = subprocess.run(command, cwd=ROOT, env=env).returncode
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    if Path(report).exists():
        for suite in ElementTree.parse(report).getroot().iter("testsuite"):
            total, failed = int(suite.get("tests", 0)), int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped = int(suite.get("skipped", 0))
            counts["passed"] += total - failed - skipped
            counts["failed"] += failed
            counts["skipped"] += skipped
    return (0 if code == NO_TESTS_COLLECTED else code), counts


def main(argv):
    try:
        devstack.ensure_rabbitmq(AMQP_URI, management=True)
        devstack.ensure_postgres(DATABASE_SERVER)
    except devstack.MissingInfrastructure as exc:
        print(f"cannot run the tests: {exc}", file=sys.stderr)
        return 1
    drop_leftover_databases()
    with tempfile.TemporaryDirectory() as tmp:
        code_services, services = run_pass("not browser", argv, f"{tmp}/services.xml")
        code_browser, browser = run_pass("browser", argv, f"{tmp}/browser.xml", {"KEPU_TEST_NO_EVENTLET": "1"})
    total = {key: services[key] + browser[key] for key in services}
    print(f"\ntotal: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 1 if code_services or code_browser else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
