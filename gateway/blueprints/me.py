"""The signed-in user: profile, roles, real-name verification (identity's schemas)."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from services.identity.schemas import UserSchema, VerificationRequest, VerificationSchema

bp = Blueprint("me", __name__, description="The signed-in user")


@bp.route("")
class MeView(MethodView):
    @require_auth()
    @bp.response(200, UserSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Profile, roles and the latest real-name verification."""
        return rpc.call("identity", "me", g.claims["sub"])


@bp.route("/verification")
class VerificationView(MethodView):
    @require_auth()
    @bp.arguments(VerificationRequest)
    @bp.response(202, VerificationSchema)
    @bp.alt_response(409, description="already pending or approved, or the ID number is used by another account")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Submit real-name verification (科普员认证); a reviewer decides (stage realname)."""
        if payload.get("org_id"):
            payload["org_id"] = str(payload["org_id"])
        return rpc.call("identity", "submit_verification", g.claims["sub"], payload)
