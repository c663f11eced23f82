-- Review tasks: one per review_requested event; the review service knows stages, scopes and snapshots,
-- never the rules of what is reviewed.
CREATE TABLE tasks (
    id               uuid PRIMARY KEY,
    source           text        NOT NULL,          -- the service that asked, and will apply the decision
    subject_type     text        NOT NULL,
    subject_id       text        NOT NULL,
    stage            text        NOT NULL,
    scope            text,                          -- province code for provincial review
    snapshot         jsonb       NOT NULL,
    status           text        NOT NULL CHECK (status IN ('open', 'decided', 'superseded')),
    claimed_by       text,
    claimed_until    timestamptz,
    decision         text CHECK (decision IN ('approved', 'rejected')),
    comment          text        NOT NULL DEFAULT '',
    decided_by       text,
    decided_at       timestamptz,
    requested_at     timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- a newer request for the same subject and stage supersedes the open one: at most one open
CREATE UNIQUE INDEX tasks_one_open ON tasks (subject_type, subject_id, stage) WHERE status = 'open';
CREATE INDEX tasks_queue ON tasks (stage, scope, requested_at) WHERE status = 'open';
CREATE INDEX tasks_subject ON tasks (subject_type, subject_id, created_at);
CREATE INDEX tasks_decided ON tasks (decided_at) WHERE status = 'decided';

-- append-only: every claim, release, decision and supersession
CREATE TABLE audit (
    id              bigserial PRIMARY KEY,
    task_id         uuid        NOT NULL REFERENCES tasks (id),
    action          text        NOT NULL CHECK (action IN ('created', 'claimed', 'released', 'approved', 'rejected', 'superseded')),
    actor_id        text,
    comment         text        NOT NULL DEFAULT '',
    client_address  text        NOT NULL DEFAULT '',
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_task ON audit (task_id, id);

-- who may review what: kept from identity's role_granted / role_revoked events
CREATE TABLE reviewer_grants (
    user_id   text NOT NULL,
    role      text NOT NULL CHECK (role IN ('reviewer', 'platform_admin')),
    scope     text NOT NULL,   -- the stage, 'provincial:<province>', or '' for platform admins
    PRIMARY KEY (user_id, role, scope)
);
