"""Service-level due dates for the tasks that waited before they existed, with the default targets."""
from yoyo import step

__depends__ = {"0003_workbench"}


def backfill(conn):
    from services.review import sla

    cur = conn.cursor()
    cur.execute("SELECT id, subject_type, stage, requested_at FROM tasks WHERE due_at IS NULL AND status = 'open'")
    for task_id, subject_type, stage, requested_at in cur.fetchall():
        cur.execute("UPDATE tasks SET due_at = %s WHERE id = %s",
                    (sla.due_at(requested_at, sla.target_hours(subject_type, stage)), task_id))


steps = [step(backfill)]
