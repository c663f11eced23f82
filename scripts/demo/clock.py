"""Activities that have begun or ended. An activity must start after it is submitted (the rule is right), and
the demo cannot wait days: so, as the journeys do, the clock is not turned but the stored dates are. After an
activity is approved through the API, its dates are moved back in the activities database: every stored
version, the public listing row and its calendar entry (rendered again by the service's own code)."""
from datetime import datetime, timedelta, timezone

import psycopg2

from services.activities import catalogue


def move_dates(database_url, activity_id, start_at, end_at):
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE activity_versions SET data = data || jsonb_build_object('start_at', %s::text, "
                    "'end_at', %s::text) WHERE activity_id = %s",
                    (start_at.isoformat(), end_at.isoformat(), activity_id))
        cur.execute("UPDATE activity_listing SET start_at = %s, end_at = %s WHERE activity_id = %s",
                    (start_at, end_at, activity_id))
        if cur.rowcount:
            catalogue._render_calendar(cur, activity_id)
    conn.close()


def ongoing(database_url, activity_id, now=None):
    now = now or datetime.now(timezone.utc)
    start = (now - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    move_dates(database_url, activity_id, start, start + timedelta(days=3))


def ended(database_url, activity_id, days_ago=3, now=None):
    now = now or datetime.now(timezone.utc)
    end = (now - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
    move_dates(database_url, activity_id, end - timedelta(hours=3), end)
