"""The share return's accepted case answered before Flask: the platform's highest-volume request.

Flask's request context, URL map, before/after hooks and flask-smorest's wrappers were about two fifths of
the gateway's CPU for a return (docs/benchmarks.md, "Metrics"). This WSGI layer answers only the case it
can prove completely, and with exactly the answer the view gives (gateway/tests/test_share_fast_path.py
compares the two):

- `POST /api/v1/shares/<share_id>/return`, no query string, no body, a share id of the signed form;
- a bearer token the gateway verified in the last minute (gateway.auth's cache), not expired, with the
  communicator role (the view requires it too: anyone else gets Flask's 403);
- a share id that is the caller's and still open (services.metrics.contracts.verify_share_id);
- the broker confirmed the event.

Everything else goes to Flask untouched, which answers it as before: an unknown or expired token, a
forged or late share, a body, a query string, any other path. When the broker refuses or does not confirm,
the request goes to Flask marked with the failure (environ key PUBLISH_FAILED), and the view answers 503
without publishing a second time.

The return itself is gateway/share_return.py's, the same function the view calls; request id, security
headers, hostile input and trusted proxies are gateway.edge.Edge's, in front of this layer and of Flask.
"""
import json
import re
import time
import uuid
from datetime import datetime, timezone

from gateway import requests_log, share_return
from gateway.auth import cached_claims
from kepu_common.interfaces.errors import KepuError

PREFIX, SUFFIX = "/api/v1/shares/", "/return"
ROUTE = "/api/v1/shares/<share_id>/return"  # the url_rule Flask's metrics label would give
PUBLISH_FAILED = "kepu.share_publish_failed"
COMMUNICATOR = "communicator"  # the role the view requires (gateway/blueprints/shares.py)
REFUSED_AT_EDGE = "kepu.refused"  # gateway.edge.Edge refused it: Flask answers
# <32 hex>.<seconds>.<22 url-safe base64>: contracts.make_share_id's form; anything else is for Flask to refuse
_SIGNED_ID = re.compile(r"[0-9a-f]{32}\.[0-9]{1,12}\.[A-Za-z0-9_-]{22}")


class ShareReturnFastPath:
    def __init__(self, app, wrapped, share_key, publisher):
        self.app = app
        self.wrapped = wrapped
        self.share_key = share_key  # callables: the key and the publisher are made on first use
        self.publisher = publisher

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        share_id = self._share_id(environ)
        if share_id is not None:
            user_id = self._caller(environ)
            if user_id is not None:
                share_uuid = self._verified(share_id, user_id)
                if share_uuid is not None:
                    return self._publish(environ, start_response, share_id, share_uuid, user_id, started)
        return self.wrapped(environ, start_response)

    @staticmethod
    def _share_id(environ):
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("QUERY_STRING") or environ.get(REFUSED_AT_EDGE):
            return None
        if environ.get("CONTENT_LENGTH", "") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ:
            return None
        path = environ.get("PATH_INFO", "")
        if not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
            return None
        share_id = path[len(PREFIX):-len(SUFFIX)]
        return share_id if _SIGNED_ID.fullmatch(share_id) else None

    def _caller(self, environ):
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        claims = cached_claims(self.app, token.strip())
        if claims is None:
            return None  # Flask verifies it (and caches it for the next one) or refuses it
        if COMMUNICATOR not in (claims.get("roles") or ()):
            return None  # Flask refuses it: 403 role_required
        user_id = claims.get("sub")
        try:
            uuid.UUID(user_id)
        except (TypeError, ValueError, AttributeError):
            return None
        return user_id

    def _verified(self, share_id, user_id):
        try:
            return share_return.verify(self.share_key(), share_id, user_id, datetime.now(timezone.utc))
        except KepuError:  # not the caller's, or late: Flask answers it
            return None

    def _publish(self, environ, start_response, share_id, share_uuid, user_id, started):
        try:
            answer = share_return.accept(self.share_key(), self.publisher(), share_id, user_id,
                                         datetime.now(timezone.utc), share_uuid=share_uuid)
        except KepuError as refused:  # no confirm in time, the broker away, a nack: Flask answers 503
            environ[PUBLISH_FAILED] = refused.__cause__ or refused
            return self.wrapped(environ, start_response)
        body = json.dumps(answer).encode()
        # the view's own headers; gateway.edge.Edge adds the request id and the security headers to both
        start_response("202 ACCEPTED", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        elapsed = time.perf_counter() - started
        requests_log.record(ROUTE, "POST", 202, elapsed)
        if self.app.config.get("ACCESS_LOG"):
            duration_ms = round(elapsed * 1000, 1)
            requests_log.access_log.info("%s %s %s %.1fms", "POST", environ.get("PATH_INFO"), 202, duration_ms,
                                         extra={"method": "POST", "path": environ.get("PATH_INFO"), "status": 202,
                                                "duration_ms": duration_ms})
        return [body]
