"""The integrity scrub's admin list (RPC resources.scrub_findings; gateway GET /api/v1/admin/storage/findings)."""
from marshmallow import Schema, fields, validate

from kepu_common.interfaces.schema_fields import Page, Timestamp
from services.resources.constants import FINDING_KINDS
from services.resources.schemas import PageRequest


class FindingsRequest(PageRequest):
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "resolved", "all")),
                           metadata={"description": "open (default): not yet found sound again; resolved; all"})
    kind = fields.String(load_default=None, validate=validate.OneOf(FINDING_KINDS),
                         metadata={"description": "mismatch (the bytes no longer hash to the recorded SHA-256) or "
                                                  "missing (the object is gone)"})


class FindingSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "mismatch or missing"})
    upload_id = fields.UUID()
    object_key = fields.String()
    org_id = fields.UUID()
    resource_id = fields.UUID(allow_none=True, metadata={"description": "the resource whose file it is, if any"})
    resource_title = fields.String(allow_none=True)
    expected_sha256 = fields.String(metadata={"description": "recorded when the upload was checked"})
    actual_sha256 = fields.String(allow_none=True, metadata={"description": "mismatch: what the bytes hash to now"})
    actual_size = fields.Integer(allow_none=True)
    found_at = Timestamp()
    last_seen_at = Timestamp(metadata={"description": "the latest pass that found it so"})
    resolved_at = Timestamp(allow_none=True, metadata={"description": "a later pass found the object sound"})


class ScrubStateSchema(Schema):
    passes_finished = fields.Integer()
    last_pass_at = Timestamp(allow_none=True, metadata={"description": "when the latest full pass ended"})
    pass_started_at = Timestamp(allow_none=True)
    objects_checked = fields.Integer(metadata={"description": "since the scrub was installed"})
    bytes_read = fields.Integer()


class FindingPageSchema(Page):
    items = fields.List(fields.Nested(FindingSchema))
    total = fields.Integer()
    scrub = fields.Nested(ScrubStateSchema)
