CREATE TABLE pings (
    id          uuid PRIMARY KEY,
    message     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
