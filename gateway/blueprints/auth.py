"""Accounts and tokens: SMS code, registration, sign-in, refresh, sign-out, and the session check."""
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gateway import rpc
from gateway.auth import require_auth
from gateway.schema_fields import timestamp

bp = Blueprint("auth", __name__, description="Accounts and tokens")


class SmsCodeRequest(Schema):
    phone = fields.String(required=True, metadata={"example": "13800138000"})
    purpose = fields.String(load_default="register", validate=validate.OneOf(("register", "reset_password")))


class SmsCodeSent(Schema):
    phone = fields.String(metadata={"description": "masked, e.g. 138****8000"})
    expires_in = fields.Integer(metadata={"description": "seconds the code stays valid"})
    debug_code = fields.String(metadata={"description": "only when the platform runs with SMS_DEBUG_ECHO=1 (never in production)"})


class RegisterRequest(Schema):
    phone = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "the 6-digit SMS code"})
    password = fields.String(required=True, metadata={"description": "8-128 characters, letters and digits"})


class LoginRequest(Schema):
    phone = fields.String(required=True)
    password = fields.String(required=True)


class RefreshRequest(Schema):
    refresh_token = fields.String(required=True)


class Tokens(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer()
    refresh_token = fields.String()
    refresh_expires_in = fields.Integer()


class Role(Schema):
    role = fields.String()
    scope = fields.String()


class User(Schema):
    id = fields.String()
    phone = fields.String()
    created_at = timestamp()
    roles = fields.List(fields.Nested(Role))


class SignedIn(Schema):
    user = fields.Nested(User)
    tokens = fields.Nested(Tokens)


class SignedOut(Schema):
    revoked = fields.Boolean()


class Session(Schema):
    user_id = fields.String(attribute="sub")
    roles = fields.List(fields.String())
    expires_at = fields.Integer(attribute="exp", metadata={"description": "Unix time the token expires"})


def client_ip():
    return request.remote_addr or "unknown"


@bp.route("/sms-code")
class SmsCodeView(MethodView):
    @bp.arguments(SmsCodeRequest)
    @bp.response(202, SmsCodeSent)
    @bp.alt_response(409, description="the phone is already registered")
    @bp.alt_response(429, description="too many codes for this phone or address; see Retry-After")
    def post(self, payload):
        """Send a 6-digit code by SMS (valid 5 minutes, single use)."""
        return rpc.call("identity", "request_sms_code", {**payload, "client_ip": client_ip()})


@bp.route("/register")
class RegisterView(MethodView):
    @bp.arguments(RegisterRequest)
    @bp.response(201, SignedIn)
    @bp.alt_response(409, description="the phone is already registered")
    def post(self, payload):
        """Create an account with the SMS code; returns tokens, so the user is signed in."""
        return rpc.call("identity", "register", {**payload, "client_ip": client_ip()})


@bp.route("/login")
class LoginView(MethodView):
    @bp.arguments(LoginRequest)
    @bp.response(200, SignedIn)
    @bp.alt_response(401, description="wrong phone or password")
    @bp.alt_response(429, description="too many attempts; see Retry-After")
    def post(self, payload):
        """Sign in: a short-lived access token and a refresh token."""
        return rpc.call("identity", "login", {**payload, "client_ip": client_ip()})


@bp.route("/refresh")
class RefreshView(MethodView):
    @bp.arguments(RefreshRequest)
    @bp.response(200, Tokens)
    @bp.alt_response(401, description="unknown, used, expired or revoked refresh token")
    def post(self, payload):
        """New tokens for a refresh token; each refresh token works once."""
        return rpc.call("identity", "refresh", payload)


@bp.route("/logout")
class LogoutView(MethodView):
    @bp.arguments(RefreshRequest)
    @bp.response(200, SignedOut)
    def post(self, payload):
        """Revoke the refresh token (the access token lapses on its own within minutes)."""
        return rpc.call("identity", "logout", payload)


@bp.route("/session")
class SessionView(MethodView):
    @require_auth()
    @bp.response(200, Session)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """What the presented access token says: who, which roles, until when."""
        return g.claims
