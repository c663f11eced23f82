"""The signed-in person's notifications (issue 24): the inbox, marking read, SMS preferences.

Identity owns them (services/identity/notifications); request and response schemas are its own. Texts come in
the reader's language (Accept-Language), rendered by identity from the stored kind and parameters.
"""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from services.identity.notifications.schemas import (
    MarkedSchema, MarkReadRequest, NotificationPageRequest, NotificationPageSchema, PreferencesRequest,
    PreferencesSchema, UnreadSchema,
)

bp = Blueprint("notifications", __name__, description="The signed-in person's notifications and SMS preferences")


@bp.route("/notifications")
class Inbox(MethodView):
    @require_auth()
    @bp.arguments(NotificationPageRequest, location="query")
    @bp.response(200, NotificationPageSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """The inbox, newest first, with the unread count; a page past the end is empty (has_more false)."""
        return rpc.call("identity", "list_notifications", g.claims["sub"], query)


@bp.route("/notifications/unread-count")
class Unread(MethodView):
    @require_auth()
    @bp.response(200, UnreadSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """How many notifications are unread (for a badge)."""
        return rpc.call("identity", "unread_notifications", g.claims["sub"])


@bp.route("/notifications/read")
class MarkRead(MethodView):
    @require_auth()
    @bp.arguments(MarkReadRequest)
    @bp.response(200, MarkedSchema)
    @bp.alt_response(404, description="`notification_not_found`: an id is not one of the reader's notifications "
                                      "(`details.ids` names them); nothing was marked")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, payload):
        """Mark notifications read: `{"ids": [...]}` (up to 100) or `{"all": true}`."""
        if payload.get("ids"):
            payload["ids"] = [str(i) for i in payload["ids"]]
        return rpc.call("identity", "mark_notifications_read", g.claims["sub"], payload)


@bp.route("/notifications/<uuid:notification_id>/read")
class MarkOneRead(MethodView):
    @require_auth()
    @bp.response(200, MarkedSchema)
    @bp.alt_response(404, description="`notification_not_found`: not one of the reader's notifications")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, notification_id):
        """Mark one notification read (again: no change)."""
        return rpc.call("identity", "mark_notifications_read", g.claims["sub"], {"ids": [str(notification_id)]})


@bp.route("/notification-preferences")
class Preferences(MethodView):
    @require_auth()
    @bp.response(200, PreferencesSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Which kinds reach this person by SMS, the quiet hours (Asia/Shanghai) and the daily SMS limit."""
        return rpc.call("identity", "notification_preferences", g.claims["sub"])

    @require_auth()
    @bp.arguments(PreferencesRequest)
    @bp.response(200, PreferencesSchema)
    @bp.alt_response(400, description="`notification_kind_unknown` or `notification_sms_not_offered` on the field "
                                      "`sms.<kind>`; nothing is stored")
    @bp.doc(security=[{"bearerAuth": []}])
    def put(self, payload):
        """Turn SMS on or off per kind (`{"sms": {"verification_rejected": false}}`); the inbox always has
        everything."""
        return rpc.call("identity", "set_notification_preferences", g.claims["sub"], payload)
