-- The counting rule (services/metrics/counting.py; docs/architecture.md "Which shares count"): a share is decided
-- once, at its first valid return: counted (day and points set, as before) or not counted (not_counted says why).
-- Every raw return is kept with its outcome in share_returns, for audit.
ALTER TABLE shares DROP CONSTRAINT shares_check;
ALTER TABLE shares ADD COLUMN not_counted text CHECK (not_counted IN ('duplicate', 'minute_ceiling'));
ALTER TABLE shares ADD CONSTRAINT shares_decided CHECK (
    (returned_at IS NULL AND day IS NULL AND not_counted IS NULL)
    OR (returned_at IS NOT NULL AND (day IS NULL) = (not_counted IS NOT NULL)));
-- a person's counted shares per clock minute (the admin may change it)
ALTER TABLE settings ADD COLUMN share_minute_ceiling integer NOT NULL DEFAULT 10
    CHECK (share_minute_ceiling BETWEEN 1 AND 1000);
CREATE TABLE share_returns (
    event_id     uuid PRIMARY KEY,       -- a redelivered event is kept once
    share_id     uuid        NOT NULL,
    user_id      uuid        NOT NULL,
    returned_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    outcome      text        NOT NULL CHECK (outcome IN ('counted', 'duplicate', 'minute_ceiling', 'repeat',
                                                         'not_owner', 'late', 'unknown_share'))
);
-- a person's returns (/me/stats, an audit of one account); by share: the shares table says how it was decided
CREATE INDEX share_returns_user ON share_returns (user_id, returned_at);
