"""Access tokens: JWTs signed by the identity service, verified here with its public key(s)."""
import time
from functools import wraps

import jwt
from flask import current_app, g, request

from gateway.errors import InvalidToken, TokenExpired
from kepu_common.interfaces.errors import Forbidden, Unauthorized, Unavailable


# verified tokens, for a minute at most: a client sends the same token with many requests, and verifying
# its signature and claims each time was a fifth of the share-return hot path's CPU. Expiry is checked on
# every hit; a key removed from JWT_PUBLIC_KEYS stops its tokens within VERIFIED_SECONDS.
VERIFIED_SECONDS = 60
_VERIFIED_MAX = 10_000


def cached_claims(app, token):
    """The claims of a token this app verified within VERIFIED_SECONDS and not yet expired, else None (the
    share return's fast path asks this too: gateway/share_fast_path.py)."""
    hit = app.extensions.get("verified_tokens", {}).get(token)
    if hit is not None and time.time() < hit[1]:
        return hit[0]
    return None


def _decode(token):
    # per app (each has its keys); token -> (claims, until): dict reads and writes are atomic between threads
    verified = current_app.extensions.setdefault("verified_tokens", {})
    hit = cached_claims(current_app, token)
    if hit is not None:
        return dict(hit)
    now = time.time()
    claims = _verify(token)
    if len(verified) >= _VERIFIED_MAX:
        verified.clear()
    verified[token] = (claims, min(claims["exp"], now + VERIFIED_SECONDS))
    return dict(claims)


def _verify(token):
    settings = current_app.config
    keys = settings["JWT_PUBLIC_KEYS"]
    if not keys:
        raise Unavailable("token_keys_missing", details={"dependency": "identity.keys"})
    last_error = None
    for key in keys:  # more than one during a key rotation
        try:
            claims = jwt.decode(
                token, key, algorithms=[settings["JWT_ALGORITHM"]],
                audience=settings["JWT_AUDIENCE"], issuer=settings["JWT_ISSUER"],
                options={"require": ["exp", "sub", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpired("token_expired") from None
        except jwt.InvalidTokenError as exc:
            last_error = exc
            continue
        if claims.get("typ") != "access":
            raise InvalidToken("not_an_access_token")
        return claims
    raise InvalidToken("invalid_token") from last_error


def current_claims(required=True):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not token or scheme.lower() != "bearer":
        if required:
            raise Unauthorized("sign_in_first")
        return None
    claims = _decode(token.strip())
    g.user_id = claims["sub"]
    return claims


def require_auth(*roles):
    """The caller must present a valid access token, and hold one of roles when any are named."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            claims = current_claims()
            if roles and not set(roles) & set(claims.get("roles", [])):
                raise Forbidden("role_required", details={"required_roles": list(roles)})
            g.claims = claims
            return view(*args, **kwargs)

        return wrapper

    return decorate
