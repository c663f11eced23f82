"""Resources (科普中国云): search, detail and download for anyone; submission, revision and withdrawal
for the owning organization; /my/resources for its own list."""
from flask import g, redirect
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway import rpc
from gateway.auth import current_claims, require_auth
from gateway.schema_fields import timestamp
from kepu_common.contracts import RESOURCE_STATUSES, RESOURCE_TYPES

bp = Blueprint("resources", __name__, description="Resources: search, detail, download, submission, review status")
mine = Blueprint("my", __name__, description="An organization's own resources with their review status")



class SearchQuery(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=50),
                      metadata={"description": "keyword; Chinese words of 2+ characters match as written "
                                               "(雾霾, 新冠肺炎), in titles, keywords and descriptions"})
    type = fields.String(load_default=None, validate=validate.OneOf(RESOURCE_TYPES))
    topic = fields.String(load_default=None, validate=validate.Length(max=30))
    org = fields.UUID(load_default=None, metadata={"description": "an organization's id"})
    sort = fields.String(load_default="newest", validate=validate.OneOf(("newest", "downloads")))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=500))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


class ResourceRequest(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"description": "资源名称"})
    type = fields.String(required=True, validate=validate.OneOf(RESOURCE_TYPES))
    keywords = fields.List(fields.String(validate=validate.Length(min=1, max=20)), load_default=list,
                           validate=validate.Length(max=20), metadata={"description": "关键字, at most 20"})
    description = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"description": "资源简介"})
    topics = fields.List(fields.String(validate=validate.Length(min=1, max=30)), load_default=list,
                         validate=validate.Length(max=10), metadata={"description": "channels/topics, e.g. 科学防疫"})
    upload_id = fields.UUID(load_default=None, allow_none=True,
                            metadata={"description": "a completed upload; required on submission, optional on revision"})
    thumbnail_upload_id = fields.UUID(load_default=None, allow_none=True,
                                      metadata={"description": "a completed thumbnail upload (video, audio, article, debunk)"})
    org_id = fields.UUID(load_default=None, allow_none=True,
                         metadata={"description": "only when you administer several organizations"})


class Withdrawal(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class Resource(Schema):
    id = fields.String()
    title = fields.String()
    keywords = fields.List(fields.String())
    description = fields.String()
    type = fields.String()
    type_label = fields.String(metadata={"description": "图文, 图片, 视频, 挂图, 音频, 辟谣"})
    topics = fields.List(fields.String())
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    filename = fields.String()
    file_size = fields.Integer(metadata={"description": "bytes"})
    file_size_label = fields.String(metadata={"description": "human-readable, e.g. 687.0 MB"})
    content_type = fields.String()
    sha256 = fields.String()
    thumbnail_url = fields.String(allow_none=True, metadata={"description": "short-lived link"})
    status = fields.String()
    status_label = fields.String(metadata={"description": "待初审, 初审驳回, 初审通过/待科学性审核, 科学性审核驳回, 已发布, 已下架"})
    review_comment = fields.String(metadata={"description": "the reviewer's reason after a rejection"})
    downloads = fields.Integer()
    created_at = timestamp()
    updated_at = timestamp()
    published_at = timestamp(allow_none=True)


class ResourcePage(Schema):
    items = fields.List(fields.Nested(Resource))
    page = fields.Integer()
    page_size = fields.Integer()
    has_more = fields.Boolean()


class MineQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(RESOURCE_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    org_id = fields.UUID(load_default=None, allow_none=True)


def _ids_as_text(payload):
    return {key: str(value) if key.endswith("_id") and value is not None else value for key, value in payload.items()}


def optional_user():
    claims = current_claims(required=False)
    return claims["sub"] if claims else None


@bp.route("")
class Resources(MethodView):
    @bp.arguments(SearchQuery, location="query")
    @bp.response(200, ResourcePage)
    def get(self, query):
        """Search published resources: keyword, type, topic, organization; newest or most downloaded first."""
        if query.get("org"):
            query["org"] = str(query["org"])
        return rpc.call("resources", "search", query)

    @require_auth()
    @bp.arguments(ResourceRequest)
    @bp.response(201, Resource)
    @bp.alt_response(403, description="not an organization account")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Submit a resource for review (initial, then scientific); it is public once published."""
        return rpc.call("resources", "submit", g.claims["sub"], _ids_as_text(payload))


@bp.route("/<uuid:resource_id>")
class ResourceView(MethodView):
    @bp.response(200, Resource)
    @bp.doc(security=[{}, {"bearerAuth": []}])
    def get(self, resource_id):
        """A published resource; its organization's admins also see it while in review."""
        return rpc.call("resources", "get_resource", str(resource_id), optional_user())

    @require_auth()
    @bp.arguments(ResourceRequest)
    @bp.response(200, Resource)
    @bp.alt_response(409, description="published or withdrawn resources cannot be revised")
    @bp.doc(security=[{"bearerAuth": []}])
    def put(self, payload, resource_id):
        """Revise (after a rejection: resubmit); it goes back to initial review."""
        return rpc.call("resources", "revise", g.claims["sub"], str(resource_id), _ids_as_text(payload))


@bp.route("/<uuid:resource_id>/withdraw")
class Withdraw(MethodView):
    @require_auth()
    @bp.arguments(Withdrawal)
    @bp.response(200, Resource)
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
    @mine.arguments(MineQuery, location="query")
    @mine.response(200, ResourcePage)
    @mine.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Your organization's resources, latest change first: ID, title, keywords, description, type, file
        size, thumbnail, status with its Chinese label, last update (the Kepu China guide's table)."""
        return rpc.call("resources", "my_resources", g.claims["sub"], _ids_as_text(query))
