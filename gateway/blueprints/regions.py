"""Areas: district and street admins see the communicators of their area (identity's schemas)."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from services.identity.schemas import AreaCommunicatorSchema, PageRequest

bp = Blueprint("regions", __name__, description="Areas and their communicators")


@bp.route("/<code>/communicators")
class AreaCommunicators(MethodView):
    @require_auth("district_admin", "street_admin", "platform_admin")
    @bp.arguments(PageRequest, location="query")
    @bp.response(200, AreaCommunicatorSchema(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, page, code):
        """Verified communicators whose region lies inside the area (the admin's own area or one inside it)."""
        return rpc.call("identity", "region_communicators", g.claims["sub"], code, page)
