-- depends: 0002_accounts
CREATE TABLE organizations (
    id             uuid PRIMARY KEY,
    name           text        NOT NULL,
    category       text        NOT NULL,
    region_code    text        NOT NULL,
    region_path    text[]      NOT NULL,
    parent_id      uuid REFERENCES organizations (id),
    licence_key    text        NOT NULL,
    contact_name   text        NOT NULL,
    contact_phone  text        NOT NULL,
    registrant_id  uuid        NOT NULL REFERENCES users (id),
    status         text        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    review_comment text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    decided_at     timestamptz
);
-- one verified organization per name (as on its seal); pending duplicates are caught at approval
CREATE UNIQUE INDEX organizations_verified_name ON organizations (name) WHERE status = 'approved';
CREATE INDEX organizations_registrant ON organizations (registrant_id);

-- communicator verification (科普员认证): one row per submission; the latest one counts
CREATE TABLE verifications (
    id                 uuid PRIMARY KEY,
    user_id            uuid        NOT NULL REFERENCES users (id),
    real_name          text        NOT NULL,
    id_lookup          bytea       NOT NULL,   -- HMAC of the ID number, for uniqueness
    id_sealed          bytea       NOT NULL,   -- AES-GCM ciphertext, bound to the user
    id_masked          text        NOT NULL,
    unit_name          text        NOT NULL,
    unit_address       text        NOT NULL,
    communicator_type  text        NOT NULL CHECK (communicator_type IN ('individual', 'district_admin', 'street_admin')),
    region_code        text        NOT NULL,
    region_path        text[]      NOT NULL,
    org_id             uuid REFERENCES organizations (id),
    status             text        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    review_comment     text        NOT NULL DEFAULT '',
    submitted_at       timestamptz NOT NULL DEFAULT now(),
    decided_at         timestamptz
);
-- no two accounts pending or verified with one ID number; one open submission per user
CREATE UNIQUE INDEX verifications_one_id ON verifications (id_lookup) WHERE status IN ('pending', 'approved');
CREATE UNIQUE INDEX verifications_one_open ON verifications (user_id) WHERE status IN ('pending', 'approved');
CREATE INDEX verifications_user ON verifications (user_id, submitted_at DESC);
CREATE INDEX verifications_region ON verifications USING gin (region_path) WHERE status = 'approved';
CREATE INDEX verifications_org ON verifications (org_id) WHERE status = 'approved';
