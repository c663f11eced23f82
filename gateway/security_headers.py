"""Response headers every gateway answer carries, and who may see /api/v1/system/*.

- `X-Content-Type-Options: nosniff` on every response: a browser never guesses a type from the bytes.
- `Cache-Control: no-store` on every response that may carry personal data or credentials: any request
  with an Authorization or Cookie header, the sign-in/token endpoints (tokens, RFC 6749 5.1), and the
  caller's own areas (/me, /my). Anonymous public reads keep whatever the view set.
- JSON answers get `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`: if a browser
  ever renders one as a page, it runs nothing and cannot be framed. (The Swagger UI page is HTML and
  keeps its own policy-free answer.)
- /api/v1/system/* (service health, the event-bus ping) names the platform's parts: it answers only a
  request from GATEWAY_INTERNAL_NETWORKS (loopback by default: a port-forward, the pod or container
  itself) or one that carries a platform administrator's access token. Behind the proxy the client
  address is the one ProxyFix takes from X-Forwarded-For (GATEWAY_TRUSTED_PROXIES), so the proxy's own
  address never counts as internal. Anyone else gets 403 `forbidden`.
"""
from flask import request

from gateway.auth import current_claims
from kepu_common.interfaces.errors import Forbidden
from kepu_common.operations.networks import is_internal, parse_networks

PERSONAL_PREFIXES = ("/api/v1/auth/", "/api/v1/me", "/api/v1/my/")
SYSTEM_PREFIX = "/api/v1/system/"
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"


def carries_personal_data(environ):
    return bool(environ.get("HTTP_AUTHORIZATION") or environ.get("HTTP_COOKIE")
                or environ.get("PATH_INFO", "").startswith(PERSONAL_PREFIXES))


def secure_headers(environ, headers):
    """The answer's headers (a WSGI list of pairs) with the headers above; gateway.edge.Edge applies it to
    every answer."""
    personal = carries_personal_data(environ)
    dropped = {"x-content-type-options"} | ({"cache-control", "expires"} if personal else set())
    secured = [(name, value) for name, value in headers if name.lower() not in dropped]
    secured.append(("X-Content-Type-Options", "nosniff"))
    if personal:
        secured.append(("Cache-Control", "no-store"))
    # the type without its parameters, as a response's mimetype gives it, without parsing them
    content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
    if (content_type.partition(";")[0].strip().lower() == "application/json"
            and not any(name.lower() == "content-security-policy" for name, _ in headers)):
        secured.append(("Content-Security-Policy", JSON_CSP))
    return secured


def init_app(app):
    networks = parse_networks(app.config.get("INTERNAL_NETWORKS", "127.0.0.0/8,::1/128"))

    @app.before_request
    def system_endpoints_are_internal():
        if not request.path.startswith(SYSTEM_PREFIX) or is_internal(request.remote_addr, networks):
            return
        claims = current_claims(required=False)  # a bad or expired token is answered 401 as anywhere else
        if not claims or "platform_admin" not in claims.get("roles", []):
            raise Forbidden("edge_internal_only", details={"required_roles": ["platform_admin"]})
