"""make test: every test, against the local RabbitMQ, PostgreSQL and a local S3 endpoint.

Starts RabbitMQ (with its management API, which the tests use for private vhosts) and PostgreSQL if
they are installed and stopped, clears what an interrupted earlier run left behind, then runs pytest.
Extra arguments go to pytest (make test ARGS="-k outbox" or scripts/run_tests.py -k outbox).
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu_common import devstack  # noqa: E402
from kepu_common.testing import AMQP_URI, DATABASE_SERVER, admin_connection  # noqa: E402


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


def main(argv):
    try:
        devstack.ensure_rabbitmq(AMQP_URI, management=True)
        devstack.ensure_postgres(DATABASE_SERVER)
    except devstack.MissingInfrastructure as exc:
        print(f"cannot run the tests: {exc}", file=sys.stderr)
        return 1
    drop_leftover_databases()
    args = [sys.executable, "-m", "pytest", "-q", *argv]
    os.chdir(ROOT)
    os.execv(sys.executable, args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
