-- depends: 0007_verification_townships
-- Notifications (issue 24): the inbox, per-kind SMS preferences, the SMS queue/log, and names of things
-- other services own, remembered from their review_requested snapshots (titles for the texts).

-- one row per person, event and kind: a redelivered event inserts nothing (ON CONFLICT DO NOTHING)
CREATE TABLE notifications (
    id          uuid PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id    uuid        NOT NULL,
    kind        text        NOT NULL,
    params      jsonb       NOT NULL,
    link        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    UNIQUE (user_id, event_id, kind)
);
-- the inbox, newest first, and its unread count
CREATE INDEX notifications_inbox ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
-- retention: read notifications older than 180 days are deleted
CREATE INDEX notifications_read_at ON notifications (read_at) WHERE read_at IS NOT NULL;
-- a reason that arrives after its rejection fills the notification it belongs to
CREATE INDEX notifications_subject ON notifications ((params->>'resource_id')) WHERE params ? 'resource_id';

-- only what a person changed: a kind without a row sends SMS if the kind does
CREATE TABLE notification_preferences (
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text        NOT NULL,
    sms         boolean     NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind)
);

-- the SMS queue and log: masked phone only (the number is read from users when the message goes)
CREATE TABLE notification_sms (
    id               bigserial PRIMARY KEY,
    notification_id  uuid        UNIQUE REFERENCES notifications (id) ON DELETE SET NULL,
    user_id          uuid        NOT NULL,
    kind             text        NOT NULL,
    template_code    text        NOT NULL,
    params           jsonb       NOT NULL,
    phone_masked     text,
    status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'dead', 'skipped')),
    skip_reason      text,
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX notification_sms_due ON notification_sms (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notification_sms_sent ON notification_sms (user_id, sent_at) WHERE status = 'sent';
CREATE INDEX notification_sms_dead ON notification_sms (id) WHERE status = 'dead';

-- names and organizations of resources and activities (their review_requested snapshots), and rejection reasons of resources
-- (review_decided.resource): resource_status_changed carries neither
CREATE TABLE notification_subjects (
    subject_type  text        NOT NULL,
    subject_id    text        NOT NULL,
    name          text,
    org_id        text,
    reasons       jsonb       NOT NULL DEFAULT '{}',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_type, subject_id)
);

-- follow-up reminders: approved activities whose materials are not in yet; the deadline is asked of activities
-- (RPC get_followup, as one of the organization's admins) and re-checked every followup_recheck_seconds
CREATE TABLE notification_followups (
    activity_id    text        PRIMARY KEY,
    org_id         text        NOT NULL,
    deadline       date,
    submitted      boolean     NOT NULL DEFAULT false,
    last_reminder  text,
    checked_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_followups_open ON notification_followups (deadline) WHERE NOT submitted;
