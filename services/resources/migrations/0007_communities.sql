-- depends: 0006_storage_integrity
-- The social half (services/resources/communities.py, comments.py): communities (社团) with members,
-- posts (动态), comments and likes on resources, activities and posts, reports, the moderation audit
-- trail, favorites and the channels a person picks. People appear by a masked name only (王*明).

-- personal uploads for communities: a cover, a post's images or short video (the uploader's own files)
ALTER TABLE uploads DROP CONSTRAINT uploads_purpose_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_purpose_check CHECK (purpose IN (
    'article', 'image', 'video', 'wallchart', 'audio', 'debunk', 'thumbnail',
    'activity_poster', 'followup_photo', 'followup_video',
    'community_cover', 'post_image', 'post_video'));

CREATE TABLE communities (
    id              uuid PRIMARY KEY,
    name            text        NOT NULL,
    name_key        text        NOT NULL,            -- social_rules.name_key: width, case and spaces ignored
    intro           text        NOT NULL,
    rules           text        NOT NULL,            -- 内容发布规则
    region_code     text        NOT NULL,
    topic           text        NOT NULL,
    cover_upload_id uuid        REFERENCES uploads (id),
    cover_key       text,
    creator_id      uuid        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    review_comment  text        NOT NULL DEFAULT '',
    members         integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz
);
-- a name is taken while its community waits for review or is approved; a rejected one frees it
CREATE UNIQUE INDEX communities_name ON communities (name_key) WHERE status <> 'rejected';
CREATE INDEX communities_approved ON communities (topic, created_at DESC) WHERE status = 'approved';

CREATE TABLE community_members (
    community_id uuid        NOT NULL REFERENCES communities (id),
    user_id      uuid        NOT NULL,
    name         text        NOT NULL,                -- masked
    role         text        NOT NULL CHECK (role IN ('member', 'moderator', 'admin')),
    joined_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX community_members_user ON community_members (user_id);

CREATE TABLE community_posts (
    id            uuid PRIMARY KEY,
    community_id  uuid        NOT NULL REFERENCES communities (id),
    author_id     uuid        NOT NULL,
    author_name   text        NOT NULL,               -- masked
    body          text        NOT NULL,
    media         jsonb       NOT NULL DEFAULT '[]',  -- [{upload_id, kind, key, thumbnail_key, width, height, duration_seconds}]
    status        text        NOT NULL CHECK (status IN ('held', 'published', 'hidden', 'rejected')),
    held_words    text[]      NOT NULL DEFAULT '{}',
    pinned_at     timestamptz,
    likes         integer     NOT NULL DEFAULT 0,
    comments      integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX community_posts_newest ON community_posts (community_id, published_at DESC, id DESC)
    WHERE status = 'published';
CREATE INDEX community_posts_author ON community_posts (author_id, created_at DESC);
CREATE INDEX community_posts_liked ON community_posts (likes DESC, id DESC) WHERE status = 'published';
CREATE INDEX community_posts_pinned ON community_posts (pinned_at DESC) WHERE status = 'published' AND pinned_at IS NOT NULL;

CREATE TABLE comments (
    id           uuid PRIMARY KEY,
    target_type  text        NOT NULL CHECK (target_type IN ('resource', 'activity', 'post')),
    target_id    uuid        NOT NULL,
    parent_id    uuid        REFERENCES comments (id),
    author_id    uuid        NOT NULL,
    author_name  text        NOT NULL,                -- masked
    body         text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('held', 'published', 'hidden', 'rejected')),
    held_words   text[]      NOT NULL DEFAULT '{}',
    likes        integer     NOT NULL DEFAULT 0,
    replies      integer     NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_newest ON comments (target_type, target_id, created_at DESC, id DESC)
    WHERE status = 'published' AND parent_id IS NULL;
CREATE INDEX comments_hottest ON comments (target_type, target_id, likes DESC, created_at DESC, id DESC)
    WHERE status = 'published' AND parent_id IS NULL;
CREATE INDEX comments_replies ON comments (parent_id, created_at) WHERE parent_id IS NOT NULL;
CREATE INDEX comments_author ON comments (author_id, created_at DESC);

-- one like per person per post or comment
CREATE TABLE likes (
    subject_type text        NOT NULL CHECK (subject_type IN ('post', 'comment')),
    subject_id   uuid        NOT NULL,
    user_id      uuid        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_type, subject_id, user_id)
);

CREATE TABLE content_reports (
    id           uuid PRIMARY KEY,
    subject_type text        NOT NULL CHECK (subject_type IN ('post', 'comment')),
    subject_id   uuid        NOT NULL,
    reporter_id  uuid        NOT NULL,
    reason       text        NOT NULL,
    status       text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'dismissed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subject_type, subject_id, reporter_id)
);

-- the audit trail: every moderation step on a post or comment, who took it and why
CREATE TABLE moderation_log (
    id           bigserial   PRIMARY KEY,
    subject_type text        NOT NULL,
    subject_id   uuid        NOT NULL,
    action       text        NOT NULL,   -- held, released, rejected, hidden, restored, pinned, unpinned, reported
    actor_id     text,                   -- NULL: the word check; a user id (a reviewer's, from review_decided)
    reason       text        NOT NULL DEFAULT '',
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_log_subject ON moderation_log (subject_type, subject_id, id);

CREATE TABLE favorites (
    user_id      uuid        NOT NULL,
    target_type  text        NOT NULL CHECK (target_type IN ('resource', 'activity', 'post')),
    target_id    uuid        NOT NULL,
    title        text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, target_type, target_id)
);
CREATE INDEX favorites_list ON favorites (user_id, target_type, created_at DESC);

CREATE TABLE user_channels (
    user_id    uuid PRIMARY KEY,
    channels   text[]      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
