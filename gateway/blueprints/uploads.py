"""Uploads for organization accounts: presigned multipart straight to storage, or streamed through here."""
import hashlib
import threading

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from gateway.errors import Busy, LengthRequired, UploadInterrupted
from gateway.storage import storage
from kepu_common.errors import InvalidInput, TooLarge
from services.resources.schemas import UploadRequest, UploadSchema

bp = Blueprint("uploads", __name__, description="Uploads (organization accounts): start, send, complete")

# finishing reads the file back from storage to check its checksum (and probes a video): allow for a large file
COMPLETE_TIMEOUT = 600


class BodyReader:
    """Reads the raw request body (the server's input stream, bounded by Content-Length: werkzeug's
    wrapper would copy every chunk once more) and counts and hashes what storage receives."""

    def __init__(self, stream):
        self._stream = stream
        self.size = 0
        self.sha256 = hashlib.sha256()

    def read(self, size):
        try:
            return self._stream.read(size)
        except (OSError, ValueError) as exc:  # the client went away mid-body
            raise EOFError(str(exc)) from exc

    def observe(self, chunk):
        self.size += len(chunk)
        self.sha256.update(chunk)


@bp.route("")
class Uploads(MethodView):
    @require_auth()
    @bp.arguments(UploadRequest)
    @bp.response(201, UploadSchema)
    @bp.alt_response(403, description="not an organization account")
    @bp.alt_response(413, description="larger than the limit for this type")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Start an upload: the parts' presigned URLs (multipart), or where to stream it (stream)."""
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
    @bp.alt_response(409, description="not pending, or started as multipart")
    @bp.alt_response(413, description="larger than the upload's declared size")
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
        streams = current_app.extensions.setdefault(
            "upload_streams", threading.BoundedSemaphore(current_app.config["UPLOAD_STREAMS_PER_WORKER"]))
        if not streams.acquire(blocking=False):
            raise Busy("gateway_busy", details={"dependency": "gateway", "retry_after": 10})
        body = BodyReader(request.environ["wsgi.input"])
        try:
            storage().put_in_parts(target["bucket"], target["key"], body.read, length,
                                   content_type=target["content_type"],
                                   part_size=current_app.config["UPLOAD_STREAM_PART_SIZE"], observe=body.observe)
        except EOFError:
            raise UploadInterrupted("upload_interrupted", {"size": ("size_received", {"received": body.size, "declared": length})},
                                    received=body.size, declared=length)
        finally:
            streams.release()
        received = {"size": body.size, "sha256": body.sha256.hexdigest(), "object_key": target["key"]}
        return rpc.call("resources", "complete_upload", user_id, str(upload_id), {"received": received},
                        timeout=COMPLETE_TIMEOUT)
