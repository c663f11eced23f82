-- depends: 0003_upload_purposes
-- Topics are found by a normalized name (services/resources/topics.py: NFKC, no whitespace, lower case),
-- so 科学 防疫, 科学防疫 and full-width forms are one topic; the names stay as their authors wrote them.
-- A resource's video duration is read from its file (PyAV) and shown in its detail and in /my/resources.
ALTER TABLE resources
    ADD COLUMN topic_keys       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN duration_seconds double precision;
UPDATE resources r SET topic_keys = coalesce(
    (SELECT array_agg(DISTINCT lower(regexp_replace(normalize(t, NFKC), '\s', '', 'g')))
       FROM unnest(r.topics) AS t), '{}')
 WHERE cardinality(r.topics) > 0;
UPDATE resources r SET duration_seconds = u.duration_seconds FROM uploads u
 WHERE u.id = r.file_upload_id AND u.duration_seconds IS NOT NULL;
DROP INDEX IF EXISTS resources_topics;
CREATE INDEX resources_topic_keys ON resources USING gin (topic_keys) WHERE status = 'published';
