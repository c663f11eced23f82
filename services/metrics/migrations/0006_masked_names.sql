-- Boards name a communicator by the real name masked (王*明), from user_verified (issue 23); the real name
-- itself stays in identity. Null for a communicator verified before the event carried it: the gateway then
-- asks identity (people RPC) for that row.
ALTER TABLE communicators ADD COLUMN masked_name text;
