"""Review tasks against real RabbitMQ and PostgreSQL: requests in, decisions out, access enforced."""
import uuid

import eventlet
import psycopg2
import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from kepu_common.interfaces.contracts import make_event
from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, NotFound
from kepu_common.bus.rpc_client import RemoteError, RpcClient
from kepu_common.devtools.testing import publish_events
from services.review.service import ReviewService

ADMIN, INITIAL, GUANGDONG, BEIJING = "u-admin", "u-initial", "u-gd", "u-bj"


@pytest.fixture
def review(start_service, amqp_uri):
    container = start_service(ReviewService)
    for user, role, scope in [(ADMIN, "platform_admin", ""), (INITIAL, "reviewer", "initial"),
                              (GUANGDONG, "reviewer", "provincial:440000"), (BEIJING, "reviewer", "provincial:110000")]:
        publish(container, amqp_uri, "identity", "role_granted", "on_role_granted", raw_user=user, role=role,
                scope=scope, actor_id=None)
    return container


def publish(container, amqp_uri, source, event_type, handler, raw_user=None, **fields):
    if raw_user is not None:
        fields["user_id"] = str(uuid.uuid5(uuid.NAMESPACE_OID, raw_user))
    event = make_event(event_type, source, **fields)
    with entrypoint_waiter(container, handler):
        publish_events(amqp_uri, [event])
    return event


def user(name):
    return str(uuid.uuid5(uuid.NAMESPACE_OID, name))


def request_review(container, amqp_uri, subject_id="r-1", stage="initial", scope=None, source="resources",
                   snapshot=None):
    return publish(container, amqp_uri, source, "review_requested", f"on_{source}_request",
                   subject_type="resource", subject_id=subject_id, stage=stage, scope=scope,
                   snapshot=snapshot or {"title": "雾霾的成因", "file_key": "uploads/x.mp4"})


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def as_(name, **extra):
    return {"actor_id": user(name), "client_address": "192.0.2.7", **extra}


def rows(container, sql, args=()):
    with psycopg2.connect(container.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def open_task(container, name=INITIAL):
    return call(container, "list_tasks", as_(name))[0]


def test_request_becomes_one_task_even_when_redelivered(review, amqp_uri):
    event = request_review(review, amqp_uri)
    with entrypoint_waiter(review, "on_resources_request"):
        publish_events(amqp_uri, [event])
    listed = call(review, "list_tasks", as_(INITIAL))
    assert len(listed) == 1 and listed[0]["snapshot"]["title"] == "雾霾的成因"


def test_tasks_come_in_pages_with_has_more_and_total(review, amqp_uri):
    for subject in ("r-1", "r-2", "r-3"):
        request_review(review, amqp_uri, subject_id=subject)
    first = call(review, "task_page", as_(INITIAL, page_size=2))
    second = call(review, "task_page", as_(INITIAL, page=2, page_size=2))
    assert [t["subject_id"] for t in first["items"]] == ["r-1", "r-2"]  # oldest first
    assert (first["page"], first["page_size"], first["has_more"], first["total"]) == (1, 2, True, 3)
    assert ([t["subject_id"] for t in second["items"]], second["has_more"], second["total"]) == (["r-3"], False, 3)
    assert call(review, "task_page", as_(INITIAL, status="decided")) == {
        "items": [], "page": 1, "page_size": 50, "has_more": False, "total": 0}


def test_newer_request_supersedes_the_open_task(review, amqp_uri):
    request_review(review, amqp_uri, snapshot={"title": "v1"})
    request_review(review, amqp_uri, snapshot={"title": "v2"})
    assert [t["snapshot"]["title"] for t in call(review, "list_tasks", as_(INITIAL))] == ["v2"]
    assert rows(review, "SELECT status FROM tasks ORDER BY created_at") == [("superseded",), ("open",)]


def test_a_newer_request_in_another_stage_supersedes_too(review, amqp_uri):
    request_review(review, amqp_uri, stage="scientific", snapshot={"title": "v1"})
    request_review(review, amqp_uri, stage="initial", snapshot={"title": "v1, revised"})
    assert rows(review, "SELECT stage, status FROM tasks ORDER BY created_at") == [
        ("scientific", "superseded"), ("initial", "open")]


def test_decision_is_announced_and_audited_with_address(review, amqp_uri):
    request_review(review, amqp_uri)
    task = open_task(review)
    decided = call(review, "decide", task["id"], as_(INITIAL, decision="rejected", comment="数据来源不明"))
    assert (decided["status"], decided["decision"]) == ("decided", "rejected")
    event = rows(review, "SELECT payload FROM outbox WHERE event_type = 'review_decided'")[0][0]
    assert (event["subject_id"], event["decision"], event["comment"], event["reviewer_id"]) == \
        ("r-1", "rejected", "数据来源不明", user(INITIAL))
    history = call(review, "get_task", task["id"], as_(INITIAL))["history"]
    assert [h["action"] for h in history] == ["created", "rejected"]
    assert rows(review, "SELECT client_address FROM audit WHERE action = 'rejected'") == [("192.0.2.7",)]


def test_bad_decisions_record_nothing(review, amqp_uri):
    request_review(review, amqp_uri)
    task = open_task(review)
    with pytest.raises(InvalidInput):
        call(review, "decide", task["id"], as_(INITIAL, decision="rejected", comment=""))
    with pytest.raises(Forbidden):
        call(review, "decide", task["id"], as_(GUANGDONG, decision="approved"))
    with pytest.raises(NotFound):
        call(review, "decide", str(uuid.uuid4()), as_(INITIAL, decision="approved"))
    with pytest.raises(NotFound):
        call(review, "decide", "not-a-task", as_(INITIAL, decision="approved"))
    call(review, "decide", task["id"], as_(INITIAL, decision="approved"))
    with pytest.raises(Conflict):
        call(review, "decide", task["id"], as_(ADMIN, decision="rejected", comment="再看看"))
    assert rows(review, "SELECT count(*) FROM outbox WHERE event_type = 'review_decided'") == [(1,)]
    assert rows(review, "SELECT action FROM audit ORDER BY id") == [("created",), ("approved",)]


def test_provincial_reviewers_see_only_their_province(review, amqp_uri):
    request_review(review, amqp_uri, "a-gd", stage="provincial", scope="440000", source="activities")
    request_review(review, amqp_uri, "a-bj", stage="provincial", scope="110000", source="activities")
    assert [t["subject_id"] for t in call(review, "list_tasks", as_(GUANGDONG))] == ["a-gd"]
    assert [t["subject_id"] for t in call(review, "list_tasks", as_(BEIJING))] == ["a-bj"]
    assert call(review, "list_tasks", as_(INITIAL)) == []
    assert len(call(review, "list_tasks", as_(ADMIN))) == 2
    queues = call(review, "queues", as_(GUANGDONG))
    assert [(q["stage"], q["open"]) for q in queues] == [("provincial", 1)]
    bj_task = call(review, "list_tasks", as_(BEIJING))[0]
    with pytest.raises(Forbidden):
        call(review, "get_task", bj_task["id"], as_(GUANGDONG))


def test_claims_keep_others_off_until_released(review, amqp_uri):
    request_review(review, amqp_uri)
    task = open_task(review)
    call(review, "claim", task["id"], as_(INITIAL))
    with pytest.raises(Conflict) as error:
        call(review, "claim", task["id"], as_(ADMIN))
    assert error.value.fields["task"]["code"] == "task_claimed_by_other"
    with pytest.raises(Conflict):
        call(review, "decide", task["id"], as_(ADMIN, decision="approved"))
    call(review, "release", task["id"], as_(INITIAL))
    assert call(review, "decide", task["id"], as_(ADMIN, decision="approved"))["decided_by"] == user(ADMIN)


def test_expired_claim_lets_another_reviewer_in(review, amqp_uri):
    request_review(review, amqp_uri)
    task = open_task(review)
    call(review, "claim", task["id"], as_(INITIAL))
    rows(review, "UPDATE tasks SET claimed_until = now() - interval '1 second' RETURNING id")
    assert call(review, "claim", task["id"], as_(ADMIN))["claimed_by"] == user(ADMIN)


def test_a_claim_lasts_the_configured_time_on_the_application_clock(review, amqp_uri):
    from datetime import datetime, timedelta, timezone

    request_review(review, amqp_uri)
    task = open_task(review)
    before = datetime.now(timezone.utc)
    claimed = call(review, "claim", task["id"], as_(INITIAL))
    until = datetime.fromisoformat(claimed["claimed_until"])
    assert before + timedelta(minutes=15) <= until <= datetime.now(timezone.utc) + timedelta(minutes=15)


def test_two_reviewers_racing_on_one_task_make_one_decision(review, amqp_uri):
    request_review(review, amqp_uri)
    task = open_task(review)
    client = RpcClient(amqp_uri, timeout=10)  # over the broker, as the gateway calls: two workers at once
    outcomes = []

    def decide(name, decision):
        try:
            outcomes.append(client.call("review", "decide", task["id"], as_(name, decision=decision, comment="理由")))
        except RemoteError as exc:
            outcomes.append(exc.exc_type)

    pool = eventlet.GreenPool()
    pool.spawn(decide, INITIAL, "approved")
    pool.spawn(decide, ADMIN, "rejected")
    pool.waitall()
    client.close()
    assert sorted(o if isinstance(o, str) else "decided" for o in outcomes) == ["Conflict", "decided"]
    assert rows(review, "SELECT count(*) FROM outbox WHERE event_type = 'review_decided'") == [(1,)]
    assert rows(review, "SELECT count(*) FROM audit WHERE action IN ('approved', 'rejected')") == [(1,)]


def test_batch_decision_reports_each_task(review, amqp_uri):
    for n in range(3):
        request_review(review, amqp_uri, f"r-{n}")
    ids = [t["id"] for t in call(review, "list_tasks", as_(INITIAL))]
    call(review, "claim", ids[0], as_(ADMIN))
    results = call(review, "decide_many", as_(INITIAL, task_ids=ids + [str(uuid.uuid4())], decision="approved"))
    assert [r["status"] for r in results] == ["refused", "decided", "decided", "refused"]
    assert [r.get("code") for r in results] == ["conflict", None, None, "not_found"]
    assert [r.get("message") for r in results] == ["task_claimed_by_other", None, None, "task_not_found"]
    assert results[0]["fields"] == {"task": {"code": "task_claimed_by_other", "params": {}}}
    assert rows(review, "SELECT count(*) FROM outbox WHERE event_type = 'review_decided'") == [(2,)]


def test_revoked_reviewer_loses_access(review, amqp_uri):
    request_review(review, amqp_uri)
    publish(review, amqp_uri, "identity", "role_revoked", "on_role_revoked", raw_user=INITIAL, role="reviewer",
            scope="initial", actor_id=None)
    assert call(review, "list_tasks", as_(INITIAL)) == []
