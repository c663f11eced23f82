-- Shares, points, the mall and the daily statistics. Times are UTC; every "day" is an Asia/Shanghai date.

-- one row of settings, changed by the platform admin (defaults are seed 000's figures)
CREATE TABLE settings (
    id                         boolean PRIMARY KEY DEFAULT true CHECK (id),
    return_window_minutes      integer NOT NULL DEFAULT 1440 CHECK (return_window_minutes BETWEEN 1 AND 43200),
    daily_cap                  integer NOT NULL DEFAULT 50 CHECK (daily_cap >= 0),
    org_min_communicators      integer NOT NULL DEFAULT 200 CHECK (org_min_communicators >= 0),
    org_min_shares             integer NOT NULL DEFAULT 2000 CHECK (org_min_shares >= 0),
    individual_min_shares      integer NOT NULL DEFAULT 300 CHECK (individual_min_shares >= 0),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings DEFAULT VALUES;

-- points per counted share; 0 where a platform's rules forbid rewarding shares
CREATE TABLE channel_points (
    channel  text PRIMARY KEY CHECK (channel IN ('wechat_group', 'wechat_moments', 'qq_group', 'qq', 'weibo', 'link')),
    points   integer NOT NULL CHECK (points BETWEEN 0 AND 10000)
);
INSERT INTO channel_points VALUES ('wechat_group', 1), ('wechat_moments', 1), ('qq_group', 1), ('qq', 1),
                                  ('weibo', 1), ('link', 1);

-- campaign windows (the campaign ids are those of the activities' events), for leaderboards and recognition
CREATE TABLE campaigns (
    campaign_id  uuid PRIMARY KEY,
    name         text NOT NULL,
    starts_on    date NOT NULL,
    ends_on      date NOT NULL,
    CHECK (ends_on >= starts_on)
);

-- who the communicators are, from identity's events
CREATE TABLE communicators (
    user_id            uuid PRIMARY KEY,
    registered_at      timestamptz,
    verified_at        timestamptz,
    region_code        text,
    city_code          text,
    province_code      text,
    communicator_type  text
);
CREATE INDEX communicators_region ON communicators (region_code);

CREATE TABLE orgs (
    org_id         uuid PRIMARY KEY,
    registrant_id  uuid,
    name           text NOT NULL,
    category       text NOT NULL,
    region_code    text NOT NULL,
    city_code      text,
    province_code  text,
    verified       boolean NOT NULL DEFAULT false
);

-- membership history, so "registered communicators as of 00:00" can be computed for any past day
CREATE TABLE memberships (
    id         bigserial PRIMARY KEY,
    user_id    uuid NOT NULL,
    org_id     uuid NOT NULL,
    joined_at  timestamptz NOT NULL,
    left_at    timestamptz,
    CHECK (left_at IS NULL OR left_at >= joined_at)
);
CREATE UNIQUE INDEX memberships_current ON memberships (user_id) WHERE left_at IS NULL;
CREATE INDEX memberships_org ON memberships (org_id, joined_at);

-- content that may be shared: published resources, approved activities on the shelf (articles of the app
-- are the resources of type article, so they are published resources too)
CREATE TABLE shareable_content (
    content_type  text NOT NULL CHECK (content_type IN ('resource', 'activity')),
    content_id    uuid NOT NULL,
    resource_type text,
    shareable     boolean NOT NULL,
    changed_at    timestamptz NOT NULL,
    PRIMARY KEY (content_type, content_id)
);

CREATE TABLE shares (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('resource', 'activity', 'article')),
    content_id    uuid NOT NULL,
    channel       text NOT NULL,
    org_id        uuid,            -- the sharer's organization when the share started
    region_code   text,            -- the sharer's region when the share started, and its city and province
    city_code     text,
    province_code text,
    started_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    returned_at   timestamptz,     -- set once: a share counts when it returns, and only once
    day           date,            -- the Asia/Shanghai day of returned_at
    points        integer CHECK (points >= 0),
    CHECK ((returned_at IS NULL) = (day IS NULL))
);
CREATE INDEX shares_counted_day ON shares (day, user_id) WHERE day IS NOT NULL;
CREATE INDEX shares_user_day ON shares (user_id, day);

-- points: the ledger is append-only; a balance is the sum of its ledger (cli check-ledger proves it)
CREATE TABLE balances (
    user_id  uuid PRIMARY KEY,
    balance  bigint NOT NULL DEFAULT 0 CHECK (balance >= 0)
);
CREATE TABLE ledger (
    id          bigserial PRIMARY KEY,
    user_id     uuid NOT NULL,
    delta       integer NOT NULL CHECK (delta <> 0),
    reason      text NOT NULL CHECK (reason IN ('share', 'redemption', 'redemption_cancelled')),
    reference   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (reason, reference)      -- one entry per share, per redemption, per cancellation
);
CREATE INDEX ledger_user ON ledger (user_id, id);
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the points ledger is append-only';
END $$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- points earned from shares per Asia/Shanghai day, for the daily cap
CREATE TABLE daily_points (
    user_id  uuid NOT NULL,
    day      date NOT NULL,
    points   integer NOT NULL CHECK (points >= 0),
    PRIMARY KEY (user_id, day)
);

-- the points mall
CREATE TABLE mall_items (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    cost         integer NOT NULL CHECK (cost > 0),
    stock        integer NOT NULL CHECK (stock >= 0),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE redemptions (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL,
    item_id     uuid NOT NULL REFERENCES mall_items (id),
    quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    points      integer NOT NULL CHECK (points > 0),
    status      text NOT NULL CHECK (status IN ('pending', 'fulfilled', 'cancelled')),
    client_key  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz,
    decided_by  uuid,
    UNIQUE (user_id, client_key)
);
CREATE INDEX redemptions_user ON redemptions (user_id, created_at DESC);
CREATE INDEX redemptions_status ON redemptions (status, created_at);

-- activities as their events describe them (latest revision wins), for activity statistics
CREATE TABLE activities (
    activity_id     uuid PRIMARY KEY,
    org_id          uuid NOT NULL,
    campaign_id     uuid NOT NULL,
    region_code     text NOT NULL,
    channel         text NOT NULL,
    review_status   text NOT NULL,
    shelf           text NOT NULL,
    revision        integer NOT NULL,
    occurred_at     timestamptz NOT NULL
);

CREATE TABLE resource_downloads (
    resource_id  uuid NOT NULL,
    day          date NOT NULL,
    org_id       uuid NOT NULL,
    type         text NOT NULL,
    downloads    integer NOT NULL CHECK (downloads > 0),
    PRIMARY KEY (resource_id, day)
);

-- the daily rollup: counted shares per day and per communicator / organization / region; cumulative
-- organization figures as of the end of the day (= the next day's 00:00)
CREATE TABLE day_user (
    day          date NOT NULL,
    user_id      uuid NOT NULL,
    org_id         uuid,
    region_code    text,
    city_code      text,
    province_code  text,
    shares         integer NOT NULL,
    PRIMARY KEY (day, user_id)
);
CREATE INDEX day_user_user ON day_user (user_id, day);
-- leaderboards read one scope's communicators over a few days: each scope its own index, covering
CREATE INDEX day_user_city ON day_user (city_code, day) INCLUDE (user_id, shares);
CREATE INDEX day_user_province ON day_user (province_code, day) INCLUDE (user_id, shares);
CREATE INDEX day_user_org ON day_user (org_id, day) INCLUDE (user_id, shares);
CREATE TABLE org_day (
    day             date NOT NULL,
    org_id          uuid NOT NULL,
    communicators   integer NOT NULL,
    shares_day      integer NOT NULL,
    shares_total    bigint NOT NULL,
    PRIMARY KEY (org_id, day)
);
CREATE INDEX org_day_day ON org_day (day, shares_total DESC);
CREATE TABLE rollups (
    day         date PRIMARY KEY,
    shares      bigint NOT NULL,
    done_at     timestamptz NOT NULL DEFAULT now(),
    stale       boolean NOT NULL DEFAULT false   -- a late share of that day arrived: the timer redoes it
);
