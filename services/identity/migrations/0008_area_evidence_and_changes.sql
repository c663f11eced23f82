-- depends: 0007_verification_townships
-- A district or street admin's claim carries the appointment letter (任命文件) the reviewer sees.
ALTER TABLE verifications ADD COLUMN appointment_letter_key text;

-- A verified communicator changes unit, township or organization by re-verification: the approved
-- verification stays in force until the change is decided (verification.request_change).
CREATE TABLE verification_changes (
    id              uuid PRIMARY KEY,
    user_id         uuid        NOT NULL REFERENCES users (id),
    verification_id uuid        NOT NULL REFERENCES verifications (id),
    unit_name       text        NOT NULL,
    unit_address    text        NOT NULL,
    township_code   text,
    region_path     text[]      NOT NULL,
    org_id          uuid REFERENCES organizations (id),
    status          text        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    review_comment  text        NOT NULL DEFAULT '',
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz
);
CREATE UNIQUE INDEX verification_changes_one_open ON verification_changes (user_id) WHERE status = 'pending';
CREATE INDEX verification_changes_user ON verification_changes (user_id, submitted_at DESC);

-- the person who registered an approved organization is its member (before, one who belonged elsewhere stayed there)
INSERT INTO memberships (user_id, org_id, joined_at)
SELECT DISTINCT ON (o.registrant_id) o.registrant_id, o.id, coalesce(o.decided_at, o.created_at)
FROM organizations o
WHERE o.status = 'approved' AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = o.registrant_id)
ORDER BY o.registrant_id, o.decided_at;
