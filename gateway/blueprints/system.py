"""Platform plumbing visible through the API: service status and the ping round trip over the event bus."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gateway import rpc
from gateway.auth import require_auth
from kepu_common.interfaces.errors import NotFound
from gateway.settings import SERVICES
from services.identity.schemas import PingRequestSchema as PingRequest
from services.identity.schemas import PingSchema as Ping
from services.metrics.schemas import PingReceiptSchema as PingReceipt

bp = Blueprint("system", __name__, description="Platform status and the event-bus round trip")


class ServiceStatus(Schema):
    service = fields.String()
    database = fields.String()
    outbox_pending = fields.Integer(metadata={"description": "events written but not yet confirmed by the broker"})
    storage = fields.String()


@bp.route("/services/<name>")
class ServiceHealth(MethodView):
    @bp.response(200, ServiceStatus)
    @bp.alt_response(404, description="no such service")
    @bp.alt_response(503, description="the service or its database does not answer")
    def get(self, name):
        """One service's health: answers over RPC and reaches its database."""
        if name not in SERVICES:
            raise NotFound("no_such_service", {"name": ("not_one_of", {"choices": ", ".join(SERVICES)})}, name=name)
        return rpc.call(name, "health")


@bp.route("/pings")
class Pings(MethodView):
    @require_auth("platform_admin")
    @bp.arguments(PingRequest)
    @bp.response(202, Ping)
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Record a ping in identity; its event travels outbox → RabbitMQ → metrics."""
        return rpc.call("identity", "ping", payload)


@bp.route("/pings/<uuid:ping_id>")
class PingReceiptView(MethodView):
    @require_auth("platform_admin")
    @bp.response(200, PingReceipt)
    @bp.alt_response(404, description="metrics has not received this ping (yet)")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, ping_id):
        """Whether metrics received the ping's event, and how many times it applied it."""
        receipt = rpc.call("metrics", "ping_receipt", str(ping_id))
        if receipt is None:
            raise NotFound("ping_not_received")
        return receipt
