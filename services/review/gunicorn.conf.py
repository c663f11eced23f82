"""gunicorn settings for the reviewers' web UI (services/review/web); every value can be set from the
environment. In production nginx stands in front (deploy/nginx, port 8100); these hold when something
reaches gunicorn directly (make run, or a misrouted request inside the cluster)."""
import os

bind = os.environ.get("REVIEW_UI_BIND", "0.0.0.0:8100")
# gthread with a per-read time-out, a whole-header deadline and zh-CN error pages (services/review/gunicorn_worker.py)
worker_class = "services.review.gunicorn_worker.ReviewUIWorker"
workers = int(os.environ.get("REVIEW_UI_WORKERS", "1"))
threads = int(os.environ.get("REVIEW_UI_THREADS", "8"))
timeout = int(os.environ.get("REVIEW_UI_TIMEOUT", "60"))
graceful_timeout = 20
# gunicorn 25.1+'s control socket (for gunicornc) has one default path per user, $HOME/.gunicorn/gunicorn.ctl:
# the gateway, the review UI and any other gunicorn on the host would share it and remove it for each other.
# Nothing here uses gunicornc (processes are run by honcho, compose or Kubernetes, and take signals): off.
control_socket_disable = True
keepalive = 5
# the same limits as nginx's large_client_header_buffers (4 x 8k)
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# gunicorn's own lines (errors, access) as JSON under LOG_FORMAT=json, with access fields as fields
logger_class = "kepu_common.edge.gunicorn_logging.Logger"
