-- depends: 0002_activity_client_key
-- Follow-up evidence people look at, nominations seen and withdrawn, campaigns edited (issue 22).

-- reviewers of the activity stages, kept from identity's role events (scope 'national' or 'provincial:<code>'):
-- they may view the follow-up evidence of the activities their route passes
CREATE TABLE activity_reviewers (
    user_id  uuid NOT NULL,
    scope    text NOT NULL,
    PRIMARY KEY (user_id, scope)
);

-- the last day (Asia/Shanghai) a nomination is made or withdrawn; NULL: until the campaign says otherwise
ALTER TABLE campaigns ADD COLUMN nomination_deadline date;

-- every nomination and withdrawal, who and when (the nominations table holds the standing ones)
CREATE TABLE nomination_log (
    id            bigserial PRIMARY KEY,
    activity_id   uuid NOT NULL REFERENCES activities (id),
    campaign_id   uuid NOT NULL,
    supervising_org_id uuid NOT NULL,
    action        text NOT NULL CHECK (action IN ('nominated', 'withdrawn', 'dropped')),
    actor_id      uuid,
    reason        text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX nomination_log_activity ON nomination_log (activity_id, id);

-- the nominated list per campaign and per supervising unit
ALTER TABLE nominations ADD COLUMN supervising_org_id uuid;
UPDATE nominations n SET supervising_org_id = (v.data->'supervising_unit'->>'org_id')::uuid
  FROM activities a JOIN activity_versions v ON v.activity_id = a.id AND v.revision = a.revision
  WHERE a.id = n.activity_id;
ALTER TABLE nominations ALTER COLUMN supervising_org_id SET NOT NULL;
CREATE INDEX nominations_campaign_unit ON nominations (campaign_id, supervising_org_id, nominated_at);
