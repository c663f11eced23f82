"""Review tasks over a cursor: made from requests, claimed, released, decided, always audited."""
import uuid
from datetime import datetime, timezone

import psycopg2.extras

from kepu_common.interfaces.errors import Conflict, InvalidInput, NotFound
from services.review import priority, rules, sla

_COLUMNS = ("id", "source", "subject_type", "subject_id", "stage", "scope", "snapshot", "status", "claimed_by",
            "claimed_until", "decision", "comment", "decided_by", "decided_at", "requested_at", "created_at",
            "start_at", "due_at", "claimed_at")
_PHONE_SQL = ("coalesce(snapshot->>'submitter_phone', snapshot->>'contact_phone', "
              "snapshot->'details'->>'contact_phone')")  # as the tasks_phone index


def with_service_level(task, now, long_claim=sla.LONG_CLAIM):
    """A task with what its service level says now: overdue, long-claimed, and how long a decided one took."""
    task["overdue"] = sla.is_overdue(task, now)
    task["long_claimed"] = task["status"] == "open" and sla.is_long_claimed(task, now, long_claim)
    task["took_seconds"] = (int((task["decided_at"] - task["requested_at"]).total_seconds())
                            if task.get("decided_at") else None)
    return task


def _audit(cur, task_id, action, actor_id=None, comment="", address=""):
    cur.execute("INSERT INTO audit (task_id, action, actor_id, comment, client_address) VALUES (%s, %s, %s, %s, %s)",
                (task_id, action, actor_id, comment or "", address or ""))


def from_request(cur, event, due_at_of=None):
    """A task for a review_requested event. A subject waits for one decision at a time: a newer request
    supersedes its open task, whatever the stage (a resource revised while it waits for scientific
    review goes back to initial review, and the scientific task must leave the queue)."""
    cur.execute(
        "UPDATE tasks SET status = 'superseded' WHERE subject_type = %s AND subject_id = %s "
        "AND status = 'open' AND requested_at <= %s RETURNING id",
        (event["subject_type"], event["subject_id"], event["occurred_at"]))
    for (old,) in cur.fetchall():
        _audit(cur, old, "superseded", comment="a newer request arrived")
    cur.execute("SELECT 1 FROM tasks WHERE subject_type = %s AND subject_id = %s AND status = 'open'",
                (event["subject_type"], event["subject_id"]))
    if cur.fetchone():
        return None  # an even newer request is already open: this one arrived late
    task_id = uuid.uuid4()
    cur.execute(
        "INSERT INTO tasks (id, source, subject_type, subject_id, stage, scope, snapshot, status, requested_at, due_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, 'open', %s, %s)",
        (task_id, event["source"], event["subject_type"], event["subject_id"], event["stage"], event.get("scope"),
         psycopg2.extras.Json(event["snapshot"]), event["occurred_at"],
         (due_at_of or _default_due)(event["subject_type"], event["stage"], event["occurred_at"])))
    _audit(cur, task_id, "created")
    return task_id


def _default_due(subject_type, stage, requested_at):
    return sla.due_at(requested_at, sla.target_hours(subject_type, stage))


def get(cur, task_id, lock=False):
    try:
        task_id = uuid.UUID(str(task_id))
    except ValueError:
        raise NotFound("task_not_found", {"task_id": "task_unknown"}) from None
    cur.execute(f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE id = %s{' FOR UPDATE' if lock else ''}", (task_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("task_not_found", {"task_id": "task_unknown"})
    return dict(zip(_COLUMNS, row))


def claim(cur, access, task_id, actor_id, ttl, now, address=""):
    task = get(cur, task_id, lock=True)
    access.require(task["stage"], task["scope"])
    rules.check_claim(task, actor_id, now)
    renewed = task["claimed_by"] == actor_id and rules.claim_holds(task, now) and task["claimed_at"] is not None
    cur.execute("UPDATE tasks SET claimed_by = %s, claimed_until = %s, claimed_at = %s WHERE id = %s",
                (actor_id, rules.claimed_until(now, ttl), task["claimed_at"] if renewed else now, task["id"]))
    _audit(cur, task["id"], "claimed", actor_id, address=address)
    return get(cur, task["id"])


def release(cur, access, task_id, actor_id, now, address=""):
    task = get(cur, task_id, lock=True)
    access.require(task["stage"], task["scope"])
    rules.check_release(task, actor_id, now)
    cur.execute("UPDATE tasks SET claimed_by = NULL, claimed_until = NULL, claimed_at = NULL WHERE id = %s",
                (task["id"],))
    _audit(cur, task["id"], "released", actor_id, address=address)
    return get(cur, task["id"])


def decide(cur, access, task_id, actor_id, decision, comment, now, address=""):
    """Decide an open task. The row lock makes two reviewers racing on one task end with one decision."""
    task = get(cur, task_id, lock=True)
    access.require(task["stage"], task["scope"])
    rules.check_decision(task, actor_id, decision, comment, now)
    cur.execute("UPDATE tasks SET status = 'decided', decision = %s, comment = %s, decided_by = %s, decided_at = %s, "
                "claimed_by = NULL, claimed_until = NULL, claimed_at = NULL WHERE id = %s",
                (decision, comment or "", actor_id, now, task["id"]))
    _audit(cur, task["id"], decision, actor_id, comment, address)
    return get(cur, task["id"])


def _where(access, stage, status, q=None, phone=None):
    where, args = access.filter_sql()
    clauses = [where, "status = %s"]
    args.append(status)
    if stage:
        clauses.append("stage = %s")
        args.append(stage)
    if q:
        clauses.append("search_text LIKE %s")
        args.append(priority.like_pattern(q))
    if phone:
        clauses.append(f"{_PHONE_SQL} = %s")
        args.append(phone)
    return " AND ".join(clauses), args


def listing(cur, access, stage=None, status="open", limit=50, offset=0, sort=None, q=None, phone=None):
    """A page of tasks this reviewer may see, in the order `sort` names (priority.py)."""
    order = priority.order_sql(sort, status)
    where, args = _where(access, stage, status, q, phone)
    cur.execute(f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
                (*args, limit, offset))
    return [dict(zip(_COLUMNS, row)) for row in cur.fetchall()]


def count(cur, access, stage=None, status="open", q=None, phone=None):
    """How many tasks listing() would give over all its pages."""
    if status == "open" and not q and not phone:  # the whole queue: the counts the trigger keeps (migration 0005)
        where, args = access.filter_sql()
        if stage:
            where, args = f"{where} AND stage = %s", args + [stage]
        cur.execute(f"SELECT coalesce(sum(open), 0) FROM queue_counts WHERE {where}", args)
        return int(cur.fetchone()[0])
    where, args = _where(access, stage, status, q, phone)
    cur.execute(f"SELECT count(*) FROM tasks WHERE {where}", args)
    return cur.fetchone()[0]


def queues(cur, access, now):
    """Open tasks per stage with the oldest waiting time, for what this reviewer may see.

    Bounded whatever the number of open tasks: the open and overdue counts sum queue_counts (kept by a trigger
    per stage, province and due hour, migration 0005); the tasks due in the current hour up to now, the claims
    that hold and the oldest task of each stage and province are index ranges or single index steps."""
    where, args = access.filter_sql()
    hour = int(now.timestamp() // 3600)
    hour_start = datetime.fromtimestamp(hour * 3600, timezone.utc)
    cur.execute(
        f"SELECT c.stage, c.open, c.overdue, o.requested_at FROM ("
        f"  SELECT stage, scope, sum(open)::bigint AS open, coalesce(sum(open) FILTER (WHERE due_hour < %s), 0) "
        f"  AS overdue FROM queue_counts WHERE open > 0 AND {where} GROUP BY stage, scope) c "
        f"LEFT JOIN LATERAL (SELECT requested_at FROM tasks t WHERE t.status = 'open' AND t.stage = c.stage "
        f"  AND coalesce(t.scope, '') = c.scope ORDER BY t.requested_at LIMIT 1) o ON true", [hour] + args)
    cards = {}
    for stage, open_count, overdue, oldest in cur.fetchall():
        card = cards.setdefault(stage, {"stage": stage, "open": 0, "oldest_requested_at": None, "claimed": 0,
                                        "overdue": 0})
        card["open"] += open_count
        card["overdue"] += overdue
        if oldest is not None and (card["oldest_requested_at"] is None or oldest < card["oldest_requested_at"]):
            card["oldest_requested_at"] = oldest
    cur.execute(
        f"SELECT stage, count(*) FILTER (WHERE claimed_until > %s), "
        f"count(*) FILTER (WHERE due_at >= %s AND due_at < %s) FROM tasks "
        f"WHERE status = 'open' AND {where} AND (claimed_until > %s OR (due_at >= %s AND due_at < %s)) "
        f"GROUP BY stage", [now, hour_start, now] + args + [now, hour_start, now])
    for stage, claimed, overdue_now in cur.fetchall():
        if stage in cards:
            cards[stage]["claimed"] += claimed
            cards[stage]["overdue"] += overdue_now
    return [cards[stage] for stage in sorted(cards)]


def escalations(cur, access, now, long_claim, limit=100):
    """Open tasks of the stages this reviewer leads that are overdue or long-claimed, most overdue first."""
    where, args = access.lead_filter_sql()
    # in the order of the tasks_open_due index (due_at, id), so the queue page's "anything to escalate?" (limit 1)
    # stops at the first task instead of sorting every overdue one
    cur.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE status = 'open' AND {where} "
        f"AND (due_at < %s OR (claimed_until > %s AND claimed_at < %s)) ORDER BY due_at, id "
        f"LIMIT %s", (*args, now, now, now - long_claim, limit))
    return [dict(zip(_COLUMNS, row)) for row in cur.fetchall()]


def reassign(cur, lead, task_id, actor_id, to_user_id, to_access, now, ttl, long_claim, address=""):
    """A lead gives an overdue or long-claimed task to another reviewer of its stage (a fresh claim for them),
    or back to the queue (to_user_id None). Returns (task, the claimant it was taken from or None)."""
    task = get(cur, task_id, lock=True)
    lead.require_lead(task["stage"], task["scope"])
    if task["status"] != "open":
        rules.check_claim(task, actor_id, now)  # names why: decided or superseded
    if not sla.needs_lead(task, now, long_claim):
        raise Conflict("task_not_escalated", {"task": "task_not_escalated"})
    if to_user_id is not None and not to_access.can_review(task["stage"], task["scope"]):
        raise InvalidInput("reviewer_cannot_take_task", {"to_user_id": "reviewer_cannot_take_task"})
    previous = task["claimed_by"] if rules.claim_holds(task, now) else None
    if to_user_id is None:
        cur.execute("UPDATE tasks SET claimed_by = NULL, claimed_until = NULL, claimed_at = NULL WHERE id = %s",
                    (task["id"],))
    else:
        cur.execute("UPDATE tasks SET claimed_by = %s, claimed_until = %s, claimed_at = %s WHERE id = %s",
                    (to_user_id, rules.claimed_until(now, ttl), now, task["id"]))
    _audit(cur, task["id"], "reassigned", actor_id, to_user_id or "", address)
    return get(cur, task["id"]), (previous if previous != to_user_id else None)


def overdue_claims(cur, now):
    """Claimed tasks past due whose claimant has not been told yet; marked as told."""
    cur.execute(f"UPDATE tasks SET overdue_notified_at = %s WHERE status = 'open' AND due_at < %s "
                f"AND claimed_until > %s AND overdue_notified_at IS NULL RETURNING {', '.join(_COLUMNS)}",
                (now, now, now))
    return [dict(zip(_COLUMNS, row)) for row in cur.fetchall()]


def savepoint(cur):
    cur.execute("SAVEPOINT one_decision")


def rollback_to_savepoint(cur):
    cur.execute("ROLLBACK TO SAVEPOINT one_decision")


def end_session(cur, session_id):
    cur.execute("INSERT INTO ended_sessions (session_id) VALUES (%s) ON CONFLICT DO NOTHING", (session_id,))


def session_ended(cur, session_id):
    cur.execute("SELECT 1 FROM ended_sessions WHERE session_id = %s", (session_id,))
    return cur.fetchone() is not None


def purge_ended_sessions(cur, before):
    cur.execute("DELETE FROM ended_sessions WHERE ended_at < %s", (before,))


def history(cur, subject_type, subject_id):
    """Every task and audit entry of a subject: who decided what, when, why."""
    cur.execute(
        "SELECT t.id, t.stage, a.action, a.actor_id, a.comment, a.at FROM audit a JOIN tasks t ON t.id = a.task_id "
        "WHERE t.subject_type = %s AND t.subject_id = %s ORDER BY a.at, a.id", (subject_type, subject_id))
    keys = ("task_id", "stage", "action", "actor_id", "comment", "at")
    return [dict(zip(keys, row)) for row in cur.fetchall()]


def ops_figures(cur):
    """For ops: open tasks and the oldest waiting age per stage, decisions in the last hour."""
    cur.execute("SELECT stage, count(*), coalesce(extract(epoch FROM now() - min(requested_at)), 0) FROM tasks "
                "WHERE status = 'open' GROUP BY stage")
    pending = {stage: {"open": count, "oldest_age_seconds": float(age)} for stage, count, age in cur.fetchall()}
    cur.execute("SELECT stage, decision, count(*) FROM tasks WHERE status = 'decided' "
                "AND decided_at > now() - interval '1 hour' GROUP BY stage, decision")
    decided = [{"stage": stage, "decision": decision, "count": count} for stage, decision, count in cur.fetchall()]
    return {"pending": pending, "decided_last_hour": decided}
