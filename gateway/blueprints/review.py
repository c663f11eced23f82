"""Review queues and decisions for reviewers (the review service's web UI follows the same rules)."""
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway import rpc
from gateway.auth import require_auth
from gateway.schema_fields import timestamp

bp = Blueprint("review", __name__, description="Review queues and decisions (reviewers, platform admins)")

STAGES = ("realname", "org", "initial", "scientific", "provincial", "national")
REVIEWERS = ("reviewer", "platform_admin")


class TaskQuery(Schema):
    stage = fields.String(load_default=None, validate=validate.OneOf(STAGES))
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "decided", "superseded")))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class Task(Schema):
    id = fields.String()
    source = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    stage = fields.String()
    scope = fields.String(allow_none=True, metadata={"description": "province code for provincial review"})
    snapshot = fields.Dict()
    status = fields.String()
    claimed_by = fields.String(allow_none=True)
    claimed_until = timestamp(allow_none=True)
    decision = fields.String(allow_none=True)
    comment = fields.String()
    decided_by = fields.String(allow_none=True)
    decided_at = timestamp(allow_none=True)
    requested_at = timestamp()


class HistoryEntry(Schema):
    task_id = fields.String()
    stage = fields.String()
    action = fields.String()
    actor_id = fields.String(allow_none=True)
    comment = fields.String()
    at = timestamp()


class TaskDetail(Schema):
    task = fields.Nested(Task)
    history = fields.List(fields.Nested(HistoryEntry))


class Queue(Schema):
    stage = fields.String()
    open = fields.Integer()
    claimed = fields.Integer()
    oldest_requested_at = timestamp(allow_none=True)


class Decision(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approved", "rejected")))
    comment = fields.String(load_default="", validate=validate.Length(max=2000),
                            metadata={"description": "required when rejecting: the reason the submitter sees"})


class BatchDecision(Decision):
    task_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=100))


class BatchResult(Schema):
    task_id = fields.String()
    status = fields.String(metadata={"description": "decided or refused"})
    code = fields.String()
    message = fields.String()


def actor(**extra):
    return {"actor_id": g.claims["sub"], "client_address": request.remote_addr or "", **extra}


@bp.route("/queues")
class Queues(MethodView):
    @require_auth(*REVIEWERS)
    @bp.response(200, Queue(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Open tasks per stage you review, with how many are claimed and the oldest waiting."""
        return rpc.call("review", "queues", actor())


@bp.route("/tasks")
class Tasks(MethodView):
    @require_auth(*REVIEWERS)
    @bp.arguments(TaskQuery, location="query")
    @bp.response(200, Task(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Tasks of the stages (and province) you review, oldest first."""
        return rpc.call("review", "list_tasks", actor(**query))


@bp.route("/tasks/<task_id>")
class TaskView(MethodView):
    @require_auth(*REVIEWERS)
    @bp.response(200, TaskDetail)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, task_id):
        """A task with its snapshot and the subject's history (who decided what, when, why)."""
        return rpc.call("review", "get_task", task_id, actor())


@bp.route("/tasks/<task_id>/claim")
class Claim(MethodView):
    @require_auth(*REVIEWERS)
    @bp.response(200, Task)
    @bp.alt_response(409, description="another reviewer holds it, or it is decided")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, task_id):
        """Claim a task so nobody else decides it (the claim lapses after REVIEW_CLAIM_MINUTES)."""
        return rpc.call("review", "claim", task_id, actor())


@bp.route("/tasks/<task_id>/release")
class Release(MethodView):
    @require_auth(*REVIEWERS)
    @bp.response(200, Task)
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, task_id):
        """Give a claimed task back to the queue."""
        return rpc.call("review", "release", task_id, actor())


@bp.route("/tasks/<task_id>/decision")
class DecisionView(MethodView):
    @require_auth(*REVIEWERS)
    @bp.arguments(Decision)
    @bp.response(200, Task)
    @bp.alt_response(409, description="decided already, superseded, or claimed by someone else")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload, task_id):
        """Approve, or reject with a reason. Announced to the owning service, recorded for audit."""
        return rpc.call("review", "decide", task_id, actor(**payload))


@bp.route("/decisions")
class Decisions(MethodView):
    @require_auth(*REVIEWERS)
    @bp.arguments(BatchDecision)
    @bp.response(200, BatchResult(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """The same decision on several tasks; each is decided or refused on its own."""
        return rpc.call("review", "decide_many", actor(**payload))
