from marshmallow import Schema, fields, validate

from kepu_common.contracts import REVIEW_STAGES
from services.review.rules import DECISIONS


class ActorSchema(Schema):
    actor_id = fields.String(required=True)
    client_address = fields.String(load_default="")


class ListRequest(ActorSchema):
    stage = fields.String(load_default=None, validate=validate.OneOf(REVIEW_STAGES))
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "decided", "superseded")))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class DecisionRequest(ActorSchema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class BatchDecisionRequest(DecisionRequest):
    task_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=100))


class TaskSchema(Schema):
    id = fields.UUID()
    source = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    stage = fields.String()
    scope = fields.String(allow_none=True)
    snapshot = fields.Dict()
    status = fields.String()
    claimed_by = fields.String(allow_none=True)
    claimed_until = fields.AwareDateTime(allow_none=True)
    decision = fields.String(allow_none=True)
    comment = fields.String()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    requested_at = fields.AwareDateTime()


class QueueSchema(Schema):
    stage = fields.String()
    open = fields.Integer()
    claimed = fields.Integer()
    oldest_requested_at = fields.AwareDateTime(allow_none=True)


class HistoryEntrySchema(Schema):
    task_id = fields.UUID()
    stage = fields.String()
    action = fields.String()
    actor_id = fields.String(allow_none=True)
    comment = fields.String()
    at = fields.AwareDateTime()
