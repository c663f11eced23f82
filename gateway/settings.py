"""Gateway settings, all from the environment (docker-compose and Kubernetes set them)."""
import os
from pathlib import Path

SERVICES = ("identity", "resources", "activities", "review", "metrics")


def _read_keys(value, files):
    keys = [value] if value else []
    for path in filter(None, (files or "").split(",")):
        keys.append(Path(path.strip()).read_text())
    return keys


def from_env(environ=None):
    env = os.environ if environ is None else environ
    return {
        "AMQP_URI": env.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672//"),
        "RPC_TIMEOUT": float(env.get("GATEWAY_RPC_TIMEOUT", "10")),
        "TRUSTED_PROXIES": int(env.get("GATEWAY_TRUSTED_PROXIES", "0")),
        # who may call /api/v1/system/* without a platform administrator's token (gateway/security_headers.py)
        "INTERNAL_NETWORKS": env.get("GATEWAY_INTERNAL_NETWORKS", "127.0.0.0/8,::1/128"),
        "READY_TIMEOUT": float(env.get("GATEWAY_READY_TIMEOUT", "3")),
        "READY_SERVICES": tuple(s for s in env.get("GATEWAY_READY_SERVICES", ",".join(SERVICES)).split(",") if s),
        # JSON bodies only; file uploads stream through their own endpoints with their own limit
        "MAX_CONTENT_LENGTH": int(env.get("GATEWAY_MAX_JSON_BYTES", str(1024 * 1024))),
        # a streamed upload holds four parts of this size: one filling, three uploading (S3 needs at least 5 MB)
        "UPLOAD_STREAM_PART_SIZE": int(env.get("GATEWAY_UPLOAD_PART_MB", "8")) * 1024 * 1024,
        # each streamed upload holds four parts; more at once per worker process are answered 503
        "UPLOAD_STREAMS_PER_WORKER": int(env.get("GATEWAY_UPLOAD_STREAMS", "4")),
        # of those, at most this many for one organization and for one person (beyond them: 429, the others'
        # slots stay free), and files larger than the stream limit go by presigned multipart (gateway/blueprints/uploads.py)
        "UPLOAD_STREAMS_PER_ORG": int(env.get("GATEWAY_UPLOAD_STREAMS_PER_ORG", "2")),
        "UPLOAD_STREAMS_PER_PERSON": int(env.get("GATEWAY_UPLOAD_STREAMS_PER_PERSON", "1")),
        "UPLOAD_STREAM_MAX_BYTES": int(env.get("GATEWAY_UPLOAD_STREAM_MAX_MB", "100")) * 1024 * 1024,
        # a streamed body must bring at least this many bytes in every window, or it is cut off (408) and its
        # slot freed: a client trickling a byte every few seconds holds nothing for long
        "UPLOAD_MIN_BYTES_PER_WINDOW": int(env.get("GATEWAY_UPLOAD_MIN_KB", "128")) * 1024,
        "UPLOAD_RATE_WINDOW": float(env.get("GATEWAY_UPLOAD_RATE_WINDOW", "15")),
        # signs share ids with the metrics service (its METRICS.share_key_file): a return needs no RPC
        "SHARE_KEY_FILE": env.get("SHARE_KEY_FILE", "var/keys/share-secret.key"),
        "SHARE_CONFIRM_TIMEOUT": float(env.get("GATEWAY_SHARE_CONFIRM_TIMEOUT", "5")),
        # an accepted share return answered before Flask (gateway/share_fast_path.py); "false" for comparisons
        "SHARE_FAST_PATH": env.get("GATEWAY_SHARE_FAST_PATH", "true").lower() != "false",
        # GATEWAY_ACCESS_LOG: one access line per request. gunicorn writes its own (kepu_common/edge/
        # gunicorn_logging.py); under granian (kepu_common/edge/granian_server.py) the application writes it
        "ACCESS_LOG": bool(env.get("GATEWAY_ACCESS_LOG")) and not env.get("SERVER_SOFTWARE", "").startswith("gunicorn"),
        "EVENT_QUEUE_TYPE": env.get("EVENT_QUEUE_TYPE", "classic"),
        "JWT_PUBLIC_KEYS": _read_keys(env.get("JWT_PUBLIC_KEY"), env.get("JWT_PUBLIC_KEY_FILE")),
        "JWT_ALGORITHM": env.get("JWT_ALGORITHM", "EdDSA"),
        "JWT_ISSUER": env.get("JWT_ISSUER", "kepu-identity"),
        "JWT_AUDIENCE": env.get("JWT_AUDIENCE", "kepu"),
        "STORAGE": {
            "endpoint": env.get("S3_ENDPOINT", "http://127.0.0.1:9000"),
            "public_endpoint": env.get("S3_PUBLIC_ENDPOINT") or None,
            "access_key": env.get("S3_ACCESS_KEY", "kepu-local"),
            "secret_key": env.get("S3_SECRET_KEY", "kepu-local-secret"),
            "region": env.get("S3_REGION", "us-east-1"),
            "buckets": {
                "uploads": env.get("S3_BUCKET_UPLOADS", "kepu-uploads"),
                "resources": env.get("S3_BUCKET_RESOURCES", "kepu-resources"),
                "licences": env.get("S3_BUCKET_LICENCES", "kepu-licences"),
            },
        },
    }
