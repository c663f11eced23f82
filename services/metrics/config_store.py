"""The admin's settings: return window, daily cap, recognition thresholds, points per channel, campaigns."""
SETTING_COLUMNS = ("return_window_minutes", "daily_cap", "org_min_communicators", "org_min_shares",
                   "individual_min_shares", "share_minute_ceiling")


def settings(cur):
    cur.execute(f"SELECT {', '.join(SETTING_COLUMNS)} FROM settings")
    found = dict(zip(SETTING_COLUMNS, cur.fetchone()))
    found["channel_points"] = channel_points(cur)
    return found


def channel_points(cur):
    cur.execute("SELECT channel, points FROM channel_points")
    return dict(cur.fetchall())


def update(cur, changes):
    values = {k: changes[k] for k in SETTING_COLUMNS if k in changes}
    if values:
        assignments = ", ".join(f"{k} = %({k})s" for k in values)
        cur.execute(f"UPDATE settings SET {assignments}, updated_at = now()", values)
    for channel, points in (changes.get("channel_points") or {}).items():
        cur.execute("INSERT INTO channel_points (channel, points) VALUES (%s, %s) "
                    "ON CONFLICT (channel) DO UPDATE SET points = EXCLUDED.points", (channel, points))
    return settings(cur)


CAMPAIGN_COLUMNS = ("campaign_id", "name", "starts_on", "ends_on")


def put_campaign(cur, campaign_id, data):
    cur.execute("INSERT INTO campaigns (campaign_id, name, starts_on, ends_on) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (campaign_id) DO UPDATE SET name = EXCLUDED.name, starts_on = EXCLUDED.starts_on, "
                "ends_on = EXCLUDED.ends_on", (campaign_id, data["name"], data["starts_on"], data["ends_on"]))
    return campaign(cur, campaign_id)


def campaign(cur, campaign_id):
    cur.execute(f"SELECT {', '.join(CAMPAIGN_COLUMNS)} FROM campaigns WHERE campaign_id = %s", (campaign_id,))
    row = cur.fetchone()
    return None if row is None else dict(zip(CAMPAIGN_COLUMNS, row))


def campaigns(cur):
    cur.execute(f"SELECT {', '.join(CAMPAIGN_COLUMNS)} FROM campaigns ORDER BY starts_on DESC, name")
    return [dict(zip(CAMPAIGN_COLUMNS, row)) for row in cur.fetchall()]
