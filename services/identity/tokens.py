"""Access tokens (short-lived EdDSA JWTs the gateway verifies) and refresh tokens (opaque, revocable)."""
import hashlib
import secrets
import time
import uuid
from datetime import timedelta

import jwt

from kepu_common.errors import Unauthorized


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

    def issue(self, cur, user_id, roles):
        refresh = secrets.token_urlsafe(32)
        cur.execute(
            "INSERT INTO refresh_tokens (token_hash, user_id, expires_at) VALUES (%s, %s, now() + %s)",
            (_digest(refresh), user_id, timedelta(seconds=self.refresh_ttl)),
        )
        return {"access_token": self.access_token(user_id, roles), "token_type": "Bearer",
                "expires_in": self.access_ttl, "refresh_token": refresh, "refresh_expires_in": self.refresh_ttl}


def _digest(token):
    return hashlib.sha256(str(token).encode()).digest()


def take_refresh(cur, token):
    """Revoke a live refresh token and return its user id (rotation: each refresh token works once)."""
    cur.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = %s AND revoked_at IS NULL "
        "AND expires_at > now() RETURNING user_id",
        (_digest(token),),
    )
    row = cur.fetchone()
    if row is None:
        raise Unauthorized("The refresh token is not valid: sign in again.", {"refresh_token": "unknown, used, expired or revoked"})
    return row[0]


def revoke(cur, token):
    cur.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = %s AND revoked_at IS NULL",
                (_digest(token),))
    return cur.rowcount == 1


def revoke_all(cur, user_id):
    cur.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL", (user_id,))
