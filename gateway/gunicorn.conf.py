"""gunicorn settings for the gateway; every value can be set from the environment."""
import os

bind = os.environ.get("GATEWAY_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "16"))
timeout = int(os.environ.get("GATEWAY_TIMEOUT", "120"))  # long enough for a streamed upload's slow client
graceful_timeout = 20
keepalive = 5
accesslog = "-" if os.environ.get("GATEWAY_ACCESS_LOG") else None
