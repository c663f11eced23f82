"""Areas: district and street admins see the communicators of their area."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gateway import rpc
from gateway.auth import require_auth
from gateway.blueprints.orgs import Page
from gateway.schema_fields import timestamp

bp = Blueprint("regions", __name__, description="Areas and their communicators")


class AreaCommunicator(Schema):
    user_id = fields.String()
    phone = fields.String(metadata={"description": "masked"})
    real_name = fields.String()
    communicator_type = fields.String()
    region_code = fields.String()
    region = fields.String()
    organization = fields.String(allow_none=True)
    registered_at = timestamp()
    verified_at = timestamp(allow_none=True)
    shares = fields.Integer(allow_none=True, metadata={"description": "null until the metrics service counts shares"})


@bp.route("/<code>/communicators")
class AreaCommunicators(MethodView):
    @require_auth("district_admin", "street_admin", "platform_admin")
    @bp.arguments(Page, location="query")
    @bp.response(200, AreaCommunicator(many=True))
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, page, code):
        """Verified communicators whose region lies inside the area (the admin's own area or one inside it)."""
        return rpc.call("identity", "region_communicators", g.claims["sub"], code, page)
