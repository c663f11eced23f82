"""Organizations (机构): the directory, entry with a licence image, members.

Request and response schemas are identity's own (services/identity/schemas.py); the gateway keeps the
licence upload, which streams the image to storage without passing it through identity.
"""
import uuid

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gateway import rpc
from gateway.auth import require_auth
from gateway.blueprints.regions import with_shares
from gateway.image_uploads import image_upload_doc, store_small_image
from services.identity.constants import LICENCE_MAX_BYTES
from services.identity.contracts import licence_prefix
from services.identity.schemas import (
    JoinedSchema, JoinRequest, LeaveRequest, LeftSchema, MemberPageSchema, OrgHitSchema, OrgRequest, OrgSchema, OrgSearchRequest,
    PageRequest,
)

bp = Blueprint("orgs", __name__, description="Organizations: directory, entry, members")


class Licence(Schema):
    """The stored licence upload (the gateway streams it; identity checks it again on POST /orgs)."""

    licence_key = fields.String()
    content_type = fields.String()
    size = fields.Integer()


@bp.route("")
class Orgs(MethodView):
    @require_auth()
    @bp.arguments(OrgSearchRequest, location="query")
    @bp.response(200, OrgHitSchema(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Autocomplete over verified organizations, filtered by category and region."""
        return rpc.call("identity", "search_orgs", query)

    @require_auth("communicator")
    @bp.arguments(OrgRequest)
    @bp.response(202, OrgSchema)
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
    @image_upload_doc(bp, Licence)
    def post(self):
        """Upload the business licence image (the raw bytes as the body); use the key in POST /orgs."""
        return store_image(licence_prefix(g.claims["sub"]), "licence", "licence")


def store_image(prefix, field, kind):
    """Store the request body's picture (at most 10 MB) in the licences bucket under prefix."""
    key = f"{prefix}{uuid.uuid4().hex}"
    content_type, size = store_small_image("licences", key, kind, field, LICENCE_MAX_BYTES)
    return {"licence_key": key, "content_type": content_type, "size": size}


@bp.route("/<uuid:org_id>")
class OrgView(MethodView):
    @require_auth()
    @bp.response(200, OrgSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, org_id):
        """One organization."""
        return rpc.call("identity", "get_org", str(org_id))


@bp.route("/<uuid:org_id>/members")
class OrgMembers(MethodView):
    @require_auth("org_admin", "platform_admin")
    @bp.arguments(PageRequest, location="query")
    @bp.response(200, MemberPageSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, page, org_id):
        """Members with their verification state and counted shares (this organization's admins only)."""
        listed = rpc.call("identity", "org_members", g.claims["sub"], str(org_id), page)
        return dict(listed, items=with_shares(listed["items"]))


@bp.route("/<uuid:org_id>/members/<uuid:user_id>")
class OrgMember(MethodView):
    @require_auth("org_admin", "platform_admin")
    @bp.response(200, LeftSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def delete(self, org_id, user_id):
        """Remove a member (this organization's admins only); announced as member_left."""
        return rpc.call("identity", "remove_member", g.claims["sub"], str(org_id), str(user_id))


@bp.route("/membership")
class Membership(MethodView):
    @require_auth("communicator")
    @bp.arguments(JoinRequest)
    @bp.response(200, JoinedSchema)
    @bp.alt_response(409, description="you belong to another organization (`already_in_another_org`, `move`: "
                                      "`move_to_join`, details.current_org): send move=true to move")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Join an organization from the directory. A communicator belongs to at most one: joining a second one
        is refused unless `move` is true, and then the answer names the one left (`moved_from`)."""
        return rpc.call("identity", "join_org", g.claims["sub"], str(payload["org_id"]), {"move": payload["move"]})

    @require_auth()
    @bp.arguments(LeaveRequest, location="query")
    @bp.response(200, LeftSchema)
    @bp.alt_response(409, description="not a member of that organization (`not_a_member_of_org`), or of any "
                                      "(`not_in_an_org`); `org_id`: `not_a_member`; nothing changes")
    @bp.doc(security=[{"bearerAuth": []}])
    def delete(self, query):
        """Leave your organization (name it with `org_id` to be sure you leave the one you mean); announced as
        member_left."""
        return rpc.call("identity", "leave_org", g.claims["sub"],
                        {"org_id": str(query["org_id"]) if query["org_id"] else None})
