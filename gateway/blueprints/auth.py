"""Accounts and tokens: SMS code, registration, sign-in, refresh, sign-out, and the session check.

Request and response schemas are identity's own (services/identity/schemas.py); the gateway adds the
client's address (rate limits) and answers the session check from the token itself.
"""
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from gateway import rpc
from gateway.auth import require_auth
from services.identity.schemas import (
    LoginRequest, PasswordResetRequest, RefreshRequest, RegisterRequest, SignedInSchema, SignedOutSchema,
    SmsCodeRequest, SmsCodeSentSchema, SmsLoginRequest,
)

bp = Blueprint("auth", __name__, description="Accounts and tokens")


class Session(Schema):
    """What the gateway read from the access token (no call to identity)."""

    user_id = fields.String(attribute="sub")
    roles = fields.List(fields.String())
    expires_at = fields.Integer(attribute="exp", metadata={"description": "Unix time the token expires"})


def client_ip():
    return request.remote_addr or "unknown"


@bp.route("/sms-code")
class SmsCodeView(MethodView):
    @bp.arguments(SmsCodeRequest)
    @bp.response(202, SmsCodeSentSchema)
    @bp.alt_response(429, description="too many codes for this phone or address; see Retry-After")
    @bp.alt_response(503, description="the SMS provider is failing just now (`sms_unavailable`); try later")
    def post(self, payload):
        """Send a 6-digit code by SMS (valid 5 minutes, single use). The answer is the same whether or not the
        phone is registered: a code goes only where its purpose fits (register: a new phone; login and
        reset_password: a registered one), and the limits count every request first."""
        return rpc.call("identity", "request_sms_code", {**payload, "client_ip": client_ip()})


@bp.route("/register")
class RegisterView(MethodView):
    @bp.arguments(RegisterRequest)
    @bp.response(201, SignedInSchema)
    @bp.alt_response(400, description="wrong, expired or missing code (`code`: `sms_code_wrong`, `sms_code_expired`, "
                                      "`sms_code_missing`; a registered phone never gets a register code), or a weak "
                                      "password (`password`)")
    @bp.alt_response(409, description="the phone was registered after its code was sent")
    @bp.alt_response(422, description="too many wrong codes: request a new one (`code`: `sms_code_locked`)")
    def post(self, payload):
        """Create an account with the SMS code; returns tokens, so the user is signed in."""
        return rpc.call("identity", "register", {**payload, "client_ip": client_ip()})


@bp.route("/login")
class LoginView(MethodView):
    @bp.arguments(LoginRequest)
    @bp.response(200, SignedInSchema)
    @bp.alt_response(401, description="wrong phone or password")
    @bp.alt_response(429, description="too many wrong passwords (or refused tries) from this address "
                                      "(`too_many_attempts`), or an account guessed at from many addresses is slowed "
                                      "for addresses it never signed in from (`sign_in_slowed`); see Retry-After. "
                                      "Signing in by SMS code is never blocked by these")
    def post(self, payload):
        """Sign in with a password: a short-lived access token and a refresh token. Correct passwords never count
        towards a limit (docs/operations.md, "Signing in")."""
        return rpc.call("identity", "login", {**payload, "client_ip": client_ip()})


@bp.route("/sms-login")
class SmsLoginView(MethodView):
    @bp.arguments(SmsLoginRequest)
    @bp.response(200, SignedInSchema)
    @bp.alt_response(400, description="wrong, expired or missing code (`code`: `sms_code_wrong`, `sms_code_expired`, "
                                      "`sms_code_missing`)")
    @bp.alt_response(422, description="too many wrong codes: request a new one (`code`: `sms_code_locked`)")
    def post(self, payload):
        """Sign in with the code sent by POST /auth/sms-code with purpose `login` (一键登录's portable form). An
        unregistered phone meets `sms_code_missing`, as any phone that asked for no code."""
        return rpc.call("identity", "sms_login", {**payload, "client_ip": client_ip()})


@bp.route("/password-reset")
class PasswordResetView(MethodView):
    @bp.arguments(PasswordResetRequest)
    @bp.response(200, SignedInSchema)
    @bp.alt_response(400, description="weak password (`password`), or a wrong, expired or missing code (`code`)")
    @bp.alt_response(422, description="too many wrong codes: request a new one (`code`: `sms_code_locked`)")
    def post(self, payload):
        """Set a new password with the code sent for purpose `reset_password`: every other session signs out,
        and this one is signed in."""
        return rpc.call("identity", "reset_password", {**payload, "client_ip": client_ip()})


@bp.route("/refresh")
class RefreshView(MethodView):
    @bp.arguments(RefreshRequest)
    @bp.response(200, SignedInSchema)
    @bp.alt_response(401, description="unknown, used, expired or revoked refresh token")
    def post(self, payload):
        """New tokens for a refresh token, in the same shape as login and register ({user, tokens}); each refresh
        token works once."""
        return rpc.call("identity", "refresh", payload)


@bp.route("/logout")
class LogoutView(MethodView):
    @bp.arguments(RefreshRequest)
    @bp.response(200, SignedOutSchema)
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
