-- "applied" counts how often a ping's effect ran: anything but 1 means an event was applied twice.
CREATE TABLE ping_receipts (
    ping_id      uuid PRIMARY KEY,
    event_id     uuid        NOT NULL,
    message      text        NOT NULL,
    sent_at      timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    applied      integer     NOT NULL DEFAULT 1
);
