-- Campaigns, activities with every submitted version, the public listing, follow-up materials and
-- nominations. Times are UTC (timestamptz); campaign windows and deadlines are Asia/Shanghai dates.

-- identity's directory and who acts for which organization, kept from identity's events (no RPC)
CREATE TABLE organizations (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    category     text NOT NULL,
    region_code  text NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'rejected'))
);
CREATE TABLE org_admins (
    user_id  uuid NOT NULL,
    org_id   uuid NOT NULL,
    PRIMARY KEY (user_id, org_id)
);
CREATE TABLE platform_admins (
    user_id  uuid PRIMARY KEY
);

CREATE TABLE campaigns (
    id              uuid PRIMARY KEY,
    name            text    NOT NULL,
    year            integer NOT NULL,
    theme           text    NOT NULL DEFAULT '',
    window_start    date    NOT NULL,
    window_end      date    NOT NULL CHECK (window_end >= window_start),
    followup_rules  jsonb   NOT NULL,
    created_by      uuid    NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- nomination quotas per channel: used never passes quota, whatever runs at once (conditional update + CHECK)
CREATE TABLE campaign_quotas (
    campaign_id  uuid    NOT NULL REFERENCES campaigns (id),
    channel      text    NOT NULL,
    quota        integer NOT NULL CHECK (quota >= 0),
    used         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, channel),
    CHECK (used >= 0 AND used <= quota)
);

-- the working state of each activity; its content is the version at `revision`
CREATE TABLE activities (
    id                    uuid PRIMARY KEY,
    org_id                uuid    NOT NULL,
    campaign_id           uuid    NOT NULL REFERENCES campaigns (id),
    created_by            uuid    NOT NULL,
    revision              integer NOT NULL CHECK (revision >= 1),
    submitted_at          timestamptz NOT NULL,   -- when the current revision was sent
    supervising_category  text    NOT NULL,
    review_status         text    NOT NULL CHECK (review_status IN ('pending_provincial', 'provincial_rejected',
                                                   'pending_national', 'national_rejected', 'approved')),
    review_comment        text    NOT NULL DEFAULT '',
    rejected_stage        text,
    shelf                 text    NOT NULL DEFAULT 'off' CHECK (shelf IN ('on', 'off')),
    shelf_reason          text    NOT NULL DEFAULT '',
    shelf_changed_by      uuid,
    public_revision       integer,               -- the approved version the public sees (NULL: never approved)
    approvals             integer NOT NULL DEFAULT 0,   -- iCalendar SEQUENCE
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_owner ON activities (org_id, updated_at DESC, id DESC);

-- every submitted version, with the fields changed since the one before
CREATE TABLE activity_versions (
    activity_id   uuid    NOT NULL REFERENCES activities (id),
    revision      integer NOT NULL,
    data          jsonb   NOT NULL,
    changes       text[]  NOT NULL DEFAULT '{}',
    submitted_by  uuid    NOT NULL,
    submitted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (activity_id, revision)
);

-- the public projection: each activity ever approved, with its filters; kept narrow (the approved version's
-- content stays in activity_versions) so counting and filtering 200,000 rows reads little
CREATE TABLE activity_listing (
    activity_id           uuid PRIMARY KEY REFERENCES activities (id),
    revision              integer NOT NULL,
    sequence              integer NOT NULL,
    shelf                 text    NOT NULL CHECK (shelf IN ('on', 'off')),
    campaign_id           uuid    NOT NULL,
    name                  text    NOT NULL,
    type                  text    NOT NULL,
    mode                  text    NOT NULL,
    start_at              timestamptz NOT NULL,
    end_at                timestamptz NOT NULL,
    region_code           text    NOT NULL,
    province_code         text    NOT NULL,
    city_code             text,
    supervising_category  text    NOT NULL,
    youth_festival        boolean NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
-- soonest first, per leading filter; every other filter column is INCLUDEd, so a page and its count are
-- answered from the index alone (index-only scans), whatever the combination of filters
CREATE INDEX listing_start ON activity_listing (start_at, activity_id)
    INCLUDE (end_at, type, mode, campaign_id, supervising_category, youth_festival) WHERE shelf = 'on';
CREATE INDEX listing_province_start ON activity_listing (province_code, start_at, activity_id)
    INCLUDE (end_at, type, mode, campaign_id, supervising_category, youth_festival) WHERE shelf = 'on';
CREATE INDEX listing_city_start ON activity_listing (city_code, start_at, activity_id)
    INCLUDE (end_at, type, mode, campaign_id, supervising_category, youth_festival) WHERE shelf = 'on';
CREATE INDEX listing_region_start ON activity_listing (region_code, start_at, activity_id)
    INCLUDE (end_at, type, mode, campaign_id, supervising_category, youth_festival) WHERE shelf = 'on';
CREATE INDEX listing_campaign_start ON activity_listing (campaign_id, start_at, activity_id)
    INCLUDE (end_at, type, mode, supervising_category, youth_festival) WHERE shelf = 'on';
CREATE INDEX listing_type_start ON activity_listing (type, start_at, activity_id)
    INCLUDE (end_at, mode, campaign_id, supervising_category, youth_festival) WHERE shelf = 'on';
CREATE INDEX listing_channel_start ON activity_listing (supervising_category, youth_festival, start_at, activity_id)
    INCLUDE (end_at, type, mode, campaign_id) WHERE shelf = 'on';

-- each listed activity's VEVENT, rendered when it is approved or its shelf changes: an export concatenates them
CREATE TABLE activity_calendar (
    activity_id  uuid PRIMARY KEY REFERENCES activity_listing (activity_id),
    vevent       text NOT NULL
);

CREATE TABLE followups (
    activity_id   uuid PRIMARY KEY REFERENCES activities (id),
    status        text NOT NULL CHECK (status IN ('draft', 'submitted')),
    data          jsonb NOT NULL,
    submitted_at  timestamptz,
    updated_by    uuid NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- one nomination per activity, audited: who and when
CREATE TABLE nominations (
    activity_id   uuid PRIMARY KEY REFERENCES activities (id),
    campaign_id   uuid NOT NULL,
    channel       text NOT NULL,
    nominated_by  uuid NOT NULL,
    nominated_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (campaign_id, channel) REFERENCES campaign_quotas (campaign_id, channel)
);
