"""One-time SMS codes and the senders that deliver them.

Codes are 6 digits, live 5 minutes, are single-use, allow 5 wrong tries, and a new code replaces the
previous one. Only an HMAC of a code is stored.
"""
import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from kepu_common.interfaces.errors import InvalidInput, RuleBroken, Unavailable
from services.identity import phones

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
# the purposes that need an existing account: a code goes only to a registered phone (and register's only to a
# new one), while the answer is the same for every phone (service.request_sms_code)
ACCOUNT_PURPOSES = ("login", "reset_password")


def code_hmac(secret, phone, code):
    return hmac.new(secret, f"{phone}:{code}".encode(), hashlib.sha256).digest()


def issue(cur, secret, vault, phone, purpose):
    """A new code for phone and purpose (the phone is kept as its keyed HMAC only: phone_vault)."""
    code = f"{secrets.randbelow(10**6):06d}"
    lookup = vault.lookup_key(phone)
    cur.execute("UPDATE sms_codes SET consumed_at = now() WHERE phone_lookup = %s AND purpose = %s "
                "AND consumed_at IS NULL", (lookup, purpose))
    cur.execute(
        "INSERT INTO sms_codes (phone_lookup, purpose, code_hmac, expires_at) VALUES (%s, %s, %s, now() + %s)",
        (lookup, purpose, code_hmac(secret, phone, code), CODE_TTL),
    )
    return code


def check(cur, secret, vault, phone, purpose, code):
    """Consume the live code if it matches. A wrong code counts an attempt and raises.

    The caller commits even when this raises (see service.register), so wrong tries add up.
    """
    cur.execute(
        "SELECT id, code_hmac, expires_at < now(), attempts FROM sms_codes "
        "WHERE phone_lookup = %s AND purpose = %s AND consumed_at IS NULL ORDER BY id DESC LIMIT 1 FOR UPDATE",
        (vault.lookup_key(phone), purpose),
    )
    row = cur.fetchone()
    if row is None:
        raise code_missing()
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


def code_missing():
    return InvalidInput("sms_code_missing", {"code": "sms_code_missing"})


def wrong_code():
    return InvalidInput("sms_code_wrong", {"code": "sms_code_wrong"})


def purge(cur):
    cur.execute("DELETE FROM sms_codes WHERE created_at < now() - interval '2 days'")


class SmsError(Exception):
    """A provider's refusal, in the platform's words: `kind` says what to do about it, `provider_code` and
    `request_id` are the provider's own (for its support), never the phone or the code."""

    kind = "unavailable"

    def __init__(self, provider_code, message="", request_id=""):
        super().__init__(f"{self.kind}: {provider_code} {message} (request {request_id or '-'})")
        self.provider_code, self.request_id = provider_code, request_id


class SmsUnavailable(SmsError):
    """The provider could not be reached or failed on its side: try again later (counts for the breaker)."""

    kind = "unavailable"


class SmsMisconfigured(SmsError):
    """Credentials, signature, template or balance: only ops can fix it (counts for the breaker)."""

    kind = "misconfigured"


class SmsRecipientRefused(SmsError):
    """This phone cannot get this text now (invalid, blacklisted/unsubscribed, the provider's per-phone limits):
    the provider is fine, so it does not count for the breaker."""

    kind = "recipient_refused"


def sms_unavailable(retry_after=60):
    return Unavailable("sms_unavailable", details={"retry_after": retry_after})


class ConsoleSender:
    """Development sender: logs that a code was issued, with the phone masked and never the code itself (read it
    from the answer's debug_code with SMS_DEBUG_ECHO=1). Refused in production (dependencies.IdentitySettings)."""

    def send(self, phone, code, purpose):
        log.info("SMS code for %s (%s) issued; the console sender sends nothing", phones.masked(phone), purpose)


# senders that deliver nothing to a phone: the platform refuses to start with them in production
DEVELOPMENT_SENDERS = ("console", "file")


def _tencent(settings):
    from services.identity.sms_tencent import TencentSender  # the SDK is loaded only when it is configured

    return TencentSender.from_settings(settings)


SENDERS = {"console": lambda settings: ConsoleSender(), "tencent": _tencent}


def check_sender_allowed(name, environment):
    if environment == "production" and name in DEVELOPMENT_SENDERS:
        raise ValueError(f"SMS sender {name!r} sends no text message (and the file sender keeps full phones): "
                         "production needs SMS_SENDER=tencent and its TENCENT_SMS_* settings (docs/operations.md)")


def sender_from_config(name, settings=None):
    try:
        make = SENDERS[name]
    except KeyError:
        raise ValueError(f"unknown SMS sender {name!r}; known: {', '.join(SENDERS)}") from None
    return make(settings or {})
