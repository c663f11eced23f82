"""Platform administration: role grants (audited by identity; identity's schemas)."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from services.identity.schemas import AuditEntrySchema, RoleChange, RolesSchema, UserHitSchema, UserLookupRequest

bp = Blueprint("admin", __name__, description="Platform administration (platform_admin only)")


@bp.route("/users")
class Users(MethodView):
    @require_auth("platform_admin")
    @bp.arguments(UserLookupRequest, location="query")
    @bp.response(200, UserHitSchema(many=True))
    @bp.alt_response(400, description="not a mobile number (`phone`: `phone_invalid`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Find an account by its exact phone, to grant it a role without asking for its id: phone and real name
        masked, whether it is real-name verified, its roles; [] when no account has the phone."""
        return rpc.call("identity", "find_users_by_phone", g.claims["sub"], query)


@bp.route("/users/<uuid:user_id>/roles")
class UserRoles(MethodView):
    @require_auth("platform_admin")
    @bp.arguments(RoleChange)
    @bp.response(200, RolesSchema)
    @bp.alt_response(422, description="a role that reviews or administers (reviewer, platform_admin, org_admin, "
                                      "district_admin, street_admin) for an account without approved real-name "
                                      "verification (`role_needs_verified_account`, `user_id`: `account_not_verified`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, change, user_id):
        """Grant a role; granting one the user has changes nothing. Roles that review or administer go only to
        real-name-verified accounts."""
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
