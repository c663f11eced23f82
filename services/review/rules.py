"""The review rules, with no I/O: what a reviewer may do to a task in a given state."""
from kepu_common.errors import Conflict, InvalidInput

DECISIONS = ("approved", "rejected")


def _taken_by_other(task, actor_id, now):
    return task["claimed_by"] not in (None, actor_id) and task["claimed_until"] is not None and task["claimed_until"] > now


def _require_open(task):
    if task["status"] == "decided":
        raise Conflict("This task was already decided.", {"task": f"decided: {task['decision']}"})
    if task["status"] == "superseded":
        raise Conflict("This task was replaced by a newer request for the same subject.", {"task": "superseded"})


def check_claim(task, actor_id, now):
    _require_open(task)
    if _taken_by_other(task, actor_id, now):
        raise Conflict("Another reviewer is working on this task.", {"task": "claimed by someone else",
                                                                     "claimed_until": task["claimed_until"].isoformat()})


def check_release(task, actor_id, now):
    _require_open(task)
    if task["claimed_by"] != actor_id or task["claimed_until"] is None or task["claimed_until"] <= now:
        raise Conflict("You do not hold a claim on this task.", {"task": "not claimed by you"})


def check_decision(task, actor_id, decision, comment, now):
    if decision not in DECISIONS:
        raise InvalidInput("Decide approved or rejected.", {"decision": "approved or rejected"})
    if decision == "rejected" and not (comment or "").strip():
        raise InvalidInput("A rejection needs the reason, for the submitter.", {"comment": "required when rejecting"})
    _require_open(task)
    if _taken_by_other(task, actor_id, now):
        raise Conflict("Another reviewer has claimed this task.", {"task": "claimed by someone else"})
