"""The signed-in user: profile, roles, real-name verification (identity's schemas)."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from gateway.blueprints.orgs import Licence, store_image
from gateway.image_uploads import image_upload_doc
from services.identity.contracts import letter_prefix
from services.identity.schemas import (
    UserSchema, VerificationChangeRequest, VerificationChangeSchema, VerificationRequest, VerificationSchema,
)

bp = Blueprint("me", __name__, description="The signed-in user")


@bp.route("")
class MeView(MethodView):
    @require_auth()
    @bp.response(200, UserSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Profile, roles, the latest real-name verification and re-verification, one's organization and the
        organizations one registered (with status and the reviewer's reason)."""
        return rpc.call("identity", "me", g.claims["sub"])


@bp.route("/verification")
class VerificationView(MethodView):
    @require_auth()
    @bp.arguments(VerificationRequest)
    @bp.response(202, VerificationSchema)
    @bp.alt_response(400, description="a township outside the chosen county (`township_code`: "
                                      "`township_outside_region`), a district or street admin without an appointment "
                                      "letter (`appointment_letter_key`: `appointment_letter_required`)…")
    @bp.alt_response(409, description="already pending or approved, or the ID number is used by another account")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Submit real-name verification (科普员认证); a reviewer decides (stage realname). A district or street
        admin (区县级/乡镇街道管理员) shows an appointment letter from POST /me/appointment-letter; the reviewer
        sees it and what approval grants."""
        if payload.get("org_id"):
            payload["org_id"] = str(payload["org_id"])
        return rpc.call("identity", "submit_verification", g.claims["sub"], payload)


@bp.route("/verification/change")
class VerificationChangeView(MethodView):
    @require_auth("communicator")
    @bp.arguments(VerificationChangeRequest)
    @bp.response(202, VerificationChangeSchema)
    @bp.alt_response(400, description="nothing to change (`verification_change_empty`), a township outside the "
                                      "verified county (`township_outside_region`), an unverified organization")
    @bp.alt_response(409, description="a change is already pending (`verification_change_pending`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Re-verification: change unit, township or organization. Reviewed (stage realname) while the approved
        verification stays in force; adding a township to an individual communicator's verification that has
        none applies at once (status approved)."""
        if payload.get("org_id"):
            payload["org_id"] = str(payload["org_id"])
        return rpc.call("identity", "request_verification_change", g.claims["sub"], payload)


@bp.route("/appointment-letter")
class AppointmentLetterUpload(MethodView):
    streams_body = True  # the image streams to storage; body_rules must not read it as JSON

    @require_auth()
    @image_upload_doc(bp, Licence)
    def post(self):
        """Upload the appointment letter (任命文件) of a district or street admin (the raw image as the body);
        the answer's licence_key goes as appointment_letter_key in POST /me/verification."""
        return store_image(letter_prefix(g.claims["sub"]), "appointment_letter", "appointment_letter")
