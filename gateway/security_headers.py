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
from kepu_common.errors import Forbidden
from kepu_common.networks import is_internal, parse_networks

PERSONAL_PREFIXES = ("/api/v1/auth/", "/api/v1/me", "/api/v1/my/")
SYSTEM_PREFIX = "/api/v1/system/"
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"


def carries_personal_data():
    return bool(request.headers.get("Authorization") or request.headers.get("Cookie")
                or request.path.startswith(PERSONAL_PREFIXES))


def init_app(app):
    networks = parse_networks(app.config.get("INTERNAL_NETWORKS", "127.0.0.0/8,::1/128"))

    @app.before_request
    def system_endpoints_are_internal():
        if not request.path.startswith(SYSTEM_PREFIX) or is_internal(request.remote_addr, networks):
            return
        claims = current_claims(required=False)  # a bad or expired token is answered 401 as anywhere else
        if not claims or "platform_admin" not in claims.get("roles", []):
            raise Forbidden("edge_internal_only", details={"required_roles": ["platform_admin"]})

    @app.after_request
    def add_security_headers(response):
        response.headers["X-Content-Type-Options"] = "nosniff"
        if carries_personal_data():
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        # the type without its parameters, as response.mimetype gives it, without parsing them
        if (response.content_type or "").partition(";")[0].strip().lower() == "application/json":
            response.headers.setdefault("Content-Security-Policy", JSON_CSP)
        return response
