-- depends: 0007_communities
-- Address caps and retention for download events (services/resources/downloads.py): each event keeps
-- the network of its address (/24 or /64) for the caps, and whether it still holds the full address and
-- user agent (raw), which download_log.truncate_old drops after the retention period; `capped` is a
-- request over an address's or a network's cap.
ALTER TABLE download_events ADD COLUMN network text NOT NULL DEFAULT '';
ALTER TABLE download_events ADD COLUMN raw boolean NOT NULL DEFAULT true;
ALTER TABLE download_events DROP CONSTRAINT download_events_outcome_check;
ALTER TABLE download_events ADD CONSTRAINT download_events_outcome_check
    CHECK (outcome IN ('counted', 'double_click', 'robot', 'capped'));
-- the caps' look-up: counted anonymous downloads of a resource from a network, newest first
CREATE INDEX download_events_network ON download_events (resource_id, network, at DESC)
    WHERE user_id IS NULL AND outcome = 'counted';
-- the retention sweep's look-up
CREATE INDEX download_events_raw ON download_events (at) WHERE raw;
