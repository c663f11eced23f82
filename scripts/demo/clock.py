"""Activities that have begun or ended. An activity must start after it is submitted (the rule is right), and
the demo cannot wait days: so, as the journeys do, the clock is not turned but the stored dates are. After an
activity is approved through the API, its dates are moved back in the activities database: every stored
version, the public listing row and its calendar entry (rendered again by the service's own code)."""
from datetime import datetime, time, timedelta, timezone

import psycopg2

from services.activities import catalogue
from services.metrics.periods import SHANGHAI, shanghai_day


def move_dates(database_url, activity_id, start_at, end_at):
    start_at, end_at = start_at.astimezone(timezone.utc), end_at.astimezone(timezone.utc)  # stored in UTC
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
    """Began yesterday at 09:00 Beijing time, for three days."""
    today = shanghai_day(now or datetime.now(timezone.utc))
    start = datetime.combine(today - timedelta(days=1), time(9), tzinfo=SHANGHAI)
    move_dates(database_url, activity_id, start, start + timedelta(days=3))


def ended(database_url, activity_id, days_ago=3, now=None):
    """Held days_ago days back, 14:00 to 17:00 Beijing time."""
    day = shanghai_day(now or datetime.now(timezone.utc)) - timedelta(days=days_ago)
    start = datetime.combine(day, time(14), tzinfo=SHANGHAI)
    move_dates(database_url, activity_id, start, start + timedelta(hours=3))
