-- depends: 0002_one_open_task_per_subject
-- The reviewers' workbench (issue 30): priority, lookup, service levels and escalation.
-- start_at: an activity's start in Beijing wall-clock time as its snapshot shows it ('YYYY-MM-DD HH:MM', so it
-- sorts as text); search_text: the names a reviewer searches by (subject, organization, units, hosts).
ALTER TABLE tasks
    ADD COLUMN start_at text GENERATED ALWAYS AS (
        CASE WHEN subject_type = 'activity' THEN snapshot->>'start_at' END) STORED,
    ADD COLUMN search_text text GENERATED ALWAYS AS (lower(
        coalesce(snapshot->>'name', '') || ' ' || coalesce(snapshot->>'title', '') || ' ' ||
        coalesce(snapshot->>'real_name', '') || ' ' || coalesce(snapshot->>'org_name', '') || ' ' ||
        coalesce(snapshot->>'unit_name', '') || ' ' || coalesce(snapshot->>'chosen_org', '') || ' ' ||
        coalesce(snapshot->>'supervising_unit', '') || ' ' || coalesce(snapshot->>'hosts', '') || ' ' ||
        coalesce(snapshot->>'organizers', '') || ' ' || coalesce(snapshot->>'community_name', ''))) STORED,
    ADD COLUMN due_at timestamptz,          -- when the stage's service level runs out (services/review/sla.py)
    ADD COLUMN claimed_at timestamptz,      -- when the current claimant first took it (renewals keep it)
    ADD COLUMN overdue_notified_at timestamptz;

-- the submitter's phone as the snapshot carries it, for an exact lookup (never shown in clear in a list)
CREATE INDEX tasks_phone ON tasks ((coalesce(snapshot->>'submitter_phone', snapshot->>'contact_phone',
                                             snapshot->'details'->>'contact_phone')));
-- the queue sorted by start date, soonest first
CREATE INDEX tasks_open_start ON tasks (start_at, requested_at, id) WHERE status = 'open';
CREATE INDEX tasks_open_requested ON tasks (requested_at, id) WHERE status = 'open';
CREATE INDEX tasks_open_due ON tasks (due_at, id) WHERE status = 'open';
DROP INDEX IF EXISTS tasks_decided;
CREATE INDEX tasks_decided ON tasks (decided_at DESC, id) WHERE status = 'decided';

-- who leads a stage's reviewers (sees overdue and long-claimed tasks, reassigns them): granted by platform admins
ALTER TABLE reviewer_grants DROP CONSTRAINT IF EXISTS reviewer_grants_role_check;
ALTER TABLE reviewer_grants ADD CONSTRAINT reviewer_grants_role_check
    CHECK (role IN ('reviewer', 'platform_admin', 'lead'));

ALTER TABLE audit DROP CONSTRAINT IF EXISTS audit_action_check;
ALTER TABLE audit ADD CONSTRAINT audit_action_check
    CHECK (action IN ('created', 'claimed', 'released', 'approved', 'rejected', 'superseded', 'reassigned'));

-- review-UI sessions signed out: a copied cookie stops working at once (kept for the session's absolute lifetime)
CREATE TABLE ended_sessions (
    session_id  text PRIMARY KEY,
    ended_at    timestamptz NOT NULL DEFAULT now()
);
