"""Statistics (as of 00:00 Asia/Shanghai where they say as_of): organizations, leaderboards, recognition
(JSON and CSV), activities, downloads; and the platform admin's metrics settings."""
from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from kepu_common.messages import negotiate
from services.metrics.schemas import (
    ActivityStatsRequest, ActivityStatsSchema, CampaignRequest, CampaignSchema, DownloadsRequest, DownloadsSchema,
    LeaderboardRequest, LeaderboardSchema, OrgStatsSchema, RecognitionRequest, RecognitionSchema, SettingsSchema,
)

bp = Blueprint("stats", __name__, description="Leaderboards, recognition, activity and download statistics")
orgs = Blueprint("org_stats", __name__, description="An organization's statistics, as of 00:00")
admin = Blueprint("metrics_admin", __name__, description="Points, caps, windows, thresholds and campaigns "
                                                         "(platform_admin only)")
ADMIN = "platform_admin"
AREA_ADMINS = ("platform_admin", "district_admin", "street_admin", "org_admin")


@orgs.route("/<uuid:org_id>/stats")
class OrgStats(MethodView):
    @require_auth()
    @orgs.response(200, OrgStatsSchema)
    @orgs.alt_response(403, description="neither its registrant, a member, nor a platform admin")
    @orgs.alt_response(404, description="no such organization")
    @orgs.doc(security=[{"bearerAuth": []}])
    def get(self, org_id):
        """Registered communicators and the shares made by them, as of today 00:00 Asia/Shanghai (as_of)."""
        return rpc.call("metrics", "org_stats", g.claims["sub"], str(org_id),
                        admin=ADMIN in g.claims.get("roles", []))


@bp.route("/leaderboard")
class Leaderboard(MethodView):
    @require_auth()
    @bp.arguments(LeaderboardRequest, location="query")
    @bp.response(200, LeaderboardSchema)
    @bp.alt_response(404, description="no such campaign (`campaign_id`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Communicators (or organizations) by counted shares in a city, province or organization, over a day,
        a week or a campaign, as of 00:00, with your own rank."""
        return rpc.call("metrics", "leaderboard", g.claims["sub"], LeaderboardRequest().dump(query))


@bp.route("/recognitions")
class Recognitions(MethodView):
    @require_auth(ADMIN)
    @bp.arguments(RecognitionRequest, location="query")
    @bp.response(200, RecognitionSchema)
    @bp.alt_response(404, description="no such campaign")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Organizations and individuals reaching the campaign's thresholds (platform admin)."""
        return rpc.call("metrics", "recognitions", RecognitionRequest().dump(query))


@bp.route("/recognitions.csv")
class RecognitionsCsv(MethodView):
    @require_auth(ADMIN)
    @bp.arguments(RecognitionRequest, location="query")
    @bp.response(200, description="text/csv, UTF-8 with a BOM (Excel opens the Chinese correctly)")
    @bp.alt_response(404, description="no such campaign")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """The recognition list as CSV (platform admin); headers in the reader's language."""
        text = rpc.call("metrics", "recognitions_csv", RecognitionRequest().dump(query),
                        negotiate(request.headers.get("Accept-Language")))
        return Response(text.encode("utf-8"), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="recognitions-{query["campaign_id"]}.csv"'})


@bp.route("/stats/activities")
class ActivityStats(MethodView):
    @require_auth(*AREA_ADMINS)
    @bp.arguments(ActivityStatsRequest, location="query")
    @bp.response(200, ActivityStatsSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Approved activities per supervising-unit channel, per region and per campaign."""
        return rpc.call("metrics", "activity_stats", ActivityStatsRequest().dump(query))


@bp.route("/stats/downloads")
class DownloadStats(MethodView):
    @require_auth(*AREA_ADMINS)
    @bp.arguments(DownloadsRequest, location="query")
    @bp.response(200, DownloadsSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Resource downloads: the total and the most downloaded (optionally of one organization)."""
        return rpc.call("metrics", "downloads", DownloadsRequest().dump(query))


@admin.route("/settings")
class Settings(MethodView):
    @require_auth(ADMIN)
    @admin.response(200, SettingsSchema)
    @admin.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Points per channel, daily cap, return window, recognition thresholds."""
        return rpc.call("metrics", "get_settings")

    @require_auth(ADMIN)
    @admin.arguments(SettingsSchema)
    @admin.response(200, SettingsSchema)
    @admin.doc(security=[{"bearerAuth": []}])
    def patch(self, changes):
        """Change any of them; a channel set to 0 earns no points (its shares still count)."""
        return rpc.call("metrics", "update_settings", SettingsSchema().dump(changes))


@admin.route("/campaigns")
class Campaigns(MethodView):
    @require_auth(ADMIN)
    @admin.response(200, CampaignSchema(many=True))
    @admin.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Campaign windows for leaderboards and recognition."""
        return rpc.call("metrics", "campaigns")


@admin.route("/campaigns/<uuid:campaign_id>")
class Campaign(MethodView):
    @require_auth(ADMIN)
    @admin.arguments(CampaignRequest)
    @admin.response(200, CampaignSchema)
    @admin.doc(security=[{"bearerAuth": []}])
    def put(self, campaign, campaign_id):
        """Set a campaign's name and window (Asia/Shanghai dates); the id is the activities' campaign id."""
        return rpc.call("metrics", "put_campaign", str(campaign_id), CampaignRequest().dump(campaign))
