"""The rules every request to the gateway passes, as one WSGI middleware in front of everything.

It is the gateway app's own WSGI entry (GatewayFlask.__call__, what gunicorn and the test client call), in
front of app.wsgi_app and of whatever wraps it, so Flask's views and the share return's fast path
(gateway/share_fast_path.py) both pass through it, and a rule added here cannot miss the busiest endpoint:

- trusted proxies: behind GATEWAY_TRUSTED_PROXIES reverse proxies the client address is the Nth from the
  right in X-Forwarded-For (werkzeug's ProxyFix, applied before anything reads REMOTE_ADDR);
- request id: X-Request-ID when sane, made otherwise (gateway.requests_log); kept in the environ for the
  log lines and error bodies, echoed on every answer;
- hostile input in the query string and the path (gateway.hostile_input.check_query_and_path): a request
  refused here goes to Flask marked with the refusal, which answers it with the one error envelope (and
  counts and logs it) without running any view;
- security headers on every answer (gateway.security_headers.secure_headers).
"""
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway import hostile_input, requests_log, security_headers
from kepu_common.interfaces.errors import KepuError

REQUEST_ID = requests_log.EDGE_REQUEST_ID
REFUSED = hostile_input.EDGE_REFUSED


class Edge:
    def __init__(self, inner, trusted_proxies=0):
        self.inner = ProxyFix(inner, x_for=trusted_proxies, x_proto=1) if trusted_proxies else inner

    def __call__(self, environ, start_response):
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = environ[REQUEST_ID] = (incoming if requests_log.SANE_REQUEST_ID.match(incoming)
                                            else requests_log.new_request_id())
        try:
            hostile_input.check_query_and_path(environ)
        except KepuError as refusal:
            environ[REFUSED] = refusal  # the fast path leaves it to Flask, which raises it before any view

        def answer(status, headers, exc_info=None):
            headers = security_headers.secure_headers(environ, headers)
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        return self.inner(environ, answer)


def init_app(app):
    """In front of app.wsgi_app as it is at each request (gateway.hostile_input.init_app raises a refusal made
    here in Flask, where its check used to run)."""
    app.edge = Edge(lambda environ, start_response: app.wsgi_app(environ, start_response), app.config["TRUSTED_PROXIES"])
