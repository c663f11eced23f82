-- A publication retried with the client's own key (after a time-out, a second press of 保存) finds the
-- first one instead of making a second activity: one key per user.
ALTER TABLE activities ADD COLUMN client_key text;
CREATE UNIQUE INDEX activities_client_key ON activities (created_by, client_key) WHERE client_key IS NOT NULL;
