"""Fixed-window rate limits in PostgreSQL, so every instance of the service counts together.

Redis is not part of this platform and the limits package has no PostgreSQL storage; one upsert per
check is all it takes at the rates SMS and login see.
"""
from datetime import datetime, timedelta, timezone

from kepu_common.errors import RateLimited


def hit(cur, key, limit, window_seconds, message, now=None):
    """Count one attempt under key; raise RateLimited (with retry_after seconds) past the limit."""
    now = now or datetime.now(timezone.utc)
    epoch = int(now.timestamp())
    window_start = datetime.fromtimestamp(epoch - epoch % window_seconds, timezone.utc)
    cur.execute(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES (%s, %s, 1) "
        "ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
        (key, window_start),
    )
    if cur.fetchone()[0] > limit:
        retry_after = int((window_start + timedelta(seconds=window_seconds) - now).total_seconds()) + 1
        raise RateLimited(message, {"retry_after": retry_after})


def purge(cur, older_than=timedelta(days=1)):
    cur.execute("DELETE FROM rate_limits WHERE window_start < now() - %s", (older_than,))
