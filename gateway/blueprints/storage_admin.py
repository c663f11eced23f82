"""Object storage administration: what the integrity scrub found (resources' schemas)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from services.resources.scrub_schemas import FindingPageSchema, FindingsRequest

bp = Blueprint("storage_admin", __name__, description="Object storage administration (platform_admin only)")


@bp.route("/findings")
class Findings(MethodView):
    @require_auth("platform_admin")
    @bp.arguments(FindingsRequest, location="query")
    @bp.response(200, FindingPageSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Stored files the integrity scrub found unsound: a SHA-256 that no longer matches the one recorded
        at upload (mismatch) or an object gone from storage (missing), newest first, with the resource each
        belongs to and where the scrub stands. Open ones by default; a later pass that finds the file sound
        again resolves it."""
        return rpc.call("resources", "scrub_findings", query)
