-- depends: 0004_directory
-- Refresh-token rotation with reuse detection (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): every token
-- a sign-in starts belongs to one family; presenting a token of the family that was already used or
-- revoked revokes the whole family, so a stolen token and the legitimate client's newer one both stop.
ALTER TABLE refresh_tokens ADD COLUMN family_id uuid;
UPDATE refresh_tokens SET family_id = gen_random_uuid();
ALTER TABLE refresh_tokens ALTER COLUMN family_id SET NOT NULL;
CREATE INDEX refresh_tokens_live_family ON refresh_tokens (family_id) WHERE revoked_at IS NULL;
