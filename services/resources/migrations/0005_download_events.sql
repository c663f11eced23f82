-- depends: 0004_topics_and_durations
-- Every download request, counted or not (services/resources/downloads.py): who asked (the user, else the
-- client address and user agent), and whether it counted, fell in a visitor's 30-second double-click
-- window, or came from a robot. Only counted ones move resources.downloads and emit resource_downloaded;
-- the rest are kept so counts can be audited and recomputed with a newer robots list.
CREATE TABLE download_events (
    id              bigserial   PRIMARY KEY,
    resource_id     uuid        NOT NULL REFERENCES resources (id),
    at              timestamptz NOT NULL DEFAULT now(),
    user_id         text,
    client_address  text        NOT NULL DEFAULT '',
    user_agent      text,                              -- NULL: an internal caller that did not say
    visitor         text        NOT NULL,              -- downloads.visitor_key: the user, or a hash of address and agent
    outcome         text        NOT NULL CHECK (outcome IN ('counted', 'double_click', 'robot'))
);
-- the double-click rule's look-up: this visitor's latest request for this resource
CREATE INDEX download_events_visitor ON download_events (resource_id, visitor, at DESC);
CREATE INDEX download_events_at ON download_events (at);
