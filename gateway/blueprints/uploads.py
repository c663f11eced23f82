"""Uploads for organization accounts: presigned multipart straight to storage, or streamed through here.

A streamed upload holds one of the worker's few upload slots while its body arrives, so what a slow or
hostile client can hold is bounded three ways: at most UPLOAD_STREAMS_PER_ORG slots for one organization
and UPLOAD_STREAMS_PER_PERSON for one person (429 `upload_slots_taken` beyond them, while the others'
slots stay free); a body must bring UPLOAD_MIN_BYTES_PER_WINDOW in every UPLOAD_RATE_WINDOW seconds or
it is cut off (408 `upload_too_slow`, kepu_common/edge/slow_clients.py), whatever each read's time-out; and a
file larger than UPLOAD_STREAM_MAX_BYTES is not streamed at all (400, `method`: `use_multipart`): its
parts go straight to storage, where a slow client holds nothing of the gateway's.
"""
import hashlib
import threading
from collections import Counter

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from gateway.errors import Busy, LengthRequired, StreamTooLarge, UploadInterrupted, UploadSlotsTaken, UploadTooSlow
from gateway.storage import storage
from kepu_common.interfaces.errors import InvalidInput, TooLarge
from kepu_common.edge.slow_clients import MinimumThroughput, watchdog
from services.resources.schemas import UploadRequest, UploadSchema


bp = Blueprint("uploads", __name__, description="Uploads (organization accounts): start, send, complete")

# finishing reads the file back from storage to check its checksum (and probes a video): allow for a large file
COMPLETE_TIMEOUT = 600


READ_CHUNK = 64 * 1024  # the throughput guard sees progress at least this often


class UploadSlots:
    """The worker's upload slots: `total` in all, at most `per_org` for one organization and `per_person` for
    one person (per worker process: each gunicorn worker has its own)."""

    def __init__(self, total, per_org, per_person):
        self.total, self.per_org, self.per_person = total, per_org, per_person
        self._lock = threading.Lock()
        self._orgs, self._people = Counter(), Counter()
        self.taken = 0

    def take(self, org_id, person_id):
        """None when a slot was taken (give it back with give_back), else why not: "busy" (every slot is
        taken) or "own" (the organization's or the person's are)."""
        with self._lock:
            if self.taken >= self.total:
                return "busy"
            if self._orgs[org_id] >= self.per_org or self._people[person_id] >= self.per_person:
                return "own"
            self.taken += 1
            self._orgs[org_id] += 1
            self._people[person_id] += 1
            return None

    def give_back(self, org_id, person_id):
        with self._lock:
            self.taken -= 1
            self._orgs[org_id] -= 1
            self._people[person_id] -= 1
            if not self._orgs[org_id]:
                del self._orgs[org_id]
            if not self._people[person_id]:
                del self._people[person_id]


def upload_slots(app):
    found = app.extensions.get("upload_slots")
    if found is None:
        found = app.extensions.setdefault("upload_slots", UploadSlots(
            app.config["UPLOAD_STREAMS_PER_WORKER"], app.config["UPLOAD_STREAMS_PER_ORG"],
            app.config["UPLOAD_STREAMS_PER_PERSON"]))
    return found


class BodyReader:
    """Reads the raw request body (the server's input stream, bounded by Content-Length: werkzeug's
    wrapper would copy every chunk once more) and counts and hashes what storage receives. Under gunicorn
    a throughput guard watches the client's socket (a read blocks until it has what it asked for, so
    only a watchdog outside it can cut a trickling client off); reads are at most READ_CHUNK so that the
    guard sees progress."""

    def __init__(self, stream, guard=None):
        self._stream = stream
        self.guard = guard
        self.size = 0
        self.sha256 = hashlib.sha256()

    def read(self, size):
        chunks, wanted = [], size
        try:
            while wanted > 0:
                chunk = self._stream.read(min(wanted, READ_CHUNK))
                if not chunk:
                    break
                if self.guard is not None:
                    self.guard.observe(len(chunk))
                chunks.append(chunk)
                wanted -= len(chunk)
        except (OSError, ValueError) as exc:  # the client went away mid-body
            raise EOFError(str(exc)) from exc
        return b"".join(chunks)

    def observe(self, chunk):
        self.size += len(chunk)
        self.sha256.update(chunk)


@bp.route("")
class Uploads(MethodView):
    @require_auth()
    @bp.arguments(UploadRequest)
    @bp.response(201, UploadSchema)
    @bp.alt_response(400, description="`stream_too_large`: method stream for a file over the stream limit "
                                      "(`method`: `use_multipart`)")
    @bp.alt_response(403, description="not an organization account")
    @bp.alt_response(413, description="larger than the limit for this type")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Start an upload: the parts' presigned URLs (multipart), or where to stream it (stream; a file over
        the stream limit must go by multipart: 400, `method`: `use_multipart`)."""
        limit = current_app.config["UPLOAD_STREAM_MAX_BYTES"]
        if payload["method"] == "stream" and payload["size"] > limit:
            raise StreamTooLarge("stream_too_large", {"method": ("use_multipart", {"max_mb": limit // (1024 * 1024)})},
                               max_mb=limit // (1024 * 1024))
        if payload.get("org_id"):
            payload["org_id"] = str(payload["org_id"])
        return rpc.call("resources", "start_upload", g.claims["sub"], payload)


@bp.route("/<uuid:upload_id>")
class UploadView(MethodView):
    @require_auth()
    @bp.response(200, UploadSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, upload_id):
        """An upload's state (pending ones list their part URLs again, freshly signed)."""
        return rpc.call("resources", "get_upload", g.claims["sub"], str(upload_id))


@bp.route("/<uuid:upload_id>/complete")
class Complete(MethodView):
    @require_auth()
    @bp.response(200, UploadSchema)
    @bp.alt_response(400, description="size, checksum or real type wrong, image damaged (`image_unreadable`), video "
                                      "duration unreadable (`video_unreadable`), a .docx that is not a safe Word file "
                                      "or a PDF that does not parse (`validation_failed`, `fields.file`: "
                                      "`docx_not_word`, `docx_has_executable`, `pdf_unreadable`…): the upload is "
                                      "rejected and removed")
    @bp.alt_response(409, description="`upload_incomplete`: parts still missing (send them and ask again); "
                                      "`conflict`: not pending")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, upload_id):
        """Finish a multipart upload: checks size, SHA-256 and the real type; makes an image's thumbnail and
        reads its size; reads a video's duration from the file and makes its poster frame; checks a .docx
        as a Word file and a PDF as parseable (a wall chart PDF's first page becomes its thumbnail)."""
        return rpc.call("resources", "complete_upload", g.claims["sub"], str(upload_id), timeout=COMPLETE_TIMEOUT)


@bp.route("/<uuid:upload_id>/content")
class Content(MethodView):
    streams_body = True  # the file goes to storage as it arrives; body_rules must not read it as JSON

    @require_auth()
    @bp.response(200, UploadSchema)
    @bp.alt_response(400, description="size, checksum or real type wrong, or the file not what it claims (as for "
                                      "complete): the upload is rejected and removed")
    @bp.alt_response(411, description="no Content-Length")
    @bp.alt_response(408, description="`upload_too_slow`: the body brought less than the minimum in a window "
                                      "(`details.min_bytes`, `details.window_seconds`); the upload stays pending")
    @bp.alt_response(409, description="not pending, or started as multipart")
    @bp.alt_response(413, description="larger than the upload's declared size")
    @bp.alt_response(429, description="`upload_slots_taken`: your organization's or your own streams are all "
                                      "in use; retry after `Retry-After`")
    @bp.alt_response(503, description="`busy`: every upload slot of this gateway worker is in use")
    @bp.doc(security=[{"bearerAuth": []}], requestBody={
        "required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}})
    def put(self, upload_id):
        """Stream the whole file (raw bytes as the body) for an upload started with method=stream; it is
        checked and completed in the same request."""
        user_id = g.claims["sub"]
        length = request.content_length
        if length is None:
            raise LengthRequired("content_length_required")
        target = rpc.call("resources", "stream_target", user_id, str(upload_id))
        if length > target["size"]:
            raise TooLarge("upload_size_mismatch", {"size": ("size_mismatch", {"declared": target["size"], "sent": length})},
                           declared=target["size"], sent=length)
        if length != target["size"]:
            raise InvalidInput("upload_size_mismatch", {"size": ("size_mismatch", {"declared": target["size"], "sent": length})},
                               declared=target["size"], sent=length)
        slots, org_id = upload_slots(current_app), target["org_id"]
        refused = slots.take(org_id, user_id)
        if refused == "own":
            raise UploadSlotsTaken("upload_slots_taken", details={"retry_after": 10})
        if refused == "busy":
            raise Busy("gateway_busy", details={"dependency": "gateway", "retry_after": 10})
        # none under a test client, or granian (body_rules says so once: the proxy routed it wrongly)
        client = request.environ.get("gunicorn.socket")
        guard = watchdog().watch(MinimumThroughput(client, current_app.config["UPLOAD_MIN_BYTES_PER_WINDOW"],
                                                   current_app.config["UPLOAD_RATE_WINDOW"])) if client else None
        body = BodyReader(request.environ["wsgi.input"], guard)
        try:
            storage().put_in_parts(target["bucket"], target["key"], body.read, length,
                                   content_type=target["content_type"],
                                   part_size=current_app.config["UPLOAD_STREAM_PART_SIZE"], observe=body.observe)
        except EOFError:
            if guard is not None and guard.cut:
                raise UploadTooSlow("upload_too_slow", details={
                    "min_bytes": guard.min_bytes, "window_seconds": guard.window, "received": body.size}) from None
            raise UploadInterrupted("upload_interrupted", {"size": ("size_received", {"received": body.size, "declared": length})},
                                    received=body.size, declared=length)
        finally:
            if guard is not None:
                watchdog().release(guard)
            slots.give_back(org_id, user_id)
        received = {"size": body.size, "sha256": body.sha256.hexdigest(), "object_key": target["key"]}
        return rpc.call("resources", "complete_upload", user_id, str(upload_id), {"received": received},
                        timeout=COMPLETE_TIMEOUT)
