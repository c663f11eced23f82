"""Statistics (as of 00:00 Asia/Shanghai where they say as_of): organizations, leaderboards, recognition
(JSON and CSV), activities, downloads; and the platform admin's metrics settings."""
import io
from datetime import datetime, timedelta

from flask import g, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from gateway.recognition_csv import COLUMNS, csv_text, file_name
from kepu_common.interfaces.messages import negotiate, text
from services.metrics.constants import SHANGHAI
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
RECOGNITION_READERS = AREA_ADMINS  # each sees full names only of the people they are concerned with
PEOPLE_CHUNK = 1000  # identity's people RPC takes up to this many at once


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


def named(rows, actor_id=None):
    """rows (each with a user_id) with masked_name, and real_name and phone where identity lets the actor
    see them (services/identity/people.py: the admins concerned); identity is asked PEOPLE_CHUNK at a time.
    Without an actor only the rows metrics has no masked name for are asked (verified before user_verified
    carried it): a board page normally costs no second RPC."""
    ask = rows if actor_id is not None else [r for r in rows if not r.get("masked_name")]
    ids = sorted({str(r["user_id"]) for r in ask if r.get("user_id")})
    found = {}
    for i in range(0, len(ids), PEOPLE_CHUNK):
        for person in rpc.call("identity", "people", {"user_ids": ids[i:i + PEOPLE_CHUNK], "actor_id": actor_id}):
            found[str(person["user_id"])] = person
    for row in ask:
        person = found.get(str(row.get("user_id")), {})
        row["masked_name"] = person.get("masked_name") or row.get("masked_name")
        if actor_id is not None:
            row["real_name"], row["phone"] = person.get("real_name"), person.get("phone")
    return rows


@bp.route("/leaderboard")
class Leaderboard(MethodView):
    @require_auth()
    @bp.arguments(LeaderboardRequest, location="query")
    @bp.response(200, LeaderboardSchema)
    @bp.alt_response(400, description="`code` is not a city (scope city) or not a province (scope province): "
                                      "`leaderboard_code_invalid`, `code`: `not_a_city`, `not_a_province` or "
                                      "`region_unknown`")
    @bp.alt_response(404, description="no such campaign (`campaign_id`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Communicators (or organizations) by counted shares in a city, province or organization, over a day,
        a week or a campaign, as of 00:00, with your own rank. Communicators are named by their real name
        masked (王*明), with their organization and region; a municipality's city code (110100) and its
        province code (110000) give the same board."""
        board = rpc.call("metrics", "leaderboard", g.claims["sub"], LeaderboardRequest().dump(query))
        if query["subject"] == "communicators":
            named(board["items"])
        return board


def _recognitions(query):
    found = rpc.call("metrics", "recognitions", RecognitionRequest().dump(query))
    named(found["individuals"], g.claims["sub"])
    return found


@bp.route("/recognitions")
class Recognitions(MethodView):
    @require_auth(*RECOGNITION_READERS)
    @bp.arguments(RecognitionRequest, location="query")
    @bp.response(200, RecognitionSchema)
    @bp.alt_response(404, description="no such campaign")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Organizations and individuals reaching the campaign's thresholds. Individuals are named in full, with
        their phone masked, for the platform admin and the admins of their area or organization (a CAST's
        admins: its region); for any other admin by the masked name only."""
        return _recognitions(query)


@bp.route("/recognitions.csv")
class RecognitionsCsv(MethodView):
    @require_auth(*RECOGNITION_READERS)
    @bp.arguments(RecognitionRequest, location="query")
    @bp.response(200, description="text/csv, UTF-8 with a BOM: one header row, then one row per organization and "
                                  "per person; the campaign and its period are in the file name")
    @bp.alt_response(404, description="no such campaign")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """The recognition list as a table (CSV), named as in GET /recognitions; headers in the reader's
        language."""
        found = _recognitions(query)
        locale = negotiate(request.headers.get("Accept-Language"))
        headers = {"columns": [text(f"recognition_column.{c}", locale) for c in COLUMNS],
                   "org": text("recognition_kind.org", locale), "individual": text("recognition_kind.individual", locale)}
        body = csv_text(found["orgs"], found["individuals"], headers).encode("utf-8")
        as_of_day = datetime.fromisoformat(found["as_of"]).astimezone(SHANGHAI).date() - timedelta(days=1)
        return send_file(io.BytesIO(body), mimetype="text/csv", as_attachment=True,
                         download_name=file_name(found["campaign"], as_of_day))


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
    @bp.alt_response(403, description="`org_stats_forbidden`: `org_id` of an organization you neither registered "
                                      "nor belong to (platform admins see every one)")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Resource downloads: the total and the most downloaded (optionally of one organization: its
        registrant, its members and platform admins only)."""
        return rpc.call("metrics", "downloads", DownloadsRequest().dump(query), user_id=g.claims["sub"],
                        admin=ADMIN in g.claims.get("roles", []))


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
