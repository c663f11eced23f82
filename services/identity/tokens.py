"""Access tokens (short-lived EdDSA JWTs the gateway verifies) and refresh tokens (opaque, revocable).

Refresh tokens rotate: each works once and its successor joins the same family (one per sign-in).
A token presented again after it was used or revoked means two parties hold it: the whole family is
revoked (OAuth 2.0 Security BCP, RFC 9700 §4.14.2), and the caller signs in again.
"""
import hashlib
import secrets
import time
import uuid
from datetime import timedelta

import jwt

from kepu_common.interfaces.errors import Unauthorized


class TokenIssuer:
    def __init__(self, private_key_pem, issuer, audience, access_ttl, refresh_ttl):
        self.private_key = private_key_pem
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = int(access_ttl)
        self.refresh_ttl = int(refresh_ttl)

    def access_token(self, user_id, roles):
        now = int(time.time())
        claims = {"sub": str(user_id), "roles": sorted(roles), "typ": "access", "iat": now,
                  "exp": now + self.access_ttl, "iss": self.issuer, "aud": self.audience, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self.private_key, algorithm="EdDSA")

    def issue(self, cur, user_id, roles, family_id=None):
        """Tokens for a sign-in (a new family) or a refresh (family_id: the family of the token it replaces)."""
        refresh = secrets.token_urlsafe(32)
        cur.execute(
            "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at) VALUES (%s, %s, %s, now() + %s)",
            (_digest(refresh), user_id, family_id or uuid.uuid4(), timedelta(seconds=self.refresh_ttl)),
        )
        return {"access_token": self.access_token(user_id, roles), "token_type": "Bearer",
                "expires_in": self.access_ttl, "refresh_token": refresh, "refresh_expires_in": self.refresh_ttl}


def _digest(token):
    return hashlib.sha256(str(token).encode()).digest()


LIVE, REUSED, UNKNOWN = "live", "reused", "unknown"


def verdict(found):
    """What a presented refresh token is: live (rotate it), reused (revoke its family) or unknown/expired.

    found: {"revoked": bool, "expired": bool} as the database clock saw it, or None."""
    if found is None or found["expired"]:
        return UNKNOWN
    return REUSED if found["revoked"] else LIVE


def invalid():
    return Unauthorized("refresh_token_invalid", {"refresh_token": "refresh_token_invalid"})


def find(cur, token):
    """The presented token's row, locked: {user_id, family_id, revoked, expired}, or None."""
    cur.execute("SELECT user_id, family_id, revoked_at IS NOT NULL, expires_at <= now() FROM refresh_tokens "
                "WHERE token_hash = %s FOR UPDATE", (_digest(token),))
    row = cur.fetchone()
    return dict(zip(("user_id", "family_id", "revoked", "expired"), row)) if row else None


def mark_used(cur, token):
    cur.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = %s", (_digest(token),))


def revoke_family(cur, family_id):
    cur.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = %s AND revoked_at IS NULL",
                (family_id,))
    return cur.rowcount


def revoke(cur, token):
    cur.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = %s AND revoked_at IS NULL",
                (_digest(token),))
    return cur.rowcount == 1


def revoke_all(cur, user_id):
    cur.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL", (user_id,))


def purge(cur):
    cur.execute("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '30 days'")
