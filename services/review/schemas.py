"""The review service's requests and replies, one schema per boundary: the service loads and dumps with
them, the gateway's review blueprint uses the same classes for HTTP and OpenAPI (the actor comes from
the caller's token, so the HTTP schemas are the same without it)."""

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from kepu_common.interfaces.contracts import REVIEW_STAGES
from kepu_common.interfaces.schema_fields import Described, Page, Timestamp
from kepu_common.interfaces.validation import coded, one_line, plain_text
from services.review.constants import DECISIONS, PHONE, SORTS, TASK_STATUSES

# the service does not trust its RPC callers: no control characters in anything it stores or searches by
# (one_line; plain_text allows tab, CR and LF in a comment, text a person wrote on several lines)


def phone_number(value):
    if not PHONE.match(value):
        raise ValidationError(coded("phone_invalid"))


class ActorSchema(Schema):
    actor_id = fields.String(required=True, validate=[validate.Length(min=1, max=64), one_line])
    client_address = fields.String(load_default="", validate=[validate.Length(max=100), one_line])


class Lookup(Schema):
    """Sort and search, the same for every list of tasks (services/review/priority.py)."""

    sort = fields.String(load_default=None, validate=validate.OneOf(SORTS), metadata={
        "description": "requested (longest waiting first, the default of open tasks), start_at (an activity's "
                       "start, soonest first), decided_at (newest decision first, the default of decided tasks)"})
    q = fields.String(load_default=None, validate=[validate.Length(min=1, max=50), one_line], metadata={
        "description": "part of a name: the subject's, its organization's, units, hosts"})
    phone = fields.String(load_default=None, validate=phone_number, metadata={
        "description": "the submitter's mobile phone, exact (11 digits); shown masked in answers"})


class TaskQuery(Lookup):
    stage = fields.String(load_default=None, validate=validate.OneOf(REVIEW_STAGES))
    status = fields.String(load_default="open", validate=validate.OneOf(TASK_STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class ListRequest(TaskQuery, ActorSchema):
    pass


class TaskPageQuery(Lookup):
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
    comment = fields.String(load_default="", validate=[validate.Length(max=2000), plain_text],
                            metadata={"description": "required when rejecting: the reason the submitter sees"})


class DecisionRequest(Decision, ActorSchema):
    pass


class BatchDecision(Decision):
    task_ids = fields.List(fields.String(validate=[validate.Length(max=64), one_line]), required=True,
                           validate=validate.Length(min=1, max=100))


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
    start_at = fields.String(allow_none=True, metadata={"description": "an activity's start, Beijing time"})
    due_at = Timestamp(allow_none=True, metadata={"description": "when the stage's service level runs out"})
    overdue = fields.Boolean(metadata={"description": "open past due_at, or decided after it"})
    long_claimed = fields.Boolean(metadata={"description": "held by the same reviewer past the long-claim limit"})
    claimed_at = Timestamp(allow_none=True)
    took_seconds = fields.Integer(allow_none=True, metadata={"description": "from request to decision"})


class TaskPageSchema(Page):
    items = fields.List(fields.Nested(TaskSchema))
    total = fields.Integer(metadata={"description": "tasks matching, on every page"})


class QueueSchema(Schema):
    stage = fields.String()
    open = fields.Integer()
    claimed = fields.Integer()
    oldest_requested_at = Timestamp(allow_none=True)
    overdue = fields.Integer(metadata={"description": "open tasks past their service level"})


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


class Reassign(Schema):
    """A lead gives an overdue or long-claimed task to another reviewer of its stage, or back to the queue."""

    to_user_id = fields.String(load_default=None, allow_none=True, validate=[validate.Length(min=1, max=64), one_line],
                               metadata={"description": "the reviewer who takes it; empty puts it back in the queue"})


class ReassignRequest(Reassign, ActorSchema):
    pass


class EscalationRequest(ActorSchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=200))


class LeadGrant(Schema):
    """A platform admin makes a reviewer the lead of a stage (or of one province's provincial review), or ends it."""

    user_id = fields.String(required=True, validate=[validate.Length(min=1, max=64), one_line])
    scope = fields.String(required=True, validate=[validate.Length(max=40), one_line], metadata={
        "description": "as a reviewer's: a stage (national, initial…) or provincial:<province code>"})
    granted = fields.Boolean(load_default=True, metadata={"description": "false ends the lead role"})


class LeadRequest(LeadGrant, ActorSchema):
    pass


class LeadSchema(Schema):
    user_id = fields.String()
    scope = fields.String()
    granted = fields.Boolean()


class SessionRequest(Schema):
    session_id = fields.String(required=True, validate=[validate.Length(min=16, max=64), one_line])


class StageRequest(ActorSchema):
    stage = fields.String(required=True, validate=validate.OneOf(REVIEW_STAGES))
    scope = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=20), one_line])


class StageScope(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(REVIEW_STAGES))
    scope = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=20), one_line])


class StagesRequest(ActorSchema):
    """The reviewers of several stages (and provinces) at once: the escalations page asks once, not per stage."""
    stages = fields.List(fields.Nested(StageScope), required=True, validate=validate.Length(min=1, max=100))
