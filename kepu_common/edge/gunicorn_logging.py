"""gunicorn's own lines (start, workers booting and exiting, errors, and its access log) in the platform's
format: one JSON object per line with LOG_FORMAT=json (kepu_common.operations.log_context.JsonFormatter), an access
line carrying method, path, status, duration_ms and bytes as fields of their own. With LOG_FORMAT=text
gunicorn's usual formats stay.

Used as gunicorn's logger class (`logger_class` in gateway/gunicorn.conf.py and
services/review/gunicorn.conf.py). It also puts the platform's handler on the root logger of the master, which the workers inherit, so the
application's library lines (kepu_common, werkzeug, py.warnings) are JSON lines from the first one on; the
gateway replaces it with its own (request ids) when its app is made.
"""
import os

from gunicorn import glogging

from kepu_common.operations.log_context import JsonFormatter, install_root_handler, wants_json


def service_of(cfg):
    """The `service` field: KEPU_LOG_SERVICE, else named after the application gunicorn serves."""
    named = os.environ.get("KEPU_LOG_SERVICE")
    if named:
        return named
    app = f"{getattr(cfg, 'wsgi_app', None) or ''} {getattr(cfg, 'default_proc_name', '') or ''}"
    if "review" in app:
        return "review-ui"
    if "gateway" in app:
        return "gateway"
    return "gunicorn"


class Logger(glogging.Logger):
    def setup(self, cfg):
        super().setup(cfg)
        self.json = wants_json()
        if not self.json:
            return
        formatter = JsonFormatter(service_of(cfg))
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)
        install_root_handler(service_of(cfg), os.environ.get("LOG_LEVEL", "INFO"))

    def access(self, resp, req, environ, request_time):
        if not getattr(self, "json", False):
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        fields = {"method": environ.get("REQUEST_METHOD"), "path": environ.get("PATH_INFO"),
                  "status": int(status) if str(status).isdigit() else status,
                  "duration_ms": round(request_time.total_seconds() * 1000, 1),
                  "bytes": getattr(resp, "sent", None)}
        request_id = next((value for name, value in getattr(resp, "headers", None) or ()
                           if name.lower() == "x-request-id"), None)
        if request_id:
            fields["request_id"] = request_id  # the gateway's (gateway.edge.Edge echoes it on every answer)
        try:
            self.access_log.info("%s %s %s", fields["method"], fields["path"], fields["status"], extra=fields)
        except Exception:  # as gunicorn's own: a broken line never breaks the answer
            self.exception("access log line failed")
