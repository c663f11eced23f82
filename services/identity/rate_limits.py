"""Fixed-window rate limits in PostgreSQL, so every instance of the service counts together.

Redis is not part of this platform and the limits package has no PostgreSQL storage; one upsert per
check is all it takes at the rates SMS and login see. The policies and the arithmetic are pure
(tested in tests/test_rate_limit_policies.py); `hit` is the one function that touches the database.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from kepu_common.errors import RateLimited


@dataclass(frozen=True)
class Policy:
    name: str  # the key prefix in the rate_limits table
    limit: int  # attempts allowed per window
    window_seconds: int
    message: str  # catalogue code of the refusal; takes {retry_after}


SMS_PER_PHONE = Policy("sms", 1, 60, "sms_code_wait")
SMS_PER_PHONE_HOURLY = Policy("sms-hour", 5, 3600, "too_many_attempts")
SMS_PER_ADDRESS = Policy("sms-ip", 30, 3600, "too_many_attempts")
LOGIN_PER_PHONE = Policy("login", 10, 900, "too_many_attempts")
LOGIN_PER_ADDRESS = Policy("login-ip", 100, 900, "too_many_attempts")


def sms_checks(phone, client_ip):
    """(policy, key) pairs an SMS code request counts under."""
    return [(SMS_PER_PHONE, f"sms:{phone}"), (SMS_PER_PHONE_HOURLY, f"sms-hour:{phone}"),
            (SMS_PER_ADDRESS, f"sms-ip:{client_ip}")]


def login_checks(phone, client_ip):
    return [(LOGIN_PER_PHONE, f"login:{phone}"), (LOGIN_PER_ADDRESS, f"login-ip:{client_ip}")]


def window_start(policy, now):
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % policy.window_seconds, timezone.utc)


def retry_after(policy, hits, started, now):
    """None while hits are within the limit; else whole seconds until the window ends (at least 1)."""
    if hits <= policy.limit:
        return None
    return int((started + timedelta(seconds=policy.window_seconds) - now).total_seconds()) + 1


def refusal(policy, seconds):
    return RateLimited(policy.message, details={"retry_after": seconds}, retry_after=seconds)


def hit(cur, policy, key, now=None):
    """Count one attempt under key; raise RateLimited (retry_after in details and message) past the limit."""
    now = now or datetime.now(timezone.utc)
    started = window_start(policy, now)
    cur.execute(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES (%s, %s, 1) "
        "ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
        (key, started),
    )
    seconds = retry_after(policy, cur.fetchone()[0], started, now)
    if seconds is not None:
        raise refusal(policy, seconds)


def hit_all(cur, checks, now=None):
    for policy, key in checks:
        hit(cur, policy, key, now)


def purge(cur, older_than=timedelta(days=1)):
    cur.execute("DELETE FROM rate_limits WHERE window_start < now() - %s", (older_than,))
