"""Review queues and decisions for reviewers (the review service's web UI follows the same rules)."""
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from kepu_common.interfaces.messages import negotiate, text
from services.review.schemas import (
    BatchDecision, BatchResultSchema, Decision, LeadGrant, LeadSchema, QueueSchema, Reassign, TaskDetailSchema, TaskPageQuery, TaskPageSchema,
    TaskSchema,
)

bp = Blueprint("review", __name__, description="Review queues and decisions (reviewers, platform admins)")

REVIEWERS = ("reviewer", "platform_admin")


def in_reader_language(results):
    """A batch's refusals as text in the reader's language, each field with its code and message."""
    locale = negotiate(request.headers.get("Accept-Language"))
    for result in results:
        if result.get("status") == "refused":
            result["message"] = text(result.get("message") or result.get("code"), locale, fallback=result.get("code"),
                                     **(result.pop("params", None) or {}))
            result["fields"] = {name: {"code": value["code"],
                                       "message": text(value["code"], locale, fallback="invalid",
                                                       **(value.get("params") or {}))}
                                for name, value in (result.get("fields") or {}).items()}
    return results


def actor(**extra):
    return {"actor_id": g.claims["sub"], "client_address": request.remote_addr or "", **extra}


@bp.route("/queues")
class Queues(MethodView):
    @require_auth(*REVIEWERS)
    @bp.response(200, QueueSchema(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Open tasks per stage you review, with how many are claimed and the oldest waiting."""
        return rpc.call("review", "queues", actor())


@bp.route("/tasks")
class Tasks(MethodView):
    @require_auth(*REVIEWERS)
    @bp.arguments(TaskPageQuery, location="query")
    @bp.response(200, TaskPageSchema)
    @bp.alt_response(400, description="a bad stage, status, page or page_size")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Tasks of the stages (and province) you review: open ones longest waiting first, decided ones newest first,
        or by `sort` (start_at: an activity's start, soonest first); `q` searches names, `phone` the submitter's
        phone (exact; answers show phones masked).

        Pages like every list: `page` (from 1) and `page_size`; the reply has `has_more` and `total`."""
        return rpc.call("review", "task_page", actor(**query))


@bp.route("/tasks/<task_id>")
class TaskView(MethodView):
    @require_auth(*REVIEWERS)
    @bp.response(200, TaskDetailSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, task_id):
        """A task with its snapshot and the subject's history (who decided what, when, why)."""
        return rpc.call("review", "get_task", task_id, actor())


@bp.route("/tasks/<task_id>/claim")
class Claim(MethodView):
    @require_auth(*REVIEWERS)
    @bp.response(200, TaskSchema)
    @bp.alt_response(409, description="another reviewer holds it, or it is decided")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, task_id):
        """Claim a task so nobody else decides it (the claim lapses after REVIEW_CLAIM_MINUTES)."""
        return rpc.call("review", "claim", task_id, actor())


@bp.route("/tasks/<task_id>/release")
class Release(MethodView):
    @require_auth(*REVIEWERS)
    @bp.response(200, TaskSchema)
    @bp.alt_response(409, description="you do not hold a live claim on it, or it is decided")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, task_id):
        """Give a claimed task back to the queue."""
        return rpc.call("review", "release", task_id, actor())


@bp.route("/tasks/<task_id>/decision")
class DecisionView(MethodView):
    @require_auth(*REVIEWERS)
    @bp.arguments(Decision)
    @bp.response(200, TaskSchema)
    @bp.alt_response(409, description="decided already, superseded, or claimed by someone else")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload, task_id):
        """Approve, or reject with a reason. Announced to the owning service, recorded for audit."""
        return rpc.call("review", "decide", task_id, actor(**payload))


@bp.route("/decisions")
class Decisions(MethodView):
    @require_auth(*REVIEWERS)
    @bp.arguments(BatchDecision)
    @bp.response(200, BatchResultSchema(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """The same decision on several tasks; each is decided or refused on its own."""
        return in_reader_language(rpc.call("review", "decide_many", actor(**payload)))


@bp.route("/escalations")
class Escalations(MethodView):
    @require_auth(*REVIEWERS)
    @bp.response(200, TaskSchema(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Overdue and long-claimed open tasks of the stages you lead (empty if you lead none)."""
        return rpc.call("review", "escalations", actor())


@bp.route("/tasks/<task_id>/reassign")
class ReassignView(MethodView):
    @require_auth(*REVIEWERS)
    @bp.arguments(Reassign)
    @bp.response(200, TaskSchema)
    @bp.alt_response(403, description="you do not lead this task's stage")
    @bp.alt_response(409, description="the task is neither overdue nor long-claimed, or it is decided")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload, task_id):
        """As the stage's lead: give an overdue or long-claimed task to another reviewer of its stage
        (`to_user_id`), or back to the queue (none). The claimant is notified."""
        return rpc.call("review", "reassign", task_id, actor(**payload))


@bp.route("/leads")
class Leads(MethodView):
    @require_auth("platform_admin")
    @bp.arguments(LeadGrant)
    @bp.response(200, LeadSchema)
    @bp.alt_response(400, description="a scope that is not a stage or provincial:<province code>")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Platform admins: make a reviewer the lead of a stage (sees and reassigns its overdue and long-claimed
        tasks), or end it (`granted: false`)."""
        return rpc.call("review", "set_lead", actor(**payload))
