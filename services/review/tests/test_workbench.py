"""The workbench against a real review service: sort by start date, search, service levels, escalation to the
stage's lead and reassignment, sessions ended; bad input refused with nothing changed."""
from datetime import datetime

import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.errors import Forbidden, InvalidInput

from services.review.tests.test_service import (  # noqa: F401
    ADMIN, GUANGDONG, INITIAL, as_, call, publish, review, rows, user,
)


def activity(container, amqp_uri, subject_id, name, start_at, stage="provincial", scope="440000", phone="13800000000"):
    publish(container, amqp_uri, "activities", "review_requested", "on_activities_request", subject_type="activity",
            subject_id=subject_id, stage=stage, scope=scope,
            snapshot={"name": name, "start_at": start_at, "end_at": start_at, "supervising_unit": "广东省科协",
                      "details": {"contact_person": "刘", "contact_phone": phone}})


def test_start_date_sort_search_and_masked_phones(review, amqp_uri):
    activity(review, amqp_uri, "wb-far", "远期天文讲座", "2027-05-01 09:00", phone="13800000001")
    activity(review, amqp_uri, "wb-soon", "近期机器人展", "2026-12-20 14:00", phone="13800000002")
    by_start = call(review, "list_tasks", as_(GUANGDONG, sort="start_at"))
    names = [task["snapshot"]["name"] for task in by_start if task["subject_id"].startswith("wb-")]
    assert names == ["近期机器人展", "远期天文讲座"]
    waiting = call(review, "list_tasks", as_(GUANGDONG))
    assert [t["subject_id"] for t in waiting if t["subject_id"].startswith("wb-")] == ["wb-far", "wb-soon"]
    assert by_start[0]["start_at"] == "2026-12-20 14:00" and by_start[0]["due_at"]
    found = call(review, "list_tasks", as_(GUANGDONG, q="机器人"))
    assert [t["subject_id"] for t in found] == ["wb-soon"]
    by_phone = call(review, "list_tasks", as_(GUANGDONG, phone="13800000001"))
    assert [t["subject_id"] for t in by_phone] == ["wb-far"]
    assert by_phone[0]["snapshot"]["details"]["contact_phone"] == "138****0001"
    assert call(review, "list_tasks", as_(GUANGDONG, phone="13800000009")) == []
    assert call(review, "list_tasks", as_(GUANGDONG, q="1380000")) == []  # a phone is never a substring match


@pytest.mark.parametrize("bad", [{"phone": "1380000"}, {"phone": "13800000001%"}, {"sort": "price"},
                                 {"q": "a\x00"}])
def test_malformed_lookups_are_refused(review, bad):
    with pytest.raises(ValidationError) as refused:  # the RPC layer answers it as InvalidInput, in zh by default
        call(review, "list_tasks", as_(GUANGDONG, **bad))
    assert set(refused.value.messages) == set(bad)


def test_an_overdue_task_escalates_to_the_lead_who_reassigns_it_and_the_claimant_is_told(review, amqp_uri):
    lead, other = "u-lead-gd", "u-gd-2"
    publish(review, amqp_uri, "identity", "role_granted", "on_role_granted", raw_user=other, role="reviewer",
            scope="provincial:440000")
    activity(review, amqp_uri, "wb-late", "超时的活动", "2026-12-30 09:00")
    task = [t for t in call(review, "list_tasks", as_(GUANGDONG)) if t["subject_id"] == "wb-late"][0]
    call(review, "claim", task["id"], as_(GUANGDONG))
    rows(review, "UPDATE tasks SET due_at = now() - interval '1 hour' WHERE id = %s RETURNING id", (task["id"],))
    queue = [q for q in call(review, "queues", as_(GUANGDONG)) if q["stage"] == "provincial"][0]
    assert queue["overdue"] >= 1
    assert [t for t in call(review, "list_tasks", as_(GUANGDONG)) if t["id"] == task["id"]][0]["overdue"]
    # not a lead yet: sees nothing to escalate, may not reassign; nothing changes
    assert call(review, "escalations", as_(lead)) == []
    with pytest.raises(Forbidden):
        call(review, "reassign", task["id"], as_(GUANGDONG, to_user_id=user(other)))
    assert rows(review, "SELECT claimed_by FROM tasks WHERE id = %s", (task["id"],)) == [(user(GUANGDONG),)]
    # a platform admin makes them the province's lead (only an admin may)
    with pytest.raises(Forbidden):
        call(review, "set_lead", as_(GUANGDONG, user_id=user(lead), scope="provincial:440000"))
    call(review, "set_lead", as_(ADMIN, user_id=user(lead), scope="provincial:440000"))
    escalated = call(review, "escalations", as_(lead))
    assert [t["id"] for t in escalated] == [task["id"]]
    assert call(review, "stage_reviewers", as_(lead, stage="provincial", scope="440000")) == sorted(
        [user(GUANGDONG), user(other)])
    assert call(review, "stage_reviewers_many", as_(lead, stages=[{"stage": "provincial", "scope": "440000"}])) == [
        sorted([user(GUANGDONG), user(other)])]
    with pytest.raises(Forbidden):  # a stage they do not lead, even beside one they do
        call(review, "stage_reviewers_many", as_(lead, stages=[{"stage": "provincial", "scope": "440000"},
                                                                {"stage": "national", "scope": None}]))
    # to someone who does not review the stage: refused, nothing changed
    with pytest.raises(InvalidInput):
        call(review, "reassign", task["id"], as_(lead, to_user_id=user(INITIAL)))
    assert rows(review, "SELECT claimed_by FROM tasks WHERE id = %s", (task["id"],)) == [(user(GUANGDONG),)]
    moved = call(review, "reassign", task["id"], as_(lead, to_user_id=user(other)))
    assert moved["claimed_by"] == user(other)
    [(told,)] = rows(review, "SELECT payload FROM outbox WHERE event_type = 'review_task_released' "
                             "AND payload->>'task_id' = %s", (task["id"],))
    assert told["user_id"] == user(GUANGDONG) and told["subject"] == "超时的活动" and told["sla_hours"] == 8
    # the new claimant decides; 「已等待」 stops: the decided task says how long it took
    decided = call(review, "decide", task["id"], as_(other, decision="approved"))
    assert decided["took_seconds"] is not None and decided["overdue"]
    assert call(review, "list_tasks", as_(GUANGDONG, status="decided"))[0]["id"] == task["id"]  # newest first


def test_a_claimed_overdue_task_tells_its_claimant_once(review, amqp_uri):
    activity(review, amqp_uri, "wb-late-2", "超时提醒", "2026-12-30 09:00")
    task = [t for t in call(review, "list_tasks", as_(GUANGDONG)) if t["subject_id"] == "wb-late-2"][0]
    call(review, "claim", task["id"], as_(GUANGDONG))
    rows(review, "UPDATE tasks SET due_at = now() - interval '1 minute' WHERE id = %s RETURNING id", (task["id"],))
    call(review, "tell_overdue_claimants")
    call(review, "tell_overdue_claimants")
    sent = rows(review, "SELECT payload FROM outbox WHERE event_type = 'review_task_overdue' "
                        "AND payload->>'task_id' = %s", (task["id"],))
    assert len(sent) == 1 and sent[0][0]["user_id"] == user(GUANGDONG)


def test_an_ended_session_stays_ended(review):
    assert call(review, "session_ended", {"session_id": "s" * 24}) is False
    call(review, "end_session", {"session_id": "s" * 24})
    assert call(review, "session_ended", {"session_id": "s" * 24}) is True


def test_queue_cards_equal_counting_every_open_task(review, amqp_uri):
    """The cards come from counts a trigger keeps (migration 0005) plus the current hour's range: after requests,
    a supersession, a claim, a decision and service levels moved past due (an hour ago and a moment ago) they
    still equal counting every open task."""
    for n in range(4):
        activity(review, amqp_uri, f"wb-count-{n}", f"计数活动{n}", f"2027-01-0{n + 1} 09:00", stage="national",
                 scope=None)
    activity(review, amqp_uri, "wb-count-0", "计数活动0（修改）", "2027-01-01 09:00", stage="national", scope=None)
    mine = {t["subject_id"]: t["id"] for t in call(review, "list_tasks", as_(ADMIN, stage="national", limit=200))
            if t["subject_id"].startswith("wb-count-")}
    assert len(mine) == 4
    call(review, "claim", mine["wb-count-0"], as_(ADMIN))
    call(review, "decide", mine["wb-count-1"], as_(ADMIN, decision="approved"))
    rows(review, "UPDATE tasks SET due_at = now() - interval '3 hours' WHERE id = %s RETURNING id",
         (mine["wb-count-2"],))
    rows(review, "UPDATE tasks SET due_at = now() - interval '1 second' WHERE id = %s RETURNING id",
         (mine["wb-count-3"],))
    expected = rows(review, "SELECT stage, count(*), count(*) FILTER (WHERE claimed_until > now()), "
                            "count(*) FILTER (WHERE due_at < now()), min(requested_at) FROM tasks "
                            "WHERE status = 'open' GROUP BY stage ORDER BY stage")
    cards = call(review, "queues", as_(ADMIN))
    assert [(c["stage"], c["open"], c["claimed"], c["overdue"]) for c in cards] == [row[:4] for row in expected]
    assert [datetime.fromisoformat(c["oldest_requested_at"].replace("Z", "+00:00")) for c in cards] == [
        row[4] for row in expected]
    national = [c for c in cards if c["stage"] == "national"][0]
    assert national["overdue"] >= 2 and national["claimed"] >= 1
    assert call(review, "task_page", as_(ADMIN, stage="national"))["total"] == national["open"]
