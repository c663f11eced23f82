-- depends: 0005_download_events
-- Files that stay sound (services/resources/duplicates.py, scrub.py).
-- Duplicate uploads are found by content: the SHA-256 of a resource's file.
CREATE INDEX resources_sha256 ON resources (sha256);

-- The integrity scrub's place (one row): it walks completed uploads by id, re-reading each object and
-- comparing its SHA-256 with the recorded one; an interrupted run resumes after the last id it finished.
CREATE TABLE scrub_state (
    id              boolean     PRIMARY KEY DEFAULT true CHECK (id),
    last_upload_id  uuid,                              -- NULL: the next run starts a new pass
    pass_started_at timestamptz,
    passes_finished bigint      NOT NULL DEFAULT 0,
    last_pass_at    timestamptz,                       -- when the last full pass ended
    objects_checked bigint      NOT NULL DEFAULT 0,
    bytes_read      bigint      NOT NULL DEFAULT 0
);
INSERT INTO scrub_state DEFAULT VALUES;

-- What the scrub found: an object whose bytes no longer hash to the recorded SHA-256 (mismatch) or that is
-- gone (missing). One open finding per upload; a later pass that finds the object sound again closes it.
CREATE TABLE scrub_findings (
    id              bigserial   PRIMARY KEY,
    upload_id       uuid        NOT NULL REFERENCES uploads (id),
    object_key      text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('mismatch', 'missing')),
    expected_sha256 text        NOT NULL,
    actual_sha256   text,                              -- mismatch: what the bytes hash to now
    actual_size     bigint,
    found_at        timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz
);
CREATE UNIQUE INDEX scrub_findings_open ON scrub_findings (upload_id) WHERE resolved_at IS NULL;
CREATE INDEX scrub_findings_newest ON scrub_findings (found_at DESC, id DESC);
