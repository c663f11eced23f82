"""Accounts and tokens. Sign-up and sign-in arrive with the identity service; the token check is here."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gateway.auth import require_auth

bp = Blueprint("auth", __name__, description="Accounts and tokens")


class Session(Schema):
    user_id = fields.String(attribute="sub")
    roles = fields.List(fields.String())
    expires_at = fields.Integer(attribute="exp", metadata={"description": "Unix time the token expires"})


@bp.route("/session")
class SessionView(MethodView):
    @require_auth()
    @bp.response(200, Session)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """What the presented access token says: who, which roles, until when."""
        return g.claims
