"""The resources service's requests and replies, one schema per boundary: the service loads and dumps with
them and the gateway's blueprints (resources, uploads) use the same classes for HTTP and OpenAPI."""
import copy

from marshmallow import Schema, ValidationError, fields, missing, validate, validates

from kepu_common.interfaces.contracts import RESOURCE_STATUSES, RESOURCE_TYPES
from kepu_common.interfaces.messages import label
from kepu_common.interfaces.schema_fields import Page, Timestamp
from kepu_common.interfaces.validation import coded
from services.resources.constants import ACTIVITY_PURPOSES, SEARCH_ORDERS, UPLOAD_PURPOSES
from services.resources.contracts import duration_label

SHA256 = validate.Regexp(r"^[0-9a-fA-F]{64}$", error=coded("sha256_format"))


def size_label(size):
    """Human-readable size in binary units, as the Kepu China table shows it (e.g. 687.0 MB)."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return None


class UploadRequest(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(tuple(UPLOAD_PURPOSES)),
                            metadata={"description": "the resource type the file is for; thumbnail (a cover for "
                                                     "video, audio, article or debunk resources); activity_poster, "
                                                     "followup_photo or followup_video (files of activities)"})
    filename = fields.String(required=True, validate=validate.Length(min=1, max=200))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1), metadata={"description": "bytes"})
    content_type = fields.String(required=True, validate=validate.Length(max=100),
                                 metadata={"description": "declared type, e.g. video/mp4; checked against the bytes "
                                                          "on completion"})
    sha256 = fields.String(required=True, validate=SHA256)
    method = fields.String(load_default="multipart", validate=validate.OneOf(("multipart", "stream")),
                           metadata={"description": "multipart: PUT each part to its URL, then complete; "
                                                    "stream: PUT the whole file to /uploads/{id}/content"})
    org_id = fields.UUID(load_default=None, allow_none=True,
                         metadata={"description": "only when you administer several organizations"})

    @validates("filename")
    def no_paths(self, value, **kwargs):
        if "/" in value or "\\" in value or value.strip() in ("", ".", ".."):
            raise ValidationError(coded("filename_not_a_path"))


class ReceivedSchema(Schema):
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True, validate=SHA256)
    object_key = fields.String(required=True)


class CompleteRequest(Schema):
    received = fields.Nested(ReceivedSchema, load_default=None, allow_none=True)


class PartSchema(Schema):
    part_number = fields.Integer()
    size = fields.Integer()
    url = fields.String(metadata={"description": "PUT this part's bytes here; keep the ETag it answers"})


class DuplicateSchema(Schema):
    """A resource whose file has the same content (SHA-256) as this upload."""

    resource_id = fields.UUID()
    title = fields.String()
    status = fields.String(metadata={"description": "the resource's status (RESOURCE_STATUSES)"})
    org_id = fields.UUID()
    org_name = fields.String()
    link = fields.String(metadata={"description": "where the resource is read: GET /api/v1/resources/{id}"})


class UploadSchema(Schema):
    id = fields.UUID()
    org_id = fields.UUID()
    purpose = fields.String()
    filename = fields.String()
    size = fields.Integer()
    declared_type = fields.String()
    content_type = fields.String(allow_none=True, metadata={"description": "what the bytes are, once checked"})
    sha256 = fields.String()
    method = fields.String()
    status = fields.String(metadata={"description": "pending, complete, rejected or expired"})
    error = fields.String(metadata={"description": "why it was rejected (message key and field codes)"})
    part_size = fields.Integer()
    parts = fields.List(fields.Nested(PartSchema), metadata={"description": "multipart uploads while pending"})
    thumbnail_url = fields.String(allow_none=True)
    created_at = Timestamp()
    expires_at = Timestamp()
    completed_at = Timestamp(allow_none=True)
    width = fields.Integer(allow_none=True, metadata={"description": "images and videos: pixels, read from the file"})
    height = fields.Integer(allow_none=True)
    duration_seconds = fields.Float(allow_none=True, metadata={"description": "followup_video: read from the file"})
    duplicate_of = fields.List(fields.Nested(DuplicateSchema), metadata={
        "description": "complete uploads: resources whose file has the same content (SHA-256) that the uploader "
                       "may see (their organization's, published ones of others). Not refused: a flag to "
                       "check before submitting; reviewers see every such resource in the review snapshot"})


class AttachRequest(Schema):
    """attach_uploads: another service takes up completed uploads (RPC only, not on the gateway)."""

    user_id = fields.UUID(required=True)
    org_id = fields.UUID(required=True)
    upload_ids = fields.List(fields.String(validate=validate.Length(max=64)), required=True,
                             validate=validate.Length(min=1, max=50))
    purpose = fields.String(required=True, validate=validate.OneOf(ACTIVITY_PURPOSES))


class AttachedUploadSchema(Schema):
    upload_id = fields.String(attribute="id")
    bucket = fields.String(metadata={"description": "the bucket's purpose name, as review snapshots name it"})
    key = fields.String(attribute="object_key")
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    duration_seconds = fields.Float(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    filename = fields.String()
    thumbnail_key = fields.String(allow_none=True)


class StreamTargetSchema(Schema):
    org_id = fields.String()
    bucket = fields.String()
    key = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    part_size = fields.Integer()


def _words(max_items, max_length, description):
    return fields.List(fields.String(validate=validate.Length(min=1, max=max_length)),
                       validate=validate.Length(max=max_items), metadata={"description": description})


class ResourceRequest(Schema):
    """A submission (POST /resources): title, type and a completed upload; the rest may be left out."""

    fills_missing_lists = True  # a submission without keywords or topics has none

    title = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"description": "资源名称"})
    type = fields.String(required=True, validate=validate.OneOf(RESOURCE_TYPES))
    keywords = _words(20, 20, "关键字, at most 20")
    description = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"description": "资源简介"})
    topics = _words(10, 30, "channels/topics, e.g. 科学防疫")
    upload_id = fields.UUID(load_default=None, allow_none=True,
                            metadata={"description": "a completed upload; required on submission, optional on "
                                                     "revision (left out: the file stays)"})
    thumbnail_upload_id = fields.UUID(load_default=None, allow_none=True,
                                      metadata={"description": "a completed thumbnail upload (video, audio, article, "
                                                               "debunk); left out on revision: the cover stays"})
    org_id = fields.UUID(load_default=None, allow_none=True,
                         metadata={"description": "only when you administer several organizations"})

    def load(self, data, **kwargs):
        loaded = super().load(data, **kwargs)
        if "title" in loaded:
            loaded["title"] = loaded["title"].strip()
            if not loaded["title"]:
                raise ValidationError({"title": [coded("title_blank")]})
        for words in ("keywords", "topics"):
            if words in loaded or self.fills_missing_lists:
                loaded[words] = list(dict.fromkeys(w.strip() for w in loaded.get(words) or [] if w.strip()))
        return loaded


REVISED = ("title", "type", "keywords", "description", "topics")


def _requiring(schema_class, names, required):
    """The same fields, those named required or not, and without a default either way: a revision states
    each of them (PUT), or only those it changes (PATCH), so nothing it leaves out is erased."""
    declared = {}
    for name in names:
        declared[name] = copy.deepcopy(schema_class._declared_fields[name])
        declared[name].required, declared[name].load_default = required, missing
    return type(f"{'Full' if required else 'Some'}{schema_class.__name__}", (schema_class,), declared)


class ResourceRevision(_requiring(ResourceRequest, REVISED, True)):
    """PUT /resources/{id}: the whole resource again. title, type, keywords, description and topics are
    all required (an empty list or text clears one on purpose); upload_id and thumbnail_upload_id, left
    out, keep the current file and cover. For a partial change use PATCH."""


class ResourcePatch(_requiring(ResourceRequest, REVISED + ("upload_id", "thumbnail_upload_id", "org_id"), False)):
    """PATCH /resources/{id}: only the fields sent change; the others keep their values."""

    fills_missing_lists = False


class WithdrawRequest(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class DownloadVisitor(Schema):
    """Who asks for a download, as the gateway saw them (services/resources/downloads.py counts by it);
    user_agent None: an internal caller that did not say."""
    client_address = fields.String(load_default="", validate=validate.Length(max=64))
    user_agent = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=512))


class PageRequest(Schema):
    """Every list of resources, uploads' owners and topics pages the same way: page (from 1) and
    page_size; the reply says has_more, and total where counting is cheap."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=500), metadata={"description": "from 1"})
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


class SearchRequest(PageRequest):
    q = fields.String(load_default=None, validate=validate.Length(max=50),
                      metadata={"description": "keyword; Chinese words of 2+ characters match as written "
                                               "(雾霾, 新冠肺炎), in titles, keywords and descriptions"})
    type = fields.String(load_default=None, validate=validate.OneOf(RESOURCE_TYPES))
    topic = fields.String(load_default=None, validate=validate.Length(max=30),
                          metadata={"description": "a topic's name however spaced or full-width (科学 防疫 finds "
                                                   "科学防疫); GET /topics lists them"})
    org = fields.UUID(load_default=None, metadata={"description": "an organization's id"})
    sort = fields.String(load_default="newest", validate=validate.OneOf(SEARCH_ORDERS))


class MineRequest(PageRequest):
    status = fields.String(load_default=None, validate=validate.OneOf(RESOURCE_STATUSES))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    org_id = fields.UUID(load_default=None, allow_none=True)


class TopicsRequest(PageRequest):
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ResourceSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    keywords = fields.List(fields.String())
    description = fields.String()
    type = fields.String()
    type_label = fields.Function(lambda r: label("resource_type", r["type"]),
                                 metadata={"type": "string", "description": "图文, 图片, 视频, 挂图, 音频, 辟谣"})
    topics = fields.List(fields.String())
    org_id = fields.UUID()
    org_name = fields.String(allow_none=True)
    filename = fields.String()
    file_size = fields.Integer(metadata={"description": "bytes"})
    file_size_label = fields.Function(lambda r: size_label(r["file_size"]),
                                      metadata={"type": "string", "description": "human-readable, e.g. 687.0 MB"})
    content_type = fields.String()
    sha256 = fields.String()
    duration_seconds = fields.Float(allow_none=True, metadata={"description": "videos: read from the file"})
    duration_label = fields.Function(lambda r: duration_label(r.get("duration_seconds")),
                                     metadata={"type": "string", "nullable": True,
                                               "description": "videos: 3:05, 1:02:07"})
    thumbnail_url = fields.String(allow_none=True, metadata={"description": "short-lived link; a video's poster "
                                                                            "frame unless its owner gave a cover"})
    status = fields.String()
    status_label = fields.Function(lambda r: label("resource_status", r["status"]),
                                   metadata={"type": "string", "description": "待初审, 初审驳回, 初审通过/待科学性审核, "
                                                                              "科学性审核驳回, 已发布, 已下架"})
    review_comment = fields.String(metadata={"description": "the reviewer's reason after a rejection"})
    downloads = fields.Integer()
    created_at = Timestamp()
    updated_at = Timestamp()
    published_at = Timestamp(allow_none=True)


class PageSchema(Page):
    items = fields.List(fields.Nested(ResourceSchema))
    total = fields.Integer(allow_none=True, metadata={"description": "/my/resources: how many in all; search: "
                                                                     "absent (counting every match is not cheap)"})


class TopicSchema(Schema):
    name = fields.String(metadata={"description": "the spelling most resources use"})
    key = fields.String(metadata={"description": "the normalized name the topic filter matches"})
    count = fields.Integer(metadata={"description": "published resources with this topic"})


class TopicPageSchema(Page):
    items = fields.List(fields.Nested(TopicSchema))
    total = fields.Integer()
