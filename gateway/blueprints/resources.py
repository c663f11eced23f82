"""Resources (科普中国云): search, detail and download for anyone; submission, revision and withdrawal
for the owning organization; /my/resources for its own list."""
from flask import g, redirect
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import current_claims, require_auth
from services.resources.schemas import MineRequest, PageSchema, ResourceRequest, ResourceSchema, SearchRequest, \
    WithdrawRequest

bp = Blueprint("resources", __name__, description="Resources: search, detail, download, submission, review status")
mine = Blueprint("my", __name__, description="An organization's own resources with their review status")


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
        """Search published resources: keyword, type, topic, organization; newest or most downloaded first."""
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
    @bp.arguments(ResourceRequest)
    @bp.response(200, ResourceSchema)
    @bp.alt_response(409, description="published or withdrawn resources cannot be revised")
    @bp.doc(security=[{"bearerAuth": []}])
    def put(self, payload, resource_id):
        """Revise (after a rejection: resubmit); it goes back to initial review."""
        return rpc.call("resources", "revise", g.claims["sub"], str(resource_id), _ids_as_text(payload))


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
        """Download: counted, then redirected to a presigned link valid for a few minutes."""
        link = rpc.call("resources", "download", str(resource_id), optional_user())
        response = redirect(link["url"], 302)
        response.headers["Cache-Control"] = "no-store"  # every download goes through here, and is counted
        return response


@mine.route("/resources")
class MyResources(MethodView):
    @require_auth()
    @mine.arguments(MineRequest, location="query")
    @mine.response(200, PageSchema)
    @mine.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Your organization's resources, latest change first: ID, title, keywords, description, type, file
        size, thumbnail, status with its Chinese label, last update (the Kepu China guide's table)."""
        return rpc.call("resources", "my_resources", g.claims["sub"], _ids_as_text(query))
