"""The signed-in user: profile, roles, real-name verification."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway import rpc
from gateway.auth import require_auth
from gateway.blueprints.auth import Role
from gateway.schema_fields import timestamp

bp = Blueprint("me", __name__, description="The signed-in user")

TYPES = ("individual", "district_admin", "street_admin")


class VerificationRequest(Schema):
    real_name = fields.String(required=True, validate=validate.Length(min=2, max=30))
    id_number = fields.String(required=True, metadata={"description": "18-character resident ID number; stored encrypted, shown masked"})
    unit_name = fields.String(required=True)
    unit_address = fields.String(required=True)
    communicator_type = fields.String(required=True, validate=validate.OneOf(TYPES),
                                      metadata={"description": "individual 个人用户, district_admin 区县级管理员, street_admin 乡镇街道管理员"})
    region_code = fields.String(required=True, metadata={"description": "GB/T 2260 division code, e.g. 110105"})
    org_id = fields.UUID(load_default=None, allow_none=True, metadata={"description": "a verified organization from GET /orgs"})


class Verification(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "pending, approved or rejected"})
    real_name = fields.String()
    id_number = fields.String(metadata={"description": "masked: 1101**********1234"})
    unit_name = fields.String()
    unit_address = fields.String()
    communicator_type = fields.String()
    region_code = fields.String()
    org_id = fields.String(allow_none=True)
    review_comment = fields.String()
    submitted_at = timestamp()
    decided_at = timestamp(allow_none=True)


class Me(Schema):
    id = fields.String()
    phone = fields.String()
    created_at = timestamp()
    roles = fields.List(fields.Nested(Role))
    verification = fields.Nested(Verification, allow_none=True)


@bp.route("")
class MeView(MethodView):
    @require_auth()
    @bp.response(200, Me)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Profile, roles and the latest real-name verification."""
        return rpc.call("identity", "me", g.claims["sub"])


@bp.route("/verification")
class VerificationView(MethodView):
    @require_auth()
    @bp.arguments(VerificationRequest)
    @bp.response(202, Verification)
    @bp.alt_response(409, description="already pending or approved, or the ID number is used by another account")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Submit real-name verification (科普员认证); a reviewer decides (stage realname)."""
        if payload.get("org_id"):
            payload["org_id"] = str(payload["org_id"])
        return rpc.call("identity", "submit_verification", g.claims["sub"], payload)
