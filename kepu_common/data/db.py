"""PostgreSQL access for services: one pool per service container, one connection per worker."""
import logging
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.extras
import psycopg2.pool
from eventlet.patcher import original
from nameko.extensions import DependencyProvider

from kepu_common.operations import patches
from kepu_common.interfaces.errors import Unavailable

log = logging.getLogger(__name__)

psycopg2.extras.register_uuid()

# the real poll(2), not eventlet's green select: a checkout asks "is anything waiting?" without a hub switch
_select = original("select")


def database_url(config, service_name):
    """DATABASE_URL from the service config; each service owns its own database."""
    try:
        return config["DATABASE_URL"]
    except KeyError:
        raise KeyError(f"{service_name}: DATABASE_URL missing from config") from None


def ensure_database(url):
    """Create the database named in url if it does not exist (connecting to 'postgres' on the same server)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
                log.info("created database %s", name)
    except (psycopg2.errors.UniqueViolation, psycopg2.errors.DuplicateDatabase):
        pass  # a sibling instance created it at the same moment
    finally:
        conn.close()


@contextmanager
def transaction(conn):
    """Commit on success, roll back on error; yields a cursor."""
    with conn:
        with conn.cursor() as cur:
            yield cur


def claim_events(cur, consumer, events):
    """Record events as processed by consumer; return only those seen for the first time.

    Runs inside the consumer's own transaction, so a redelivered event that was already applied
    is skipped, and one whose effect rolled back is applied again.
    """
    unique = {}
    for event in events:  # a redelivered copy may arrive in the same batch as the original
        unique.setdefault(str(event["event_id"]), event)
    if not unique:
        return []
    cur.execute(
        "INSERT INTO processed_events (consumer, event_id) SELECT %s, unnest(%s::uuid[]) "
        "ON CONFLICT DO NOTHING RETURNING event_id",
        (consumer, list(unique)),
    )
    fresh = {str(row[0]) for row in cur.fetchall()}
    return [event for event_id, event in unique.items() if event_id in fresh]


patches.guard_psycopg2_pool()  # worker_teardown reads the pool's _used


class LazyPool(psycopg2.pool.ThreadedConnectionPool):
    """Opens connections on demand and keeps them open.

    psycopg2's pool closes every returned connection beyond minconn, and opens minconn connections
    eagerly: with minconn=0 each worker would pay a new connection (~8 ms), with minconn=maxconn a
    service could not start while the database is down.
    """

    def __init__(self, maxconn, dsn):
        super().__init__(0, maxconn, dsn)
        self.minconn = maxconn


class UnreachableDatabase:
    """Stands in for a connection the pool could not open: any use raises Unavailable.

    Raising in get_dependency would kill the worker before its entrypoint can answer (and nameko then
    kills the container); raising on use lets the RPC reply 503 and a consumer requeue its batch.
    """

    def __init__(self, error):
        self._error = error

    def __getattr__(self, name):
        raise self._error

    def __enter__(self):
        raise self._error

    def __exit__(self, *exc_info):
        return False


def idle_connection_alive(conn):
    """Whether a pooled, idle connection can still be used, without a round trip to the server.

    An idle session has nothing to read: when its socket is readable, the server has ended it (a
    restart or pg_terminate_backend sends a FATAL notice, then closes), or the session is otherwise
    out of step. psycopg2 learns of it only when the next statement fails, so this looks first: one
    poll(2) per checkout. A healthy connection wrongly discarded costs one reconnect, never an error.
    """
    if conn.closed:
        return False
    try:
        poller = _select.poll()
        poller.register(conn.fileno(), _select.POLLIN | _select.POLLPRI)
        return not poller.poll(0)
    except (OSError, ValueError, psycopg2.Error):
        return False


class Database(DependencyProvider):
    """Gives each worker a pooled psycopg2 connection; returns it when the worker ends.

    A pooled connection the server has closed (database restarted) is discarded at checkout, before the
    worker sends anything on it, and replaced by a new one: no request fails on a stale connection once
    the database is back. A connection that breaks during a worker is discarded when the worker ends.
    """

    def __init__(self, max_connections=None):
        self.max_connections = max_connections
        self.pool = None

    def setup(self):
        config = self.container.config
        self.url = database_url(config, self.container.service_name)
        size = self.max_connections or int(config.get("max_workers", 10))
        self.pool = LazyPool(size, self.url)

    def stop(self):
        if self.pool is not None:
            self.pool.closeall()

    kill = stop

    def get_dependency(self, worker_ctx):
        # a restart leaves every idle connection stale at once: each is dropped in turn, then a new one made
        for _ in range(self.pool.maxconn):
            conn = self._checkout(worker_ctx)
            if isinstance(conn, UnreachableDatabase) or idle_connection_alive(conn):
                return conn
            log.info("%s: dropping a pooled connection the database has closed", self.container.service_name)
            self.pool.putconn(conn, key=worker_ctx, close=True)
        return self._checkout(worker_ctx)

    def _checkout(self, worker_ctx):
        try:
            return self.pool.getconn(key=worker_ctx)
        except psycopg2.OperationalError as exc:
            service = self.container.service_name
            log.warning("%s: database unreachable: %s", service, exc)
            return UnreachableDatabase(Unavailable("database_unavailable", details={"dependency": f"{service}.database"},
                                                   service=service))

    def worker_teardown(self, worker_ctx):
        conn = self.pool._used.get(worker_ctx)
        if conn is None:
            return
        broken = bool(conn.closed)
        if not broken:
            try:
                conn.rollback()
            except psycopg2.Error:
                broken = True
        self.pool.putconn(conn, key=worker_ctx, close=broken)
