"""Access tokens: JWTs signed by the identity service, verified here with its public key(s)."""
from functools import wraps

import jwt
from flask import current_app, g, request

from gateway.errors import ApiError


def _decode(token):
    settings = current_app.config
    keys = settings["JWT_PUBLIC_KEYS"]
    if not keys:
        raise ApiError(503, "dependency_unavailable", "Token verification is not configured on this gateway.")
    last_error = None
    for key in keys:  # more than one during a key rotation
        try:
            claims = jwt.decode(
                token, key, algorithms=[settings["JWT_ALGORITHM"]],
                audience=settings["JWT_AUDIENCE"], issuer=settings["JWT_ISSUER"],
                options={"require": ["exp", "sub", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise ApiError(401, "token_expired", "The access token has expired; refresh it.",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
        except jwt.InvalidTokenError as exc:
            last_error = exc
            continue
        if claims.get("typ") != "access":
            raise ApiError(401, "invalid_token", "This is not an access token.")
        return claims
    raise ApiError(401, "invalid_token", "The access token is not valid.",
                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from last_error


def current_claims(required=True):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not token or scheme.lower() != "bearer":
        if required:
            raise ApiError(401, "unauthorized", "Sign in first: send 'Authorization: Bearer <access token>'.",
                           headers={"WWW-Authenticate": "Bearer"})
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
                raise ApiError(403, "forbidden", "Your account does not have the role this needs.",
                               {"required_roles": list(roles)})
            g.claims = claims
            return view(*args, **kwargs)

        return wrapper

    return decorate
