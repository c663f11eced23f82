"""The signed-in user's own profile."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from gateway.blueprints.auth import User

bp = Blueprint("me", __name__, description="The signed-in user")


@bp.route("")
class MeView(MethodView):
    @require_auth()
    @bp.response(200, User)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Profile and roles."""
        return rpc.call("identity", "me", g.claims["sub"])
