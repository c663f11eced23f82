"""Abandoned multipart uploads: started in storage and never completed nor aborted, with no pending upload
referring to them (the process died between starting one and recording it; a streamed upload whose abort
failed). Each holds its parts' bytes until aborted; SeaweedFS has no lifecycle rule that removes them
(nor did MinIO: minio/docs#1216), so the resources service aborts them itself once older than the
upload lifetime. The pending uploads' own multipart uploads are expire_uploads' (service.py).
"""
import logging
from datetime import datetime, timezone

from minio.error import S3Error

log = logging.getLogger(__name__)


def stale(listed, older_than, now):
    """[(key, upload_id)] of listed multipart uploads [(key, upload_id, initiated)] started before now -
    older_than; one whose start the server does not say is left alone."""
    cutoff = now - older_than
    return [(key, upload_id) for key, upload_id, initiated in listed if initiated is not None and initiated < cutoff]


def abort_stale(cur, storage, bucket, older_than, now=None):
    """Abort the stale multipart uploads under files/ no pending upload refers to; [(key, upload_id)] aborted."""
    candidates = stale(storage.multipart_uploads(bucket, prefix="files/"), older_than,
                       now or datetime.now(timezone.utc))
    if not candidates:
        return []
    cur.execute("SELECT multipart_id FROM uploads WHERE status = 'pending' AND multipart_id = ANY(%s)",
                ([upload_id for _, upload_id in candidates],))
    live = {row[0] for row in cur.fetchall()}
    aborted = []
    for key, upload_id in candidates:
        if upload_id in live:
            continue
        try:
            storage.abort_multipart(bucket, key, upload_id)
        except S3Error as exc:  # completed or aborted meanwhile
            if exc.code != "NoSuchUpload":
                raise
        aborted.append((key, upload_id))
    return aborted
