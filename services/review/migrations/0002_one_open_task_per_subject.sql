-- depends: 0001_tasks
-- A subject waits for one decision at a time, whatever the stage: of open tasks of the same subject
-- in different stages, all but the newest are superseded (and audited), then the index enforces it.
WITH older AS (
    UPDATE tasks t SET status = 'superseded'
    WHERE t.status = 'open' AND EXISTS (
        SELECT 1 FROM tasks n WHERE n.status = 'open' AND n.subject_type = t.subject_type
        AND n.subject_id = t.subject_id AND (n.requested_at, n.id) > (t.requested_at, t.id))
    RETURNING t.id)
INSERT INTO audit (task_id, action, comment) SELECT id, 'superseded', 'a newer request arrived' FROM older;
DROP INDEX tasks_one_open;
CREATE UNIQUE INDEX tasks_one_open ON tasks (subject_type, subject_id) WHERE status = 'open';
