"""The HTTP edge of the gateway and the review UI: gunicorn's worker with per-read time-outs and deadlines for slow clients, and gunicorn's own log lines in the platform's format."""
