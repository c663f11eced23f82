"""Areas: district and street admins see the communicators of their area (identity's schemas), with each
one's counted shares from metrics."""
import logging

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from kepu_common.rpc_client import RpcError
from kepu_common.schema_fields import PageRequest
from services.identity.schemas import AreaCommunicatorPageSchema

log = logging.getLogger(__name__)

bp = Blueprint("regions", __name__, description="Areas and their communicators")


@bp.route("/<code>/communicators")
class AreaCommunicators(MethodView):
    @require_auth("district_admin", "street_admin", "platform_admin")
    @bp.arguments(PageRequest, location="query")
    @bp.response(200, AreaCommunicatorPageSchema)
    @bp.alt_response(400, description="not a current division or township code (`code`: `region_unknown`)")
    @bp.alt_response(403, description="the area is not inside the admin's own (`area_admins_only`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, page, code):
        """Verified communicators whose region lies inside the area: a county (6 digits) or a township (9 digits),
        the admin's own area or one inside it. A district or street admin gets the role, scoped to the division
        they were verified for, when their verification is approved."""
        listed = rpc.call("identity", "region_communicators", g.claims["sub"], code, page)
        return dict(listed, items=with_shares(listed["items"]))


def with_shares(communicators):
    """Each communicator's counted shares, from metrics; null (as before) while metrics cannot answer."""
    if not communicators:
        return communicators
    try:
        shares = rpc.call("metrics", "shares_of_users", [c["user_id"] for c in communicators])
    except RpcError as exc:
        log.warning("area view without share counts: %s", exc)
        return communicators
    return [dict(c, shares=shares.get(str(c["user_id"]))) for c in communicators]
