"""Request ids: taken from X-Request-ID when sane, made otherwise; echoed back and put on log lines."""
import logging
import re
import time
import uuid

from flask import g, has_request_context, request

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("gateway.access")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def init_app(app):
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s gateway %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger("gateway")
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
        root.propagate = False

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def echo_request_id(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if app.config.get("ACCESS_LOG"):
            access_log.info("%s %s %s %.1fms", request.method, request.path, response.status_code,
                            (time.perf_counter() - g.get("started", time.perf_counter())) * 1000)
        return response
