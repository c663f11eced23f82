"""Platform administration: role grants (audited by identity; identity's schemas)."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from services.identity.schemas import AuditEntrySchema, RoleChange, RolesSchema

bp = Blueprint("admin", __name__, description="Platform administration (platform_admin only)")


@bp.route("/users/<uuid:user_id>/roles")
class UserRoles(MethodView):
    @require_auth("platform_admin")
    @bp.arguments(RoleChange)
    @bp.response(200, RolesSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, change, user_id):
        """Grant a role; granting one the user has changes nothing."""
        return rpc.call("identity", "grant_role", {**change, "actor_id": g.claims["sub"], "user_id": str(user_id)})

    @require_auth("platform_admin")
    @bp.arguments(RoleChange)
    @bp.response(200, RolesSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def delete(self, change, user_id):
        """Revoke a role."""
        return rpc.call("identity", "revoke_role", {**change, "actor_id": g.claims["sub"], "user_id": str(user_id)})


@bp.route("/users/<uuid:user_id>/role-audit")
class UserRoleAudit(MethodView):
    @require_auth("platform_admin")
    @bp.response(200, AuditEntrySchema(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, user_id):
        """Every grant and revocation for the user: what, by whom, when, why."""
        return rpc.call("identity", "role_audit", str(user_id))
