"""Fixed-window rate limits in PostgreSQL, so every instance of the service counts together.

Redis is not part of this platform and the limits package has no PostgreSQL storage; one upsert per
check is all it takes at the rates SMS and login see. The policies and the arithmetic are pure
(tested in tests/test_rate_limit_policies.py); `hit` is the one function that touches the database.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from kepu_common.interfaces.errors import RateLimited


@dataclass(frozen=True)
class Policy:
    name: str  # the key prefix in the rate_limits table
    limit: int  # attempts allowed per window
    window_seconds: int
    message: str  # catalogue code of the refusal; takes {retry_after}


# SMS: the cost is per text sent and the abuse is texts to phones that did not ask. Per phone stays strict;
# per address fits a venue's Wi-Fi (200 sign-ups in an hour behind one address; docs/operations.md).
SMS_PER_PHONE = Policy("sms", 1, 60, "sms_code_wait")
SMS_PER_PHONE_HOURLY = Policy("sms-hour", 5, 3600, "too_many_attempts")
SMS_PER_ADDRESS = Policy("sms-ip", 300, 3600, "too_many_attempts")
SMS_PER_ADDRESS_DAILY = Policy("sms-ip-day", 1000, 86400, "too_many_attempts")

# Sign-in by password: only failures count, a correct password never does. Guesses are limited per
# account and source and per source; a refused try counts against its source too. An account guessed at from
# many sources is slowed for unknown sources only: one *failure* per window (a refused try takes no turn), while
# a source the account signed in from before (known_sources) always has its password checked. Signing in by
# SMS code does not look at any of these (docs/operations.md, "Signing in").
#
# Keys never hold a phone: `phone_key` is phone_vault.rate_key(phone), a keyed HMAC.
FAILURES_PER_ACCOUNT_SOURCE = Policy("login-fail", 5, 900, "too_many_attempts")
FAILURES_PER_SOURCE = Policy("login-fail-ip", 100, 900, "too_many_attempts")
FAILURES_PER_ACCOUNT = Policy("login-fail-account", 20, 900, "too_many_attempts")
SLOWED_ACCOUNT = Policy("login-slow", 1, 30, "sign_in_slowed")


def sms_checks(phone_key, client_ip):
    """(policy, key) pairs an SMS code request counts under."""
    return [(SMS_PER_PHONE, f"sms:{phone_key}"), (SMS_PER_PHONE_HOURLY, f"sms-hour:{phone_key}"),
            (SMS_PER_ADDRESS, f"sms-ip:{client_ip}"), (SMS_PER_ADDRESS_DAILY, f"sms-ip-day:{client_ip}")]


def password_gates(phone_key, client_ip):
    """(policy, key) pairs whose failures, once at their limit, refuse a password before it is checked."""
    return [(FAILURES_PER_ACCOUNT_SOURCE, f"login-fail:{phone_key}:{client_ip}"),
            (FAILURES_PER_SOURCE, f"login-fail-ip:{client_ip}")]


def failure_counters(phone_key, client_ip):
    """(policy, key) pairs a wrong password (or an unknown phone) counts under."""
    return password_gates(phone_key, client_ip) + [(FAILURES_PER_ACCOUNT, f"login-fail-account:{phone_key}")]


def refusal_counters(client_ip):
    """What a refused password try counts under: its source (an address hammering a slowed account or its own
    limit is soon refused for every account), never the account's turn."""
    return [(FAILURES_PER_SOURCE, f"login-fail-ip:{client_ip}")]


def account_slowdown(phone_key):
    """(threshold policy and key, slowdown policy and key): past the threshold, one failure per window from
    sources the account does not know."""
    return (FAILURES_PER_ACCOUNT, f"login-fail-account:{phone_key}"), (SLOWED_ACCOUNT, f"login-slow:{phone_key}")


def after_password_reset(phone_key):
    """The counters a password reset clears: the owner proved the phone is theirs."""
    return [f"login-fail-account:{phone_key}", f"login-slow:{phone_key}"]


def password_try(slowed, known_source, turn_taken):
    """What to do with a password try that passed the gates: "check" it or "refuse" it unchecked.

    A source the account knows is always checked (its owner is never kept out by strangers' guesses); on a slowed
    account an unknown source is checked only while no failure took the window's turn."""
    if not slowed or known_source or not turn_taken:
        return "check"
    return "refuse"


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


def count(cur, policy, key, now=None):
    """Hits under key in the current window, without adding one."""
    now = now or datetime.now(timezone.utc)
    cur.execute("SELECT hits FROM rate_limits WHERE key = %s AND window_start = %s", (key, window_start(policy, now)))
    row = cur.fetchone()
    return row[0] if row else 0


def at_limit(policy, hits, started, now):
    """Like retry_after, for a count read before the attempt: the next one would be hits + 1."""
    return retry_after(policy, hits + 1, started, now)


def check_all(cur, checks, now=None):
    """Refuse when any counter is at its limit already; counts nothing (failures are counted afterwards)."""
    now = now or datetime.now(timezone.utc)
    for policy, key in checks:
        seconds = at_limit(policy, count(cur, policy, key, now), window_start(policy, now), now)
        if seconds is not None:
            raise refusal(policy, seconds)


def record_all(cur, checks, now=None):
    """Count one attempt under each key, refusing nothing (the attempt was answered already)."""
    now = now or datetime.now(timezone.utc)
    for policy, key in checks:
        cur.execute("INSERT INTO rate_limits (key, window_start, hits) VALUES (%s, %s, 1) "
                    "ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1",
                    (key, window_start(policy, now)))


def slowdown_state(cur, phone_key, now=None):
    """(slowed, turn_taken, seconds until the turn frees) for the account's password tries."""
    now = now or datetime.now(timezone.utc)
    (threshold, threshold_key), (slowed, slowed_key) = account_slowdown(phone_key)
    if count(cur, threshold, threshold_key, now) < threshold.limit:
        return False, False, None
    taken = count(cur, slowed, slowed_key, now)
    return True, taken >= slowed.limit, at_limit(slowed, taken, window_start(slowed, now), now)


def slowed_refusal(seconds):
    return refusal(SLOWED_ACCOUNT, seconds)


def take_turn(cur, phone_key, now=None):
    """A failure on a slowed account from an unknown source takes the window's turn."""
    _, (slowed, slowed_key) = account_slowdown(phone_key)
    record_all(cur, [(slowed, slowed_key)], now)


def clear(cur, keys):
    cur.execute("DELETE FROM rate_limits WHERE key = ANY(%s)", (list(keys),))


def purge(cur, older_than=timedelta(days=1)):
    cur.execute("DELETE FROM rate_limits WHERE window_start < now() - %s", (older_than,))
