"""gunicorn settings for the gateway; every value can be set from the environment.

In production nginx stands in front (deploy/nginx, docs/operations.md "The proxy in front of the
gateway"): it buffers headers and JSON bodies, so gunicorn's threads only ever see whole requests except
for the two streamed upload paths. The settings here still hold when something reaches gunicorn directly.
"""
import os

bind = os.environ.get("GATEWAY_BIND", "0.0.0.0:8000")
# gunicorn's gthread worker, with a per-read/per-write client time-out and its own errors as the JSON
# envelope (gateway/gunicorn_worker.py); GATEWAY_CLIENT_TIMEOUT seconds, 30 by default
worker_class = "gateway.gunicorn_worker.GatewayWorker"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "16"))
# gthread: how long the arbiter waits for a worker's heartbeat before killing it (not a request time-out)
timeout = int(os.environ.get("GATEWAY_TIMEOUT", "120"))
graceful_timeout = 20
# gunicorn 25.1+'s control socket (for gunicornc) has one default path per user, $HOME/.gunicorn/gunicorn.ctl:
# the gateway, the review UI and any other gunicorn on the host would share it and remove it for each other.
# Nothing here uses gunicornc (processes are run by honcho, compose or Kubernetes, and take signals): off.
control_socket_disable = True
# an idle kept-alive connection waits in the poller (no thread) at most this long
keepalive = 5
# the same limits as nginx's large_client_header_buffers (4 x 8k): nginx refuses first, gunicorn agrees
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-" if os.environ.get("GATEWAY_ACCESS_LOG") else None
# gunicorn's own lines as JSON objects under LOG_FORMAT=json, access fields apart (docs/observability.md "Logs")
logger_class = "kepu_common.edge.gunicorn_logging.Logger"
# gunicorn's default logs the request line with its query, which may hold a phone (/admin/users?phone=...)
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus'

# the start-up objects are frozen when the application is imported (gateway/wsgi.py), under granian too
