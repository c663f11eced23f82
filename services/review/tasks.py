"""Review tasks over a cursor: made from requests, claimed, released, decided, always audited."""
import uuid

import psycopg2.extras

from kepu_common.errors import NotFound
from services.review import rules

_COLUMNS = ("id", "source", "subject_type", "subject_id", "stage", "scope", "snapshot", "status", "claimed_by",
            "claimed_until", "decision", "comment", "decided_by", "decided_at", "requested_at", "created_at")


def _audit(cur, task_id, action, actor_id=None, comment="", address=""):
    cur.execute("INSERT INTO audit (task_id, action, actor_id, comment, client_address) VALUES (%s, %s, %s, %s, %s)",
                (task_id, action, actor_id, comment or "", address or ""))


def from_request(cur, event):
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
        "INSERT INTO tasks (id, source, subject_type, subject_id, stage, scope, snapshot, status, requested_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, 'open', %s)",
        (task_id, event["source"], event["subject_type"], event["subject_id"], event["stage"], event.get("scope"),
         psycopg2.extras.Json(event["snapshot"]), event["occurred_at"]))
    _audit(cur, task_id, "created")
    return task_id


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
    cur.execute("UPDATE tasks SET claimed_by = %s, claimed_until = %s WHERE id = %s",
                (actor_id, rules.claimed_until(now, ttl), task["id"]))
    _audit(cur, task["id"], "claimed", actor_id, address=address)
    return get(cur, task["id"])


def release(cur, access, task_id, actor_id, now, address=""):
    task = get(cur, task_id, lock=True)
    access.require(task["stage"], task["scope"])
    rules.check_release(task, actor_id, now)
    cur.execute("UPDATE tasks SET claimed_by = NULL, claimed_until = NULL WHERE id = %s", (task["id"],))
    _audit(cur, task["id"], "released", actor_id, address=address)
    return get(cur, task["id"])


def decide(cur, access, task_id, actor_id, decision, comment, now, address=""):
    """Decide an open task. The row lock makes two reviewers racing on one task end with one decision."""
    task = get(cur, task_id, lock=True)
    access.require(task["stage"], task["scope"])
    rules.check_decision(task, actor_id, decision, comment, now)
    cur.execute("UPDATE tasks SET status = 'decided', decision = %s, comment = %s, decided_by = %s, decided_at = %s, "
                "claimed_by = NULL, claimed_until = NULL WHERE id = %s",
                (decision, comment or "", actor_id, now, task["id"]))
    _audit(cur, task["id"], decision, actor_id, comment, address)
    return get(cur, task["id"])


def listing(cur, access, stage=None, status="open", limit=50, offset=0):
    where, args = access.filter_sql()
    clauses = [where, "status = %s"]
    args.append(status)
    if stage:
        clauses.append("stage = %s")
        args.append(stage)
    cur.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE {' AND '.join(clauses)} "
        f"ORDER BY requested_at, id LIMIT %s OFFSET %s", (*args, limit, offset))
    return [dict(zip(_COLUMNS, row)) for row in cur.fetchall()]


def count(cur, access, stage=None, status="open"):
    """How many tasks listing() would give over all its pages (a queue's size: thousands at most)."""
    where, args = access.filter_sql()
    clauses = [where, "status = %s"]
    args.append(status)
    if stage:
        clauses.append("stage = %s")
        args.append(stage)
    cur.execute(f"SELECT count(*) FROM tasks WHERE {' AND '.join(clauses)}", args)
    return cur.fetchone()[0]


def queues(cur, access, now):
    """Open tasks per stage with the oldest waiting time, for what this reviewer may see."""
    where, args = access.filter_sql()
    cur.execute(
        f"SELECT stage, count(*), min(requested_at), count(*) FILTER (WHERE claimed_until > %s) FROM tasks "
        f"WHERE status = 'open' AND {where} GROUP BY stage ORDER BY stage", [now] + args)
    return [{"stage": stage, "open": count, "oldest_requested_at": oldest, "claimed": claimed}
            for stage, count, oldest, claimed in cur.fetchall()]


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
