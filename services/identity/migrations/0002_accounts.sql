-- depends: 0001_pings
CREATE TABLE users (
    id             uuid PRIMARY KEY,
    phone          text        NOT NULL UNIQUE,
    password_hash  text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- one-time codes; only an HMAC of the code is stored
CREATE TABLE sms_codes (
    id           bigserial PRIMARY KEY,
    phone        text        NOT NULL,
    purpose      text        NOT NULL,
    code_hmac    bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz,
    attempts     integer     NOT NULL DEFAULT 0
);
CREATE INDEX sms_codes_live ON sms_codes (phone, purpose, id DESC) WHERE consumed_at IS NULL;

-- fixed-window counters shared by every instance of the service
CREATE TABLE rate_limits (
    key           text        NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer     NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- refresh tokens: only a SHA-256 of the token is stored
CREATE TABLE refresh_tokens (
    token_hash   bytea PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE user_roles (
    user_id   uuid NOT NULL REFERENCES users (id),
    role      text NOT NULL,
    -- review stage for reviewers, province code for provincial reviewers and area admins; '' when none
    scope     text NOT NULL DEFAULT '',
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role, scope)
);

-- append-only: every grant and revocation, by whom, when
CREATE TABLE role_audit (
    id          bigserial PRIMARY KEY,
    user_id     uuid        NOT NULL,
    role        text        NOT NULL,
    scope       text        NOT NULL,
    action      text        NOT NULL CHECK (action IN ('grant', 'revoke')),
    actor_id    uuid,
    actor_note  text        NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
