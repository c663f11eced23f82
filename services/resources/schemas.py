from marshmallow import Schema, ValidationError, fields, validate, validates

from kepu_common.contracts import RESOURCE_TYPES
from services.resources import formats, review_flow
from services.resources.search import ORDERS

SHA256 = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hexadecimal characters")


def size_label(size):
    """Human-readable size in binary units, as the Kepu China table shows it (e.g. 687.0 MB)."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return None


class UploadRequest(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(formats.PURPOSES),
                            metadata={"description": "the resource type the file is for, or thumbnail"})
    filename = fields.String(required=True, validate=validate.Length(min=1, max=200))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    content_type = fields.String(required=True, validate=validate.Length(max=100))
    sha256 = fields.String(required=True, validate=SHA256)
    method = fields.String(load_default="multipart", validate=validate.OneOf(("multipart", "stream")))
    org_id = fields.UUID(load_default=None, allow_none=True)

    @validates("filename")
    def no_paths(self, value, **kwargs):
        if "/" in value or "\\" in value or value.strip() in ("", ".", ".."):
            raise ValidationError("a file name, not a path")


class ReceivedSchema(Schema):
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True, validate=SHA256)
    object_key = fields.String(required=True)


class CompleteRequest(Schema):
    received = fields.Nested(ReceivedSchema, load_default=None, allow_none=True)


class PartSchema(Schema):
    part_number = fields.Integer()
    size = fields.Integer()
    url = fields.String()


class UploadSchema(Schema):
    id = fields.UUID()
    org_id = fields.UUID()
    purpose = fields.String()
    filename = fields.String()
    size = fields.Integer()
    declared_type = fields.String()
    content_type = fields.String(allow_none=True)
    sha256 = fields.String()
    method = fields.String()
    status = fields.String()
    error = fields.String()
    part_size = fields.Integer()
    parts = fields.List(fields.Nested(PartSchema))
    thumbnail_url = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)


class StreamTargetSchema(Schema):
    bucket = fields.String()
    key = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    part_size = fields.Integer()


def _words(max_items, max_length):
    return fields.List(fields.String(validate=validate.Length(min=1, max=max_length)),
                       validate=validate.Length(max=max_items))


class ResourceRequest(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(required=True, validate=validate.OneOf(RESOURCE_TYPES))
    keywords = _words(20, 20)
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    topics = _words(10, 30)
    upload_id = fields.UUID(load_default=None, allow_none=True)
    thumbnail_upload_id = fields.UUID(load_default=None, allow_none=True)
    org_id = fields.UUID(load_default=None, allow_none=True)

    def load(self, data, **kwargs):
        loaded = super().load(data, **kwargs)
        loaded["title"] = loaded["title"].strip()
        if not loaded["title"]:
            raise ValidationError({"title": ["must not be blank"]})
        loaded["keywords"] = list(dict.fromkeys(k.strip() for k in loaded.get("keywords") or [] if k.strip()))
        loaded["topics"] = list(dict.fromkeys(t.strip() for t in loaded.get("topics") or [] if t.strip()))
        return loaded


class WithdrawRequest(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class SearchRequest(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=50))
    type = fields.String(load_default=None, validate=validate.OneOf(RESOURCE_TYPES))
    topic = fields.String(load_default=None, validate=validate.Length(max=30))
    org = fields.UUID(load_default=None)
    sort = fields.String(load_default="newest", validate=validate.OneOf(tuple(ORDERS)))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=500))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


class MineRequest(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(tuple(review_flow.STATUS_LABELS)))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    org_id = fields.UUID(load_default=None, allow_none=True)


class ResourceSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    keywords = fields.List(fields.String())
    description = fields.String()
    type = fields.String()
    type_label = fields.Function(lambda r: formats.label(r["type"]))
    topics = fields.List(fields.String())
    org_id = fields.UUID()
    org_name = fields.String(allow_none=True)
    filename = fields.String()
    file_size = fields.Integer()
    file_size_label = fields.Function(lambda r: size_label(r["file_size"]))
    content_type = fields.String()
    sha256 = fields.String()
    thumbnail_url = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.Function(lambda r: review_flow.STATUS_LABELS[r["status"]])
    review_comment = fields.String()
    downloads = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    published_at = fields.AwareDateTime(allow_none=True)


class PageSchema(Schema):
    items = fields.List(fields.Nested(ResourceSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    has_more = fields.Boolean()
