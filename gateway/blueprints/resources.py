"""Resources (科普中国云): search, detail and download for anyone; submission, revision and withdrawal
for the owning organization; /my/resources for its own list."""
from flask import g, redirect, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import current_claims, require_auth
from services.resources.schemas import (
    MineRequest, PageSchema, ResourcePatch, ResourceRequest, ResourceRevision, ResourceSchema, SearchRequest,
    TopicPageSchema, TopicsRequest, WithdrawRequest,
)

bp = Blueprint("resources", __name__, description="Resources: search, detail, download, submission, review status")
mine = Blueprint("my", __name__, description="An organization's own resources with their review status")
topics = Blueprint("topics", __name__, description="Topics (频道) of published resources")


def _ids_as_text(payload):
    return {key: str(value) if key.endswith("_id") and value is not None else value for key, value in payload.items()}


def optional_user():
    claims = current_claims(required=False)
    return claims["sub"] if claims else None


@bp.route("")
class Resources(MethodView):
    @bp.arguments(SearchRequest, location="query")
    @bp.response(200, PageSchema)
    def get(self, query):
        """Search published resources: keyword, type, topic, organization; newest or most downloaded first.


        Pages like every list: `page` (from 1) and `page_size`; the reply has `has_more` (no `total`:
        counting every match of a keyword is not cheap)."""
        if query.get("org"):
            query["org"] = str(query["org"])
        return rpc.call("resources", "search", query)

    @require_auth()
    @bp.arguments(ResourceRequest)
    @bp.response(201, ResourceSchema)
    @bp.alt_response(403, description="not an organization account")
    @bp.alt_response(404, description="no such upload (`upload_id`, `thumbnail_upload_id`)")
    @bp.alt_response(409, description="the upload is not complete, or already used by another resource")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Submit a resource for review (initial, then scientific); it is public once published."""
        return rpc.call("resources", "submit", g.claims["sub"], _ids_as_text(payload))


@bp.route("/<uuid:resource_id>")
class ResourceView(MethodView):
    @bp.response(200, ResourceSchema)
    @bp.doc(security=[{}, {"bearerAuth": []}])
    def get(self, resource_id):
        """A published resource; its organization's admins also see it while in review."""
        return rpc.call("resources", "get_resource", str(resource_id), optional_user())

    @require_auth()
    @bp.arguments(ResourceRevision)
    @bp.response(200, ResourceSchema)
    @bp.alt_response(400, description="a field left out: PUT states title, type, keywords, description and topics "
                                      "(`required`); use PATCH to change only some")
    @bp.alt_response(403, description="not a resource of your organization")
    @bp.alt_response(404, description="no such resource, or upload")
    @bp.alt_response(409, description="a published resource cannot be revised (withdraw it first)")
    @bp.doc(security=[{"bearerAuth": []}])
    def put(self, payload, resource_id):
        """Revise a resource, stating every field (for a partial change use PATCH).

        title, type, keywords, description and topics are all required (an empty list or text clears one on
        purpose), so nothing is erased by being left out; `upload_id` and `thumbnail_upload_id` left out
        keep the file and cover. It goes back to initial review: a rejected resource is resubmitted, a
        withdrawn one comes back after a new review."""
        return rpc.call("resources", "revise", g.claims["sub"], str(resource_id), _ids_as_text(payload))

    @require_auth()
    @bp.arguments(ResourcePatch)
    @bp.response(200, ResourceSchema)
    @bp.alt_response(400, description="a field sent is invalid")
    @bp.alt_response(403, description="not a resource of your organization")
    @bp.alt_response(404, description="no such resource, or upload")
    @bp.alt_response(409, description="a published resource cannot be revised (withdraw it first)")
    @bp.doc(security=[{"bearerAuth": []}])
    def patch(self, payload, resource_id):
        """Revise some fields of a resource: those sent change, the others keep their values.

        Like PUT, it goes back to initial review (a withdrawn one comes back after a new review)."""
        return rpc.call("resources", "revise", g.claims["sub"], str(resource_id), _ids_as_text(payload), True)


@bp.route("/<uuid:resource_id>/withdraw")
class Withdraw(MethodView):
    @require_auth()
    @bp.arguments(WithdrawRequest)
    @bp.response(200, ResourceSchema)
    @bp.alt_response(409, description="only a published resource can be withdrawn")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload, resource_id):
        """Take a published resource down (its organization, or a platform admin)."""
        return rpc.call("resources", "withdraw", g.claims["sub"], str(resource_id), payload)


@bp.route("/<uuid:resource_id>/download")
class Download(MethodView):
    @bp.response(302, description="redirect to a short-lived link to the file")
    @bp.doc(security=[{}, {"bearerAuth": []}])
    def get(self, resource_id):
        """Download: redirected to a presigned link valid for a few minutes; counted once per visitor (the
        user, else address and browser) per 30 seconds, robots not at all."""
        visitor = {"client_address": (request.remote_addr or "")[:64],
                   "user_agent": request.headers.get("User-Agent", "")[:512]}
        link = rpc.call("resources", "download", str(resource_id), optional_user(), visitor)
        response = redirect(link["url"], 302)
        response.headers["Cache-Control"] = "no-store"  # every download goes through here, and is recorded
        return response


@mine.route("/resources")
class MyResources(MethodView):
    @require_auth()
    @mine.arguments(MineRequest, location="query")
    @mine.response(200, PageSchema)
    @mine.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Your organization's resources, latest change first: ID, title, keywords, description, type, file
        size, a video's duration, thumbnail (a video's poster frame), status with its Chinese label, last
        update (the Kepu China guide's table).

        Pages like every list: `page` (from 1) and `page_size`; the reply has `has_more` and `total`."""
        return rpc.call("resources", "my_resources", g.claims["sub"], _ids_as_text(query))


@topics.route("")
class Topics(MethodView):
    @topics.arguments(TopicsRequest, location="query")
    @topics.response(200, TopicPageSchema)
    def get(self, query):
        """Topics of published resources, most used first, each with how many published resources have it;
        `key` is what the search's `topic` filter matches (spaces and full-width forms do not matter).

        Pages like every list: `page` (from 1) and `page_size`; the reply has `has_more` and `total`."""
        return rpc.call("resources", "topics", query)
