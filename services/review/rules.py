"""The review rules, with no I/O: what a reviewer may do to a task in a given state, and until when a
claim holds. Every time comes in as `now` from the application's clock: a claim is set and checked on
the same clock (never the database's for one and the application's for the other)."""
from kepu_common.interfaces.errors import Conflict, InvalidInput
from services.review.constants import DECISIONS


def claimed_until(now, ttl):
    """When a claim taken at `now` lapses."""
    return now + ttl


def claim_holds(task, now):
    return task["claimed_by"] is not None and task["claimed_until"] is not None and task["claimed_until"] > now


def _taken_by_other(task, actor_id, now):
    return claim_holds(task, now) and task["claimed_by"] != actor_id


def _require_open(task):
    if task["status"] == "decided":
        raise Conflict("task_already_decided", {"task": f"task_decided_{task['decision']}"},
                       details={"decision": task["decision"]})
    if task["status"] == "superseded":
        raise Conflict("task_superseded", {"task": "task_superseded"})


def check_claim(task, actor_id, now):
    _require_open(task)
    if _taken_by_other(task, actor_id, now):
        raise Conflict("task_claimed_by_other", {"task": "task_claimed_by_other"},
                       details={"claimed_until": task["claimed_until"].isoformat()})


def check_release(task, actor_id, now):
    _require_open(task)
    if task["claimed_by"] != actor_id or not claim_holds(task, now):
        raise Conflict("task_not_claimed_by_you", {"task": "task_not_claimed_by_you"})


def check_decision(task, actor_id, decision, comment, now):
    if decision not in DECISIONS:
        raise InvalidInput("decision_required", {"decision": ("not_one_of", {"choices": "、".join(DECISIONS)})})
    if decision == "rejected" and not (comment or "").strip():
        raise InvalidInput("rejection_needs_reason", {"comment": "rejection_needs_reason"})
    _require_open(task)
    if _taken_by_other(task, actor_id, now):
        raise Conflict("task_claimed_by_other", {"task": "task_claimed_by_other"},
                       details={"claimed_until": task["claimed_until"].isoformat()})
