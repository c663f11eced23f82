"""Uploads: a file an organization sends, presigned multipart straight to storage or streamed through
the gateway, checked on completion (size, sha256, the real type from the bytes, the size limit) before
anything can use it.

pending ──complete, checks pass──▶ complete ──(a resource uses it, or another service attaches it: used_at)
   │  └──checks fail──▶ rejected (the object is removed; the row says why)
   └──not finished in time──▶ expired (parts and objects removed)
"""
import hashlib
import math
import tempfile
import uuid
from datetime import datetime, timedelta, timezone

from kepu_common.domain import filetypes
from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, NotFound
from kepu_common.data.storage import translated
from services.resources import documents, formats, thumbnails, upload_rules
from services.resources.upload_rules import Incomplete  # noqa: F401 (raised from here too)

MB = formats.MB
MAX_PARTS = 10_000  # S3's limit
READ_CHUNK = MB
BUCKET = "resources"  # purpose name of the bucket files and thumbnails live in

_COLUMNS = ("id", "org_id", "uploader_id", "purpose", "filename", "declared_type", "size", "sha256", "method",
            "object_key", "multipart_id", "part_size", "status", "content_type", "thumbnail_key", "error",
            "created_at", "expires_at", "completed_at", "width", "height", "duration_seconds", "used_at")


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
        raise NotFound("upload_not_found", {"upload_id": "upload_unknown"})
    return dict(zip(_COLUMNS, row))


def require_owner(cur, upload, user_id):
    """The uploader, or another admin of the same organization, may finish or use an upload."""
    if upload["uploader_id"] == uuid.UUID(str(user_id)):
        return
    cur.execute("SELECT 1 FROM org_admins WHERE user_id = %s AND org_id = %s", (user_id, upload["org_id"]))
    if cur.fetchone() is None:
        raise Forbidden("upload_not_yours", {"upload_id": "upload_of_another_org"})


def require_pending(upload, method=None):
    if upload["status"] != "pending":
        raise Conflict("upload_not_pending", {"upload_id": f"upload_{upload['status']}"},
                       details={"status": upload["status"], "reason": upload["error"]})
    if method and upload["method"] != method:
        raise Conflict("upload_other_method", {"method": f"upload_method_{upload['method']}"},
                       details={"method": upload["method"]})


def assemble_parts(storage, upload):
    """Finish the storage's multipart upload once every part is there, each of the planned size."""
    bucket = storage.bucket(BUCKET)
    _, count = part_plan(upload["size"], upload["part_size"])
    received = {number: (etag, size) for number, etag, size in
                storage.uploaded_parts(bucket, upload["object_key"], upload["multipart_id"])}
    parts = upload_rules.check_parts(upload["size"], upload["part_size"], count, received)
    storage.complete_multipart(bucket, upload["object_key"], upload["multipart_id"], parts)


def read_back(storage, upload, keep_copy):
    """Stream the stored object once: its size, sha256, first bytes, and (for images) a copy on disk."""
    digest, size, head = hashlib.sha256(), 0, b""
    copy = tempfile.NamedTemporaryFile(prefix="kepu-upload-") if keep_copy else None
    response = storage.open(storage.bucket(BUCKET), upload["object_key"])
    try:
        with translated(storage.bucket(BUCKET)):  # storage gone mid-read: Unavailable, the upload stays pending
            chunks = response.stream(READ_CHUNK)
            for chunk in chunks:
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


def probe_url(storage, upload, expires=timedelta(minutes=10)):
    """A short-lived URL of the stored object, signed for the storage endpoint the service itself uses (not
    the public one clients get): the decoding worker reads ranges of it, as much as the demuxer needs."""
    return storage.client.presigned_get_object(storage.bucket(BUCKET), upload["object_key"], expires=expires)


def _no_probe(path, kind):
    raise RuntimeError("this purpose is probed, but no probe was given")


def _documents_accepted(purpose):
    return any(content_type in formats.DOCUMENTS for content_type in formats.allowed(purpose))


def verify(storage, settings, upload, received=None, make_thumbnail=thumbnails.make, probe=_no_probe,
           inspect=documents.inspect):
    """Check the stored object against what was declared; what was learnt from it:
    {content_type, thumbnail (JPEG bytes or None), width, height, duration_seconds}.

    received: the size and sha256 the gateway measured while streaming (it saw every byte); without it
    the object is read back from storage. From a copy on disk: images are decoded (a thumbnail, their
    size), documents checked as what they claim (a wall chart PDF's first page is its thumbnail); videos
    and audio are probed (their duration, a poster frame) from storage itself, through probe_url.
    """
    purpose = upload["purpose"]
    # a video or audio file is probed where it is stored (FFmpeg reads ranges of it over HTTP): a 4 GB video
    # is not copied to the service's disk
    keep_copy = purpose in formats.THUMBNAILED or _documents_accepted(purpose) \
        or any(content_type in formats.DECODED_IMAGES for content_type in formats.allowed(purpose))
    copy = None
    try:
        if received and not keep_copy:
            size, sha256, head = storage.stat(storage.bucket(BUCKET), upload["object_key"]).size, \
                received["sha256"], read_head(storage, upload)
            if received["size"] != size:
                raise InvalidInput("file_changed_in_storage", {"size": "file_changed_in_storage"})
        else:
            size, sha256, head, copy = read_back(storage, upload, keep_copy)
        content_type = upload_rules.check_file(
            purpose, {"size": upload["size"], "sha256": upload["sha256"], "content_type": upload["declared_type"]},
            {"size": size, "sha256": sha256, "sniffed": filetypes.sniff(head)}, settings.size_limits)
        facts = {"content_type": content_type, "thumbnail": None, "width": None, "height": None,
                 "duration_seconds": None}
        if content_type in formats.DOCUMENTS:
            box = settings.thumbnail_pixels if purpose in formats.THUMBNAILED else None
            facts.update(inspect(copy.name, content_type, box))
        elif purpose in formats.THUMBNAILED:
            facts["thumbnail"], facts["width"], facts["height"] = make_thumbnail(
                copy.name, settings.thumbnail_pixels, settings.max_image_pixels)
        elif content_type in formats.DECODED_IMAGES:  # an article's picture: decoded too (damage, polyglots)
            make_thumbnail(copy.name, settings.thumbnail_pixels, settings.max_image_pixels)
        if purpose in formats.PROBED:
            source = copy.name if copy else probe_url(storage, upload)
            facts.update(probe(source, "audio" if purpose in formats.AUDIO else "video"))
        return facts
    finally:
        if copy:
            copy.close()


def mark_complete(cur, upload_id, object_key, facts, thumbnail):
    cur.execute("UPDATE uploads SET status = 'complete', completed_at = now(), object_key = %s, content_type = %s, "
                "thumbnail_key = %s, width = %s, height = %s, duration_seconds = %s WHERE id = %s",
                (object_key, facts["content_type"], thumbnail, facts["width"], facts["height"],
                 facts["duration_seconds"], upload_id))


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
        f"AND u.used_at IS NULL AND u.completed_at < %s "
        f"AND NOT EXISTS (SELECT 1 FROM resources r WHERE r.file_upload_id = u.id "
        f"OR r.thumbnail_upload_id = u.id) ORDER BY u.completed_at LIMIT %s FOR UPDATE OF u SKIP LOCKED",
        (datetime.now(timezone.utc) - older_than, limit))
    return [dict(zip(_COLUMNS, row)) for row in cur.fetchall()]


def mark_expired(cur, upload_id):
    cur.execute("UPDATE uploads SET status = 'expired', error = 'expired before use' WHERE id = %s", (upload_id,))


def attach(cur, user_id, org_id, upload_ids, purpose):
    """Another service takes up completed uploads of an organization (an activity's poster, a follow-up's
    photos): checked all together, then marked used so the unused-upload cleanup leaves them. Asking
    again for the same organization and purpose gives the same answer."""
    require_org_member(cur, user_id, org_id)
    wanted = list(dict.fromkeys(str(upload_id) for upload_id in upload_ids))
    valid = [upload_id for upload_id in wanted if _is_uuid(upload_id)]
    cur.execute(f"SELECT {', '.join(_COLUMNS)} FROM uploads WHERE id = ANY(%s::uuid[]) ORDER BY id FOR UPDATE",
                (valid,))
    found = {str(row[0]): dict(zip(_COLUMNS, row)) for row in cur.fetchall()}
    upload_rules.check_attachable(found, [str(upload_id) for upload_id in upload_ids], org_id, purpose)
    cur.execute("UPDATE uploads SET used_at = now() WHERE id = ANY(%s::uuid[]) AND used_at IS NULL", (valid,))
    return [found[upload_id] for upload_id in wanted]


def require_org_member(cur, user_id, org_id):
    """The caller acts for the organization: one of its admins (who alone can upload for it)."""
    cur.execute("SELECT 1 FROM org_admins WHERE user_id = %s AND org_id = %s", (str(user_id), str(org_id)))
    if cur.fetchone() is None:
        raise Forbidden("not_an_org_admin", {"org_id": "org_not_yours"}, details={"required_roles": ["org_admin"]})


def _is_uuid(value):
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
