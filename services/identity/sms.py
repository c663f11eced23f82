"""One-time SMS codes and the senders that deliver them.

Codes are 6 digits, live 5 minutes, are single-use, allow 5 wrong tries, and a new code replaces the
previous one. Only an HMAC of a code is stored.
"""
import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from kepu_common.errors import InvalidInput, RuleBroken

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PURPOSES = ("register", "login", "reset_password")
# the purposes that need an existing account (a code for an unknown phone is refused before it is sent)
ACCOUNT_PURPOSES = ("login", "reset_password")


def code_hmac(secret, phone, code):
    return hmac.new(secret, f"{phone}:{code}".encode(), hashlib.sha256).digest()


def issue(cur, secret, phone, purpose):
    code = f"{secrets.randbelow(10**6):06d}"
    cur.execute("UPDATE sms_codes SET consumed_at = now() WHERE phone = %s AND purpose = %s AND consumed_at IS NULL",
                (phone, purpose))
    cur.execute(
        "INSERT INTO sms_codes (phone, purpose, code_hmac, expires_at) VALUES (%s, %s, %s, now() + %s)",
        (phone, purpose, code_hmac(secret, phone, code), CODE_TTL),
    )
    return code


def check(cur, secret, phone, purpose, code):
    """Consume the live code if it matches. A wrong code counts an attempt and raises.

    The caller commits even when this raises (see service.register), so wrong tries add up.
    """
    cur.execute(
        "SELECT id, code_hmac, expires_at < now(), attempts FROM sms_codes "
        "WHERE phone = %s AND purpose = %s AND consumed_at IS NULL ORDER BY id DESC LIMIT 1 FOR UPDATE",
        (phone, purpose),
    )
    row = cur.fetchone()
    if row is None:
        raise InvalidInput("sms_code_missing", {"code": "sms_code_missing"})
    code_id, expected, expired, attempts = row
    if expired:
        raise InvalidInput("sms_code_expired", {"code": "sms_code_expired"})
    if attempts >= MAX_ATTEMPTS:
        raise RuleBroken("sms_code_locked", {"code": "sms_code_locked"}, details={"max_attempts": MAX_ATTEMPTS})
    if not hmac.compare_digest(bytes(expected), code_hmac(secret, phone, str(code or ""))):
        cur.execute("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = %s", (code_id,))
        return False
    cur.execute("UPDATE sms_codes SET consumed_at = now() WHERE id = %s", (code_id,))
    return True


def wrong_code():
    return InvalidInput("sms_code_wrong", {"code": "sms_code_wrong"})


def purge(cur):
    cur.execute("DELETE FROM sms_codes WHERE created_at < now() - interval '2 days'")


class ConsoleSender:
    """Development sender: writes the code to the service log instead of sending a text message."""

    def send(self, phone, code, purpose):
        log.info("SMS to %s (%s): your Kepu code is %s", phone, purpose, code)


SENDERS = {"console": ConsoleSender}


def sender_from_config(name):
    try:
        return SENDERS[name]()
    except KeyError:
        raise ValueError(f"unknown SMS sender {name!r}; known: {', '.join(SENDERS)}") from None
