import uuid
from datetime import datetime, timezone

import psycopg2
import pytest
from nameko.testing.services import entrypoint_waiter

from kepu_common.interfaces.contracts import make_event
from kepu_common.devtools.testing import publish_events
from services.metrics.service import MetricsService


@pytest.fixture
def share_key_file(tmp_path):
    return str(tmp_path / "share-secret.key")


@pytest.fixture
def metrics_config(service_config, share_key_file):
    return service_config("metrics", METRICS={"share_key_file": share_key_file}, max_workers=20)


@pytest.fixture
def metrics(container_factory, metrics_config):
    container = container_factory(MetricsService, metrics_config)
    container.start()
    return container


@pytest.fixture
def db(metrics_config):
    conn = psycopg2.connect(metrics_config["DATABASE_URL"])
    conn.autocommit = True
    yield conn
    conn.close()


def query(conn, sql, *params):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def deliver(container, amqp_uri, method, events):
    """Publish events as their source does and wait until the consumer handled every one of them: on a loaded
    machine they may arrive over more than one batch's wait, so one worker's end is not enough."""
    handled = []

    def all_handled(worker_ctx, result, exc_info):
        handled.extend(worker_ctx.args[0])
        return len(handled) >= len(events)

    with entrypoint_waiter(container, method, timeout=30, callback=all_handled):
        publish_events(amqp_uri, events)


def published_resource(container, amqp_uri, kind="video"):
    resource_id = uuid.uuid4()
    deliver(container, amqp_uri, "on_resource_status", [make_event(
        "resource_status_changed", "resources", resource_id=str(resource_id), org_id=str(uuid.uuid4()), type=kind,
        status="published", previous_status="pending_scientific")])
    return resource_id


def returned(share_id, user_id, at=None):
    return make_event("share_returned", "gateway", share_id=str(share_id), user_id=str(user_id),
                      returned_at=(at or datetime.now(timezone.utc)).isoformat())
