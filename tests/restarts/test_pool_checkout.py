"""The service connection pool after the server ended its sessions: no worker gets a stale connection.

pg_terminate_backend ends a session exactly as a server restart does (a FATAL notice, then the socket
closes), on the shared test server, without stopping it.
"""
import select
import types

import psycopg2
import pytest

from kepu_common.data.db import Database, UnreachableDatabase, idle_connection_alive
from kepu_common.interfaces.errors import Unavailable
from kepu_common.devtools.testing import admin_connection

POOL_SIZE = 4


def make_database(url, size=POOL_SIZE):
    database = Database(max_connections=size)
    database.container = types.SimpleNamespace(config={"DATABASE_URL": url}, service_name="identity")
    database.setup()
    return database


def backend_pid(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def run_workers(database, count):
    """count workers at once, each running one statement; returns their backends' pids."""
    workers = [object() for _ in range(count)]
    conns = [database.get_dependency(worker) for worker in workers]
    pids = [backend_pid(conn) for conn in conns]
    for worker in workers:
        database.worker_teardown(worker)
    return pids


def terminate(pids):
    """End the sessions as a restart would, and wait until each client can see it."""
    conn = admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (list(pids),))
    finally:
        conn.close()


def wait_readable(conns):
    for conn in conns:
        assert select.select([conn], [], [], 10)[0], "the server did not close the session"


@pytest.fixture
def database(database_factory):
    database = make_database(database_factory("identity"))
    yield database
    database.stop()


def test_a_healthy_pooled_connection_is_reused(database):
    first = run_workers(database, 1)
    assert run_workers(database, 1) == first


def test_every_stale_pooled_connection_is_replaced_before_a_worker_uses_it(database):
    old = run_workers(database, POOL_SIZE)
    idle = list(database.pool._pool)
    assert len(idle) == POOL_SIZE
    terminate(old)
    wait_readable(idle)

    new = run_workers(database, POOL_SIZE)  # fails with "server closed the connection" without the check

    assert not set(new) & set(old)
    assert all(conn.closed for conn in idle)
    print(f"\nrestart of {POOL_SIZE} pooled sessions: {POOL_SIZE} workers after it, 0 failed, "
          f"{POOL_SIZE} stale connections dropped at checkout")


def test_a_stale_connection_is_not_mistaken_for_a_live_one(database_factory):
    conn = psycopg2.connect(database_factory("identity"))
    try:
        assert idle_connection_alive(conn)
        terminate([conn.get_backend_pid()])
        wait_readable([conn])
        assert not idle_connection_alive(conn)
    finally:
        conn.close()
    assert not idle_connection_alive(conn)


def test_an_unreachable_database_answers_unavailable_naming_it():
    database = make_database("postgresql://postgres@127.0.0.1:1/nowhere")
    conn = database.get_dependency(object())
    assert isinstance(conn, UnreachableDatabase)
    with pytest.raises(Unavailable) as raised:
        with conn:
            pass
    assert raised.value.details == {"dependency": "identity.database"}
