"""Small pictures uploaded as the raw request body (a licence, an appointment letter, a mall item's picture):
read whole (at most max_bytes), checked by signature before the rest is read and by structure before anything
is stored, then put in storage. One reading and one OpenAPI description for every such endpoint."""
import io

from flask import request

from gateway.errors import LengthRequired, UploadInterrupted
from gateway.storage import storage
from kepu_common.domain import filetypes
from kepu_common.interfaces.errors import TooLarge, UnsupportedMediaType


def store_small_image(bucket_purpose, key, kind, field, max_bytes):
    """The body's picture stored at key; (content type, size). kind names the messages (licence_too_large,
    mall_image_not_an_image...), field the field of the errors."""
    length = request.content_length
    if length is None:
        raise LengthRequired("content_length_required")
    max_mb = max_bytes // 2**20
    if length > max_bytes:
        raise TooLarge(f"{kind}_too_large", {field: ("file_too_large", {"max_mb": max_mb})}, max_mb=max_mb)
    request.max_content_length = max_bytes
    head = request.stream.read(filetypes.HEAD_BYTES)
    if filetypes.sniff(head) not in filetypes.IMAGE_TYPES:  # refused before the rest is read
        raise UnsupportedMediaType(f"{kind}_not_an_image", {field: "not_an_image"})
    data = head + request.stream.read(length - len(head))
    if len(data) != length:
        raise UploadInterrupted("upload_interrupted", {"size": ("size_received", {"received": len(data),
                                                                                   "declared": length})},
                                received=len(data), declared=length)
    content_type = filetypes.image_by_structure(data)
    if content_type is None:
        raise UnsupportedMediaType(f"{kind}_not_an_image", {field: "not_an_image"})
    store = storage()
    store.put_stream(store.bucket(bucket_purpose), key, io.BytesIO(data), length, content_type=content_type)
    return content_type, length


def image_upload_doc(bp, schema, max_mb=10):
    """The responses and the raw-body request of a small-picture upload, for bp's view method."""
    def decorate(view):
        view = bp.doc(security=[{"bearerAuth": []}], requestBody={
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in filetypes.IMAGE_TYPES}})(view)
        view = bp.alt_response(415, description="not a JPEG, PNG or WebP image (checked by its structure), or "
                                                "data after the picture's end")(view)
        view = bp.alt_response(413, description=f"over {max_mb} MB")(view)
        view = bp.alt_response(411, description="no Content-Length")(view)
        return bp.response(201, schema)(view)
    return decorate
