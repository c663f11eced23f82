"""An activities service against real RabbitMQ and PostgreSQL, with a directory and admins that arrive the
way they do in production (identity's events) and a campaign open today."""
import json
import uuid
from datetime import date, timedelta

import psycopg2
import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from kepu_common.bus.amqp import ConfirmedPublisher
from kepu_common.interfaces.contracts import exchange_name, make_event, routing_key
from services.activities.service import ActivitiesService
from services.activities.tests.forms import activity_form, poster

ADMIN_A, ADMIN_B, PLATFORM_ADMIN, TIANHE_ADMIN = (str(uuid.uuid4()) for _ in range(4))
ORG_A, ORG_B = str(uuid.uuid4()), str(uuid.uuid4())
TIANHE_CAST, GUANGDONG_CAST, MINISTRY, CHAOYANG_CAST, UNVERIFIED, SOCIETY = (str(uuid.uuid4()) for _ in range(6))
DIRECTORY = [
    (ORG_A, "天河区气象科普馆", "other", "440106", True),
    (ORG_B, "朝阳区青少年活动中心", "other", "110105", True),
    (TIANHE_CAST, "广州市天河区科学技术协会", "county_cast", "440106", True),
    (GUANGDONG_CAST, "广东省科学技术协会", "provincial_cast", "440000", True),
    (MINISTRY, "中国气象局", "ministry", "110000", True),
    (CHAOYANG_CAST, "北京市朝阳区科学技术协会", "county_cast", "110105", True),
    (UNVERIFIED, "某某区科协（未认证）", "county_cast", "440106", False),
    (SOCIETY, "中国气象学会", "national_society", "110000", True),
]


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as hook:
        return hook(*args, **kwargs)


def publish(container, amqp_uri, handler, *events):
    publisher = ConfirmedPublisher(amqp_uri)
    handled = []

    def all_handled(worker_ctx, result, exc_info):  # events may arrive over more than one batch
        handled.extend(worker_ctx.args[0])
        return len(handled) >= len(events)

    try:
        with entrypoint_waiter(container, handler, callback=all_handled):
            publisher.publish_batch([(exchange_name(e["source"]), routing_key(e["event_type"], e),
                                      json.dumps(e).encode(), e["event_id"]) for e in events])
    finally:
        publisher.close()


def sql(container, statement, args=()):
    with psycopg2.connect(container.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(statement, args)
        return cur.fetchall() if cur.description else None


@pytest.fixture
def activities(start_service, amqp_uri):
    container = start_service(ActivitiesService)
    for org_id, name, category, region, verified in DIRECTORY:
        publish(container, amqp_uri, "on_org_registered",
                make_event("org_registered", "identity", org_id=org_id, registrant_id=ADMIN_A, name=name,
                           category=category, region_code=region))
        if verified:
            publish(container, amqp_uri, "on_org_verified",
                    make_event("org_verified", "identity", org_id=org_id, registrant_id=ADMIN_A))
    for user_id in (ADMIN_A, ADMIN_B, PLATFORM_ADMIN, TIANHE_ADMIN):
        publish(container, amqp_uri, "on_user_verified",
                make_event("user_verified", "identity", verification_id=str(uuid.uuid4()), user_id=user_id))
    for user_id, role, scope in ((ADMIN_A, "org_admin", ORG_A), (ADMIN_B, "org_admin", ORG_B),
                                 (PLATFORM_ADMIN, "platform_admin", ""), (TIANHE_ADMIN, "org_admin", TIANHE_CAST)):
        publish(container, amqp_uri, "on_role_granted",
                make_event("role_granted", "identity", user_id=user_id, role=role, scope=scope, actor_id=None))
    return container


def open_campaign(container, quotas=None, **changes):
    today = date.today()
    body = {"name": "2023年全国科普日", "year": 2023, "theme": "提升全民科学素质",
            "window_start": (today - timedelta(days=5)).isoformat(),
            "window_end": (today + timedelta(days=40)).isoformat(), "quotas": quotas or {"county_cast": 1}}
    body.update(changes)
    return call(container, "create_campaign", PLATFORM_ADMIN, body)


@pytest.fixture
def campaign(activities):
    return open_campaign(activities)


def form(campaign, supervisor=TIANHE_CAST, category="county_cast", **changes):
    return {**activity_form(campaign["id"], supervisor, category), "poster": poster(), **changes}


def decide(container, amqp_uri, activity_id, stage, decision="approved", comment="", decided_at=None):
    event = make_event("review_decided", "review", task_id=str(uuid.uuid4()), subject_type="activity",
                       subject_id=activity_id, stage=stage, decision=decision, comment=comment,
                       reviewer_id=str(uuid.uuid4()),
                       **({"decided_at": decided_at} if decided_at else {"decided_at": _now()}))
    publish(container, amqp_uri, "on_review_decided", event)


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat()


def outbox(container, event_type):
    return [row[0] for row in sql(container, "SELECT payload FROM outbox WHERE event_type = %s ORDER BY id",
                                  (event_type,))]
