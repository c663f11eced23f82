"""Shares (分享): start one over RPC; its return is the hot path, checked here and published, no RPC.
Also the signed-in communicator's points and statistics (/me/points, /me/stats, a blueprint of their own
beside identity's /me)."""
import json
from datetime import datetime, timezone

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc, share_return
from gateway.auth import require_auth
from gateway.share_events import ShareReturnPublisher
from gateway.share_fast_path import PUBLISH_FAILED, ShareReturnFastPath
from services.metrics import contracts
from services.metrics.schemas import MeStatsSchema, PageRequest, PointsSchema, ShareRequest, ShareReturnSchema, ShareSchema

bp = Blueprint("shares", __name__, description="Shares: start one, and count it when the user comes back")
me = Blueprint("me_metrics", __name__, description="The signed-in communicator's points and statistics")
# only communicators (a verified real name) share and earn points by it; the fast path checks the same role
COMMUNICATOR = "communicator"


def share_key(app=None):
    app = app or current_app
    key = app.extensions.get("share_key")
    if key is None:
        key = app.extensions["share_key"] = contracts.load_key(app.config["SHARE_KEY_FILE"])
    return key


def publisher(app=None):
    app = app or current_app
    found = app.extensions.get("share_returns")
    if found is None:
        found = app.extensions.setdefault("share_returns", ShareReturnPublisher(
            app.config["AMQP_URI"], app.config["EVENT_QUEUE_TYPE"], app.config["SHARE_CONFIRM_TIMEOUT"]))
    return found


def init_fast_path(app):
    """The accepted case before Flask (gateway/share_fast_path.py): same answer, a fraction of the CPU."""
    if app.config["SHARE_FAST_PATH"]:
        app.wsgi_app = ShareReturnFastPath(app, app.wsgi_app, lambda: share_key(app), lambda: publisher(app))


@bp.route("")
class Shares(MethodView):
    @require_auth(COMMUNICATOR)
    @bp.arguments(ShareRequest)
    @bp.response(201, ShareSchema)
    @bp.alt_response(403, description="`role_required`: only communicators (verified real name) share")
    @bp.alt_response(404, description="the content does not exist or cannot be shared (`content_id`: `not_shareable`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, share):
        """Start a share of a resource, an approved activity or an article, on a channel; keep the share id."""
        return rpc.call("metrics", "start_share", g.claims["sub"], ShareRequest().dump(share))


@bp.route("/<share_id>/return")
class ShareReturn(MethodView):
    @require_auth(COMMUNICATOR)
    @bp.response(202, ShareReturnSchema)
    @bp.alt_response(403, description="`role_required`: only communicators (verified real name) earn by shares")
    @bp.alt_response(404, description="no such share, or not yours")
    @bp.alt_response(422, description="after the return window (`share_id`: `return_window_closed`, "
                                      "`details.window_end`)")
    @bp.alt_response(503, description="the message broker did not take the return (`details.dependency`: broker); "
                                      "retry: it is counted once")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, share_id):
        """The user came back to the app (返回科普中国): the share counts, once, however often this is sent."""
        failed = request.environ.get(PUBLISH_FAILED)  # the fast path tried already: no second publish
        answer = share_return.accept(share_key(), publisher(), share_id, g.claims["sub"], datetime.now(timezone.utc),
                                     publish_failed=failed)
        # the hot path's answer is built here, not dumped through ShareReturnSchema (which documents it):
        # flask-smorest passes a Response through as it is
        return current_app.response_class(json.dumps(answer), 202, mimetype="application/json")


@me.route("/points")
class MyPoints(MethodView):
    @require_auth()
    @me.arguments(PageRequest, location="query")
    @me.response(200, PointsSchema)
    @me.doc(security=[{"bearerAuth": []}])
    def get(self, page):
        """Your balance and its ledger, newest first: every change with its reason."""
        return rpc.call("metrics", "points", g.claims["sub"], page)


@me.route("/stats")
class MyStats(MethodView):
    @require_auth()
    @me.response(200, MeStatsSchema)
    @me.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Your shares today and in total, points, and rank in your city this week (as of 00:00)."""
        return rpc.call("metrics", "me_stats", g.claims["sub"])
