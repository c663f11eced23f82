-- depends: 0005_campaign_edits_unit_quotas
-- The poster pre-check (issue 30): the text read off each poster once (by its upload), and the checklist of
-- each activity version against it (services/activities/poster_check.py), made off the request path by the
-- job that takes activity_submitted / activity_edited (service.py, check_*_poster).

-- what the OCR read off a poster's content (an edit that keeps the poster, or the same picture uploaded again,
-- reuses it): its lines top to bottom, or why it could not be read; keyed by the content's SHA-256 (the
-- upload's id where an attached file has none)
CREATE TABLE poster_texts (
    poster_key text PRIMARY KEY,
    state      text NOT NULL CHECK (state IN ('read', 'unreadable')),
    reason     text,
    lines      jsonb NOT NULL DEFAULT '[]',
    read_at    timestamptz NOT NULL DEFAULT now()
);

-- the reviewer's checklist of one activity version (its name, start and hosts against its poster's text)
CREATE TABLE poster_checks (
    activity_id  uuid NOT NULL REFERENCES activities (id),
    revision     integer NOT NULL,
    upload_id    uuid NOT NULL,
    checklist    jsonb NOT NULL,
    checked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (activity_id, revision)
);
