-- depends: 0003_verification_and_orgs
-- Chinese substring search without extensions: pg_trgm cannot use its index for a 2-character
-- pattern, so names are indexed by their characters and character pairs (docs/architecture.md).
CREATE FUNCTION cjk_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
    SELECT substr(t, i, 1) AS g FROM generate_series(1, char_length(t)) AS i
    UNION ALL
    SELECT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) AS i) AS grams $$;

CREATE FUNCTION cjk_query_grams(q text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN char_length(q) = 1 THEN ARRAY[q]
    ELSE (SELECT array_agg(DISTINCT substr(q, i, 2)) FROM generate_series(1, char_length(q) - 1) AS i) END $$;

CREATE INDEX organizations_grams ON organizations USING gin (cjk_grams(name)) WHERE status = 'approved';
-- the database's collation is not "C": LIKE 'prefix%' needs text_pattern_ops to use an index
CREATE INDEX organizations_name_prefix ON organizations (name text_pattern_ops) WHERE status = 'approved';
CREATE INDEX organizations_region ON organizations USING gin (region_path) WHERE status = 'approved';

-- a communicator belongs to at most one organization
CREATE TABLE memberships (
    user_id    uuid PRIMARY KEY REFERENCES users (id),
    org_id     uuid        NOT NULL REFERENCES organizations (id),
    joined_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memberships_org ON memberships (org_id, joined_at);
