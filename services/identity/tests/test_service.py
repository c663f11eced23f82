import psycopg2
import pytest
from marshmallow import ValidationError
from nameko.testing.services import entrypoint_hook

from services.identity.service import IdentityService


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


def rows(container, sql):
    with psycopg2.connect(container.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_ping_records_the_ping_and_its_event_in_one_transaction(identity):
    with entrypoint_hook(identity, "ping") as ping:
        result = ping({"message": "同一事务"})
    assert rows(identity, "SELECT id::text, message FROM pings") == [(result["id"], "同一事务")]
    assert rows(identity, "SELECT payload->>'ping_id', payload->>'message', event_type FROM outbox") == [
        (result["id"], "同一事务", "ping")
    ]


def test_invalid_ping_writes_nothing(identity):
    with entrypoint_hook(identity, "ping") as ping:
        with pytest.raises(ValidationError):
            ping({"message": ""})
    assert rows(identity, "SELECT count(*) FROM pings") == [(0,)]
    assert rows(identity, "SELECT count(*) FROM outbox") == [(0,)]


def test_health_reports_database_and_outbox(identity):
    with entrypoint_hook(identity, "health") as health:
        assert health() == {"service": "identity", "database": "ok", "outbox_pending": 0}


def test_workers_return_their_connections_to_the_pool(identity):
    with entrypoint_hook(identity, "health") as health:
        for _ in range(30):  # more calls than the pool (max_workers=4) has connections
            health()
    providers = [d for d in identity.dependencies if d.attr_name == "db"]
    assert providers[0].pool._used == {}
    assert len(providers[0].pool._pool) <= 4
