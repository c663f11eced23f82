-- depends: 0004_listing_search
-- Campaigns edited by platform admins (audited), follow-up deadlines extended per activity, nomination quotas
-- per supervising unit, and the real-name-verified people who may publish (issue 22).

-- every change of a campaign: who, when, what (field: [before, after]) and why
CREATE TABLE campaign_changes (
    id           bigserial PRIMARY KEY,
    campaign_id  uuid NOT NULL REFERENCES campaigns (id),
    changed_by   uuid NOT NULL,
    changes      jsonb NOT NULL,
    reason       text NOT NULL DEFAULT '',
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaign_changes_campaign ON campaign_changes (campaign_id, id);

-- a follow-up's summary deadline moved for one activity (the latest row counts), with its reason
CREATE TABLE followup_extensions (
    id           bigserial PRIMARY KEY,
    activity_id  uuid NOT NULL REFERENCES activities (id),
    deadline     date NOT NULL,
    reason       text NOT NULL,
    granted_by   uuid NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX followup_extensions_activity ON followup_extensions (activity_id, id DESC);

-- nomination quotas per supervising unit: quota NULL follows the campaign's default for the unit's category
-- (campaign_quotas.quota); used never passes the quota in force (conditional update)
CREATE TABLE unit_quotas (
    campaign_id  uuid    NOT NULL REFERENCES campaigns (id),
    org_id       uuid    NOT NULL,
    quota        integer CHECK (quota >= 0),
    used         integer NOT NULL DEFAULT 0 CHECK (used >= 0),
    PRIMARY KEY (campaign_id, org_id)
);
-- the channel row is now the default per category: nominations are counted per unit
ALTER TABLE nominations DROP CONSTRAINT IF EXISTS nominations_campaign_id_channel_fkey;
INSERT INTO unit_quotas (campaign_id, org_id, used)
  SELECT campaign_id, supervising_org_id, count(*) FROM nominations GROUP BY 1, 2;

-- real-name-verified people (identity's user_verified): only they publish
CREATE TABLE verified_users (
    user_id  uuid PRIMARY KEY
);
UPDATE campaign_quotas SET used = 0;  -- nominations are counted per unit now (unit_quotas)
