-- depends: 0006_org_name_keys
-- A street admin (乡镇街道管理员) names a township: region_code stays the county (what metrics, review
-- scopes and every 6-digit consumer read), township_code is the 9-digit code, and region_path ends with
-- it, so an area query for the township finds exactly its communicators.
ALTER TABLE verifications ADD COLUMN township_code text;
