-- depends: 0009_phones_sealed
-- The sources (a keyed HMAC of the address) each account signed in from by password, so that strangers'
-- wrong guesses never keep its owner out (rate_limits.password_try; docs/operations.md, "Signing in").
CREATE TABLE known_sources (
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_key  bytea       NOT NULL,
    last_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, source_key)
);
