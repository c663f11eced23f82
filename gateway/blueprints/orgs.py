"""Organizations (机构): the directory, entry with a licence image, members."""
import uuid

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway import rpc
from gateway.auth import require_auth
from gateway.errors import LengthRequired
from kepu_common.errors import TooLarge, UnsupportedMediaType
from gateway.schema_fields import timestamp
from gateway.storage import storage
from kepu_common import filetypes

bp = Blueprint("orgs", __name__, description="Organizations: directory, entry, members")

CATEGORIES = ("ministry", "provincial_cast", "city_cast", "county_cast", "national_society", "enterprise", "society",
              "street", "community", "school", "other")
LICENCE_MAX_BYTES = 10 * 1024 * 1024


class OrgQuery(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=50),
                      metadata={"description": "any part of the name; exact, then prefix, then substring matches"})
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    region = fields.String(load_default=None, metadata={"description": "GB/T 2260 code; includes everything inside it"})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class OrgHit(Schema):
    id = fields.String()
    name = fields.String()
    category = fields.String()
    category_label = fields.String()
    region_code = fields.String()
    region = fields.String()
    match = fields.String(metadata={"description": "exact, prefix or contains"})


class OrgRequest(Schema):
    name = fields.String(required=True, metadata={"description": "as on the official seal"})
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    region_code = fields.String(required=True)
    parent_id = fields.UUID(load_default=None, allow_none=True)
    licence_key = fields.String(required=True, metadata={"description": "from POST /orgs/licence"})
    contact_name = fields.String(required=True)
    contact_phone = fields.String(required=True)


class Org(Schema):
    id = fields.String()
    name = fields.String()
    category = fields.String()
    category_label = fields.String()
    region_code = fields.String()
    region = fields.String()
    parent_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending, approved or rejected"})
    review_comment = fields.String()
    created_at = timestamp()
    decided_at = timestamp(allow_none=True)


class Licence(Schema):
    licence_key = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class Page(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class Member(Schema):
    user_id = fields.String()
    phone = fields.String(metadata={"description": "masked"})
    real_name = fields.String(allow_none=True)
    verification_status = fields.String(allow_none=True)
    communicator_type = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    region = fields.String()
    registered_at = timestamp()
    joined_at = timestamp()
    shares = fields.Integer(allow_none=True, metadata={"description": "null until the metrics service counts shares"})


class JoinRequest(Schema):
    org_id = fields.UUID(required=True)


@bp.route("")
class Orgs(MethodView):
    @require_auth()
    @bp.arguments(OrgQuery, location="query")
    @bp.response(200, OrgHit(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Autocomplete over verified organizations, filtered by category and region."""
        return rpc.call("identity", "search_orgs", query)

    @require_auth("communicator")
    @bp.arguments(OrgRequest)
    @bp.response(202, Org)
    @bp.alt_response(409, description="an organization with this name is registered or awaiting review")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Organization entry (机构入驻): reviewed (stage org); on approval the registrant becomes its admin."""
        if payload.get("parent_id"):
            payload["parent_id"] = str(payload["parent_id"])
        return rpc.call("identity", "register_org", g.claims["sub"], payload)


@bp.route("/licence")
class LicenceUpload(MethodView):
    streams_body = True  # the image streams to storage; body_rules must not read it as JSON

    @require_auth("communicator")
    @bp.response(201, Licence)
    @bp.alt_response(413, description="over 10 MB")
    @bp.alt_response(415, description="not a JPEG, PNG or WebP image")
    @bp.doc(security=[{"bearerAuth": []}], requestBody={
        "required": True, "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in filetypes.IMAGE_TYPES}})
    def post(self):
        """Upload the business licence image (the raw bytes as the body); use the key in POST /orgs."""
        length = request.content_length
        if length is None:
            raise LengthRequired("content_length_required")
        if length > LICENCE_MAX_BYTES:
            raise TooLarge("licence_too_large", {"licence": ("file_too_large", {"max_mb": 10})}, max_mb=10)
        request.max_content_length = LICENCE_MAX_BYTES
        head = request.stream.read(filetypes.HEAD_BYTES)
        content_type = filetypes.sniff(head)
        if content_type not in filetypes.IMAGE_TYPES:
            raise UnsupportedMediaType("licence_not_an_image", {"licence": "not_an_image"})
        key = f"licences/{g.claims['sub']}/{uuid.uuid4().hex}"
        store = storage()
        store.put_stream(store.bucket("licences"), key, filetypes.PrefixedStream(head, request.stream), length,
                         content_type=content_type)
        return {"licence_key": key, "content_type": content_type, "size": length}


@bp.route("/<uuid:org_id>")
class OrgView(MethodView):
    @require_auth()
    @bp.response(200, Org)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, org_id):
        """One organization."""
        return rpc.call("identity", "get_org", str(org_id))


@bp.route("/<uuid:org_id>/members")
class OrgMembers(MethodView):
    @require_auth("org_admin", "platform_admin")
    @bp.arguments(Page, location="query")
    @bp.response(200, Member(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, page, org_id):
        """Members with their verification state (this organization's admins only)."""
        return rpc.call("identity", "org_members", g.claims["sub"], str(org_id), page)


@bp.route("/membership")
class Membership(MethodView):
    @require_auth("communicator")
    @bp.arguments(JoinRequest)
    @bp.response(200, Org)
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Join an organization from the directory (a communicator belongs to at most one)."""
        return rpc.call("identity", "join_org", g.claims["sub"], str(payload["org_id"]))
