"""Uploads: a file an organization sends, presigned multipart straight to storage or streamed through
the gateway, checked on completion (size, sha256, the real type from the bytes, the size limit) before
anything can use it.

pending ──complete, checks pass──▶ complete ──(a resource uses it)
   │  └──checks fail──▶ rejected (the object is removed; the row says why)
   └──not finished in time──▶ expired (parts and objects removed)
"""
import hashlib
import math
import tempfile
import uuid
from datetime import datetime, timezone

from kepu_common import filetypes
from kepu_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.resources import formats, thumbnails

MB = formats.MB
MAX_PARTS = 10_000  # S3's limit
READ_CHUNK = MB
BUCKET = "resources"  # purpose name of the bucket files and thumbnails live in

_COLUMNS = ("id", "org_id", "uploader_id", "purpose", "filename", "declared_type", "size", "sha256", "method",
            "object_key", "multipart_id", "part_size", "status", "content_type", "thumbnail_key", "error",
            "created_at", "expires_at", "completed_at")


class Incomplete(InvalidInput):
    """Completion asked for too early: nothing is lost, the client sends what is missing and asks again."""


def part_plan(size, min_part_size):
    """(part size, number of parts): at least min_part_size, whole MBs, never more than S3's 10,000 parts."""
    part = max(min_part_size, math.ceil(size / MAX_PARTS))
    part = math.ceil(part / MB) * MB
    return part, max(1, math.ceil(size / part))


def prefix(org_id, upload_id):
    return f"files/{org_id}/{upload_id}/"


def thumbnail_key(upload_id):
    return f"thumbnails/{upload_id}.jpg"


def check_new(settings, data):
    formats.check_size(data["purpose"], data["size"], settings.size_limits)
    formats.check_declared(data["purpose"], data["content_type"])


def multipart_key(org_id, upload_id):
    return prefix(org_id, upload_id) + "multipart"


def stream_key(org_id, upload_id):
    """Each streamed attempt writes its own object, so two racing PUTs cannot swap a checked file."""
    return prefix(org_id, upload_id) + uuid.uuid4().hex


def record(cur, settings, upload_id, org_id, user_id, data, object_key, multipart_id):
    part_size, _ = part_plan(data["size"], settings.part_size)
    cur.execute(
        "INSERT INTO uploads (id, org_id, uploader_id, purpose, filename, declared_type, size, sha256, method, "
        "object_key, multipart_id, part_size, status, expires_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', now() + %s)",
        (upload_id, org_id, user_id, data["purpose"], data["filename"], data["content_type"], data["size"],
         data["sha256"].lower(), data["method"], object_key, multipart_id, part_size, settings.upload_ttl))
    return get(cur, upload_id)


def part_urls(storage, settings, upload):
    _, count = part_plan(upload["size"], settings.part_size)
    bucket = storage.bucket(BUCKET)
    last = upload["size"] - (count - 1) * upload["part_size"]
    return [{"part_number": n, "size": upload["part_size"] if n < count else last,
             "url": storage.presigned_part(bucket, upload["object_key"], upload["multipart_id"], n,
                                           expires=settings.part_url_ttl)}
            for n in range(1, count + 1)]


def get(cur, upload_id, lock=False):
    cur.execute(f"SELECT {', '.join(_COLUMNS)} FROM uploads WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                (upload_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("No such upload.", {"upload_id": "unknown"})
    return dict(zip(_COLUMNS, row))


def require_owner(cur, upload, user_id):
    """The uploader, or another admin of the same organization, may finish or use an upload."""
    if upload["uploader_id"] == uuid.UUID(str(user_id)):
        return
    cur.execute("SELECT 1 FROM org_admins WHERE user_id = %s AND org_id = %s", (user_id, upload["org_id"]))
    if cur.fetchone() is None:
        raise Forbidden("This upload belongs to another organization.", {"upload_id": "not yours"})


def require_pending(upload, method=None):
    if upload["status"] != "pending":
        raise Conflict(f"This upload is {upload['status']}; start a new one.",
                       {"upload_id": upload["status"], "error": upload["error"]})
    if method and upload["method"] != method:
        raise Conflict(f"This upload was started as {upload['method']}; finish it that way.",
                       {"method": upload["method"]})


def assemble_parts(storage, upload):
    """Finish the storage's multipart upload once every part is there, each of the planned size."""
    bucket = storage.bucket(BUCKET)
    _, count = part_plan(upload["size"], upload["part_size"])
    received = {number: (etag, size) for number, etag, size in
                storage.uploaded_parts(bucket, upload["object_key"], upload["multipart_id"])}
    missing = [n for n in range(1, count + 1) if n not in received]
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "")
        raise Incomplete(f"{len(missing)} of {count} parts have not arrived yet.", {"parts": f"missing {shown}"})
    extra = sorted(set(received) - set(range(1, count + 1)))
    total = sum(size for _, size in received.values())
    expected_last = upload["size"] - (count - 1) * upload["part_size"]
    wrong = [n for n in range(1, count + 1)
             if received[n][1] != (upload["part_size"] if n < count else expected_last)]
    if extra or wrong or total != upload["size"]:
        raise InvalidInput(f"The parts add up to {total} bytes, not the declared {upload['size']}.",
                           {"size": f"declared {upload['size']}, received {total}"})
    storage.complete_multipart(bucket, upload["object_key"], upload["multipart_id"],
                               [(n, received[n][0]) for n in range(1, count + 1)])


def read_back(storage, upload, keep_copy):
    """Stream the stored object once: its size, sha256, first bytes, and (for images) a copy on disk."""
    digest, size, head = hashlib.sha256(), 0, b""
    copy = tempfile.NamedTemporaryFile(prefix="kepu-upload-") if keep_copy else None
    response = storage.open(storage.bucket(BUCKET), upload["object_key"])
    try:
        for chunk in response.stream(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if len(head) < filetypes.HEAD_BYTES:
                head = (head + chunk)[:filetypes.HEAD_BYTES]
            if copy:
                copy.write(chunk)
    finally:
        response.close()
        response.release_conn()
    if copy:
        copy.flush()
    return size, digest.hexdigest(), head, copy


def read_head(storage, upload):
    response = storage.open(storage.bucket(BUCKET), upload["object_key"], 0, filetypes.HEAD_BYTES)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def verify(storage, settings, upload, received=None, make_thumbnail=thumbnails.make):
    """Check the stored object against what was declared; (content type, thumbnail JPEG bytes or None).

    received: the size and sha256 the gateway measured while streaming (it saw every byte); without it
    the object is read back from storage.
    """
    keep_copy = upload["purpose"] in formats.THUMBNAILED
    copy = None
    try:
        if received and not keep_copy:
            size, sha256, head = storage.stat(storage.bucket(BUCKET), upload["object_key"]).size, \
                received["sha256"], read_head(storage, upload)
            if received["size"] != size:
                raise InvalidInput("The stored file is not the size that was sent.", {"size": "changed in storage"})
        else:
            size, sha256, head, copy = read_back(storage, upload, keep_copy)
        if size != upload["size"]:
            raise InvalidInput(f"The file has {size} bytes, not the declared {upload['size']}.",
                               {"size": f"declared {upload['size']}, received {size}"})
        formats.check_size(upload["purpose"], size, settings.size_limits)
        if sha256 != upload["sha256"]:
            raise InvalidInput("The file's SHA-256 does not match the declared checksum: it was damaged or changed.",
                               {"sha256": f"declared {upload['sha256']}, received {sha256}"})
        content_type = filetypes.sniff(head)
        formats.check_content(upload["purpose"], content_type, upload["declared_type"])
        thumbnail = make_thumbnail(copy.name, settings.thumbnail_pixels, settings.max_image_pixels) if copy else None
        return content_type, thumbnail
    finally:
        if copy:
            copy.close()


def mark_complete(cur, upload_id, object_key, content_type, thumbnail):
    cur.execute("UPDATE uploads SET status = 'complete', completed_at = now(), object_key = %s, content_type = %s, "
                "thumbnail_key = %s WHERE id = %s", (object_key, content_type, thumbnail, upload_id))


def mark_rejected(cur, upload_id, reason):
    cur.execute("UPDATE uploads SET status = 'rejected', error = %s WHERE id = %s", (reason[:500], upload_id))


def remove_objects(storage, upload):
    """Everything an upload left in storage: unfinished parts, streamed attempts, its thumbnail."""
    bucket = storage.bucket(BUCKET)
    if upload["multipart_id"] and upload["status"] == "pending":
        try:
            storage.abort_multipart(bucket, upload["object_key"], upload["multipart_id"])
        except Exception as exc:  # already completed or aborted: nothing left to abort
            if "NoSuchUpload" not in str(exc):
                raise
    storage.remove_prefix(bucket, prefix(upload["org_id"], upload["id"]))
    storage.remove(bucket, thumbnail_key(upload["id"]))


def expired(cur, limit=200):
    """Pending uploads past their time, and finished ones no resource took up: to be removed."""
    cur.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM uploads WHERE status = 'pending' AND expires_at < now() "
        f"ORDER BY expires_at LIMIT %s FOR UPDATE SKIP LOCKED", (limit,))
    return [dict(zip(_COLUMNS, row)) for row in cur.fetchall()]


def unused(cur, older_than, limit=200):
    cur.execute(
        f"SELECT {', '.join('u.' + c for c in _COLUMNS)} FROM uploads u WHERE u.status = 'complete' "
        f"AND u.completed_at < %s AND NOT EXISTS (SELECT 1 FROM resources r WHERE r.file_upload_id = u.id "
        f"OR r.thumbnail_upload_id = u.id) ORDER BY u.completed_at LIMIT %s FOR UPDATE OF u SKIP LOCKED",
        (datetime.now(timezone.utc) - older_than, limit))
    return [dict(zip(_COLUMNS, row)) for row in cur.fetchall()]


def mark_expired(cur, upload_id):
    cur.execute("UPDATE uploads SET status = 'expired', error = 'expired before use' WHERE id = %s", (upload_id,))
