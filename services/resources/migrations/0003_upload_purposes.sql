-- depends: 0002_search_statistics
-- Uploads for activities (posters, follow-up photos and videos), what was read from the file itself
-- (an image's or video's dimensions, a video's duration), and when another service took an upload
-- up (attach_uploads): a used upload is never removed as abandoned.
ALTER TABLE uploads DROP CONSTRAINT uploads_purpose_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_purpose_check CHECK (purpose IN (
    'article', 'image', 'video', 'wallchart', 'audio', 'debunk', 'thumbnail',
    'activity_poster', 'followup_photo', 'followup_video'));
ALTER TABLE uploads
    ADD COLUMN width            integer,
    ADD COLUMN height           integer,
    ADD COLUMN duration_seconds double precision,
    ADD COLUMN used_at          timestamptz;
