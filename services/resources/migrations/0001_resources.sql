-- Uploads, the resource catalogue and its search index. Times are UTC (timestamptz).

-- who may act for which organization: kept from identity's role and organization events
CREATE TABLE org_admins (
    user_id  uuid NOT NULL,
    org_id   uuid NOT NULL,
    PRIMARY KEY (user_id, org_id)
);
CREATE TABLE platform_admins (
    user_id  uuid PRIMARY KEY
);
CREATE TABLE organizations (
    id    uuid PRIMARY KEY,
    name  text NOT NULL
);

-- one row per file an organization sends, whichever way it comes (presigned multipart or streamed)
CREATE TABLE uploads (
    id               uuid PRIMARY KEY,
    org_id           uuid        NOT NULL,
    uploader_id      uuid        NOT NULL,
    purpose          text        NOT NULL CHECK (purpose IN ('article', 'image', 'video', 'wallchart', 'audio',
                                                             'debunk', 'thumbnail')),
    filename         text        NOT NULL,
    declared_type    text        NOT NULL,           -- the content type the client claims
    size             bigint      NOT NULL CHECK (size > 0),
    sha256           text        NOT NULL,
    method           text        NOT NULL CHECK (method IN ('multipart', 'stream')),
    object_key       text        NOT NULL UNIQUE,
    multipart_id     text,                           -- the storage's multipart upload id
    part_size        bigint      NOT NULL,
    status           text        NOT NULL CHECK (status IN ('pending', 'complete', 'rejected', 'expired')),
    content_type     text,                           -- what the bytes are, once checked
    thumbnail_key    text,
    error            text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    completed_at     timestamptz
);
CREATE INDEX uploads_pending ON uploads (expires_at) WHERE status = 'pending';
CREATE INDEX uploads_complete ON uploads (completed_at) WHERE status = 'complete';

CREATE TABLE resources (
    id                 uuid PRIMARY KEY,
    org_id             uuid        NOT NULL,
    uploader_id        uuid        NOT NULL,
    type               text        NOT NULL CHECK (type IN ('article', 'image', 'video', 'wallchart', 'audio', 'debunk')),
    title              text        NOT NULL,
    keywords           text[]      NOT NULL,
    description        text        NOT NULL,
    topics             text[]      NOT NULL DEFAULT '{}',
    file_upload_id     uuid        NOT NULL UNIQUE REFERENCES uploads (id),
    file_key           text        NOT NULL,
    filename           text        NOT NULL,
    file_size          bigint      NOT NULL,
    content_type       text        NOT NULL,
    sha256             text        NOT NULL,
    thumbnail_key      text,
    thumbnail_upload_id uuid UNIQUE REFERENCES uploads (id),
    status             text        NOT NULL CHECK (status IN ('pending_initial', 'initial_rejected', 'pending_scientific',
                                                              'scientific_rejected', 'published', 'withdrawn')),
    review_comment     text        NOT NULL DEFAULT '',
    downloads          bigint      NOT NULL DEFAULT 0,
    -- CJK bigrams (and each run's last character) and lower-cased Latin words, with positions, so a
    -- 2-character word is one GIN lookup and longer words are phrase queries (services/resources/search_text.py)
    search             tsvector    NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    published_at       timestamptz,
    withdrawn_by       uuid
);
CREATE INDEX resources_owner ON resources (org_id, updated_at DESC, id DESC);
-- the public catalogue: only published rows are indexed for search and listing
CREATE INDEX resources_search ON resources USING gin (search) WHERE status = 'published';
CREATE INDEX resources_newest ON resources (published_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX resources_type_newest ON resources (type, published_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX resources_downloads ON resources (downloads DESC, id DESC) WHERE status = 'published';
CREATE INDEX resources_org_newest ON resources (org_id, published_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX resources_topics ON resources USING gin (topics) WHERE status = 'published';
CREATE INDEX resources_type_downloads ON resources (type, downloads DESC, id DESC) WHERE status = 'published';
