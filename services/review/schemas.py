"""The review service's requests and replies, one schema per boundary: the service loads and dumps with
them, the gateway's review blueprint uses the same classes for HTTP and OpenAPI (the actor comes from
the caller's token, so the HTTP schemas are the same without it)."""
from marshmallow import INCLUDE, Schema, fields, validate

from kepu_common.contracts import REVIEW_STAGES
from kepu_common.schema_fields import Described, Page, Timestamp
from services.review.rules import DECISIONS, TASK_STATUSES


class ActorSchema(Schema):
    actor_id = fields.String(required=True)
    client_address = fields.String(load_default="")


class TaskQuery(Schema):
    stage = fields.String(load_default=None, validate=validate.OneOf(REVIEW_STAGES))
    status = fields.String(load_default="open", validate=validate.OneOf(TASK_STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class ListRequest(TaskQuery, ActorSchema):
    pass


class TaskPageQuery(Schema):
    """GET /review/tasks: pages like every list of the platform (page, page_size; has_more and total)."""

    stage = fields.String(load_default=None, validate=validate.OneOf(REVIEW_STAGES))
    status = fields.String(load_default="open", validate=validate.OneOf(TASK_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000),
                          metadata={"description": "from 1"})
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class TaskPageRequest(TaskPageQuery, ActorSchema):
    pass


class Decision(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default="", validate=validate.Length(max=2000),
                            metadata={"description": "required when rejecting: the reason the submitter sees"})


class DecisionRequest(Decision, ActorSchema):
    pass


class BatchDecision(Decision):
    task_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=100))


class BatchDecisionRequest(BatchDecision, ActorSchema):
    pass


class SnapshotFile(Schema):
    """A file the reviewer previews (by bucket purpose and key, never a URL)."""

    label = fields.String()
    purpose = fields.String()
    key = fields.String()
    content_type = fields.String()
    kind = fields.String(metadata={"description": "image, video, audio or document"})


class ReviewSnapshot(Schema):
    """What the reviewer sees of the subject as submitted: its fields as the reviewer reads them (which ones
    depends on the subject type: a resource, an activity, an organization, a verification, a post…) and the
    files to preview."""

    class Meta:
        unknown = INCLUDE

    files = fields.List(fields.Nested(SnapshotFile))


class TaskSchema(Schema):
    id = fields.UUID()
    source = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    stage = fields.String()
    scope = fields.String(allow_none=True, metadata={"description": "province code for provincial review"})
    snapshot = Described(ReviewSnapshot)
    status = fields.String()
    claimed_by = fields.String(allow_none=True)
    claimed_until = Timestamp(allow_none=True)
    decision = fields.String(allow_none=True)
    comment = fields.String()
    decided_by = fields.String(allow_none=True)
    decided_at = Timestamp(allow_none=True)
    requested_at = Timestamp()


class TaskPageSchema(Page):
    items = fields.List(fields.Nested(TaskSchema))
    total = fields.Integer(metadata={"description": "tasks matching, on every page"})


class QueueSchema(Schema):
    stage = fields.String()
    open = fields.Integer()
    claimed = fields.Integer()
    oldest_requested_at = Timestamp(allow_none=True)


class HistoryEntrySchema(Schema):
    task_id = fields.UUID()
    stage = fields.String()
    action = fields.String()
    actor_id = fields.String(allow_none=True)
    comment = fields.String()
    at = Timestamp()


class TaskDetailSchema(Schema):
    task = fields.Nested(TaskSchema)
    history = fields.List(fields.Nested(HistoryEntrySchema))


class BatchResultSchema(Schema):
    task_id = fields.String()
    status = fields.String(metadata={"description": "decided or refused"})
    code = fields.String(metadata={"description": "a refusal's error code (conflict, forbidden, not_found…)"})
    message = fields.String(metadata={"description": "a refusal's message key; the gateway sends it as text"})
    params = fields.Dict(metadata={"description": "the message's parameters"})
    fields_ = fields.Dict(data_key="fields", attribute="fields",
                          metadata={"description": "a refusal's field codes, {name: {code, message}}"})
