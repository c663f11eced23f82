"""Activities (全国科普日): campaigns for platform admins; publishing, edits, the shelf, follow-up materials
and nominations for organizations; the public listing, detail and iCalendar exports for anyone;
/my/activities for an organization's own list with every status and reason.

Uploads (the poster, follow-up photos and videos) go through /uploads as for resources; a form names
them by upload id and this blueprint attaches them with resources.attach_uploads (which refuses unknown,
incomplete or foreign uploads and measures videos) before calling the activities service with the
attached files' descriptions.
"""
import hashlib
from datetime import datetime

from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import current_claims, require_auth
from kepu_common.interfaces.messages import negotiate
from services.activities.schemas import (
    ActivityCampaignUpdate, CampaignChangeSchema, FollowupExtensionRequest, FollowupExtensionSchema, UnitStatsRequest,
    UnitStatsSchema,
)
from services.activities.schemas import (
    ActivityCampaignList, ActivityCampaignRequest, ActivityCampaignSchema, ActivityForm, ActivityListRequest,
    ActivityNominationSchema, ActivityPage, ActivitySchema, ActivityShelfRequest, ActivitySubmitForm,
    ActivityVersionSchema, FollowupForm, FollowupSchema, MyActivitiesRequest, NominatedList, NominationListRequest,
    NominationWithdrawRequest,
)
from services.activities.schemas import PosterCheckRequest, PosterCheckSchema

campaigns = Blueprint("campaigns", __name__, description="Campaigns (全国科普日): publishing windows, follow-up "
                                                         "rules, nomination quotas")
bp = Blueprint("activities", __name__, description="Activities: publishing, routed review, shelf, follow-up, "
                                                   "nomination, public listing and iCalendar")
mine = Blueprint("my_activities", __name__, description="An organization's own activities with every status")
nominations = Blueprint("nominations", __name__, description="The nominated (推优) list per campaign and per "
                                                             "supervising unit")

CALENDAR_TYPE = "text/calendar; charset=utf-8"
SECURED = [{"bearerAuth": []}]


def _locale():
    return negotiate(request.headers.get("Accept-Language"))


def _optional_user():
    claims = current_claims(required=False)
    return claims["sub"] if claims else None


def _attach(upload_ids, purpose, org_id):
    if not upload_ids:
        return []
    return rpc.call("resources", "attach_uploads", g.claims["sub"], org_id, [str(i) for i in upload_ids], purpose)


def _org_for(form=None, activity_id=None):
    """The organization whose uploads this request attaches: the publisher's, or the activity's owner."""
    org_id = str(form["org_id"]) if form and form.get("org_id") else None
    return rpc.call("activities", "acting_org", g.claims["sub"], org_id,
                    str(activity_id) if activity_id else None)


def _activity_request(form, activity_id=None):
    """The validated JSON body with its poster attached (the service reads the body as sent)."""
    body = dict(request.get_json())
    org_id = _org_for(form, activity_id)
    body["poster"] = _attach([form["poster_upload_id"]], "activity_poster", org_id)[0]
    # details pictures go through the same upload machinery (purpose activity_poster: images, checked)
    pictures = _attach([p["upload_id"] for p in form.get("pictures") or []], "activity_poster", org_id)
    body["pictures"] = [dict(file, part=p["part"], caption=p["caption"])
                        for file, p in zip(pictures, form.get("pictures") or [])]
    return body


def _query(query):
    return {key: str(value) if key == "campaign" and value is not None else value for key, value in query.items()}


def _calendar(feed, filename):
    """The feed with validators, so a subscriber's poll costs a 304 when nothing changed: a strong ETag (the
    body's SHA-256: it changes with any event, one leaving the filter included) and Last-Modified (when the
    activities service last rendered an event: activities.calendar_feed; none for a time_status feed).
    werkzeug answers 304 on If-None-Match, and on If-Modified-Since only when no If-None-Match came
    (RFC 9110 13.2.2)."""
    text = feed["text"]
    response = Response(text, content_type=CALENDAR_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-cache"  # keep it, but ask again each time (cheap with the validators)
    response.set_etag(hashlib.sha256(text.encode()).hexdigest()[:32])
    if feed.get("last_modified"):
        response.last_modified = datetime.fromisoformat(feed["last_modified"])
    return response.make_conditional(request)


# --- campaigns --------------------------------------------------------------------------------------
@campaigns.route("")
class Campaigns(MethodView):
    @campaigns.response(200, ActivityCampaignList)
    def get(self):
        """Every campaign, latest window first, with whether it is open today (Asia/Shanghai)."""
        return rpc.call("activities", "list_campaigns")

    @require_auth("platform_admin")
    @campaigns.arguments(ActivityCampaignRequest)
    @campaigns.response(201, ActivityCampaignSchema)
    @campaigns.doc(security=SECURED)
    def post(self, _):
        """Create a campaign: name, year, theme, publishing window, follow-up rules, quotas per channel."""
        return rpc.call("activities", "create_campaign", g.claims["sub"], request.get_json())


@campaigns.route("/<uuid:campaign_id>")
class CampaignView(MethodView):
    @require_auth("platform_admin")
    @campaigns.arguments(ActivityCampaignUpdate)
    @campaigns.response(200, ActivityCampaignSchema)
    @campaigns.alt_response(409, description="`campaign_unchanged`")
    @campaigns.doc(security=SECURED)
    def patch(self, _, campaign_id):
        """Edit a campaign (platform admins, audited with the reason): name, theme, window (extend it, or close
        it early with an end before today), nomination deadline, quotas per category and per supervising unit."""
        return rpc.call("activities", "update_campaign", g.claims["sub"], str(campaign_id), request.get_json())


@campaigns.route("/<uuid:campaign_id>/changes")
class CampaignChanges(MethodView):
    @require_auth("platform_admin")
    @campaigns.response(200, CampaignChangeSchema(many=True))
    @campaigns.doc(security=SECURED)
    def get(self, campaign_id):
        """The campaign's audit: who changed what (before, after), when and why; newest first."""
        return rpc.call("activities", "campaign_changes", g.claims["sub"], str(campaign_id))


# --- activities -------------------------------------------------------------------------------------
@bp.route("/stats")
class UnitStats(MethodView):
    @require_auth()
    @bp.arguments(UnitStatsRequest, location="query")
    @bp.response(200, UnitStatsSchema)
    @bp.alt_response(403, description="`activity_stats_not_allowed`: neither a platform admin nor a unit's admin")
    @bp.alt_response(404, description="no such campaign")
    @bp.doc(security=SECURED)
    def get(self, query):
        """Per supervising unit (name, category, province): approved activities, complete follow-ups,
        nominations and quota, with a province roll-up; every key labelled. Platform admins see every unit, a
        unit's admins their own units."""
        return rpc.call("activities", "unit_stats", g.claims["sub"], {"campaign_id": str(query["campaign_id"])})


@bp.route("")
class Activities(MethodView):
    @bp.arguments(ActivityListRequest, location="query")
    @bp.response(200, ActivityPage)
    def get(self, query):
        """Approved activities on the shelf, soonest first: region (a province includes its cities and
        counties), type, mode, campaign, time status, supervising category, youth festival."""
        return rpc.call("activities", "list_public", _query(query))

    @require_auth()
    @bp.arguments(ActivitySubmitForm)
    @bp.response(201, ActivitySchema)
    @bp.alt_response(409, description="the poster upload is not complete")
    @bp.alt_response(422, description="outside the campaign's publishing window (`details` name it)")
    @bp.doc(security=SECURED)
    def post(self, form):
        """Publish an activity: it waits for review along its supervising unit's route. A start less than
        7 days ahead is accepted with a `warnings` entry (start_within_a_week). Send a `client_key` to
        retry safely: the same key with the same form answers the activity published the first time."""
        return rpc.call("activities", "submit", g.claims["sub"], _activity_request(form), locale=_locale())


@bp.route("/calendar.ics")
class ActivitiesCalendar(MethodView):
    @bp.arguments(ActivityListRequest, location="query")
    @bp.response(200, description="text/calendar: the filtered listing; taken-off activities as CANCELLED. "
                                  "ETag, and Last-Modified unless filtered by time_status")
    @bp.alt_response(304, description="unchanged since the If-None-Match / If-Modified-Since sent")
    def get(self, query):
        """iCalendar of a filtered listing (paging ignored, at most 10,000 events)."""
        return _calendar(rpc.call("activities", "calendar_feed", _query(query), timeout=30), "activities.ics")


@bp.route("/<uuid:activity_id>")
class ActivityView(MethodView):
    @bp.response(200, ActivitySchema)
    @bp.doc(security=[{}, {"bearerAuth": []}])
    def get(self, activity_id):
        """The approved version for anyone (while on the shelf); the owner sees the current version with
        its review status and reason."""
        return rpc.call("activities", "get_activity", str(activity_id), _optional_user())

    @require_auth()
    @bp.arguments(ActivityForm)
    @bp.response(200, ActivitySchema)
    @bp.alt_response(409, description="nothing changed, or the poster upload is not complete")
    @bp.alt_response(422, description="outside the campaign's publishing window")
    @bp.doc(security=SECURED)
    def put(self, form, activity_id):
        """Edit: a new version goes back to the first stage of its route (a rejected one is resubmitted);
        the public keeps seeing the approved version until the new one is approved."""
        return rpc.call("activities", "edit", g.claims["sub"], str(activity_id), _activity_request(form, activity_id),
                        locale=_locale())


@bp.route("/<uuid:activity_id>/calendar.ics")
class ActivityCalendarFile(MethodView):
    @bp.response(200, description="text/calendar: one VEVENT, CANCELLED once off the shelf; ETag, Last-Modified")
    @bp.alt_response(304, description="unchanged since the If-None-Match / If-Modified-Since sent")
    def get(self, activity_id):
        """iCalendar of one activity (stable UID; SEQUENCE raised on each re-approval)."""
        return _calendar(rpc.call("activities", "calendar_feed", activity_id=str(activity_id)),
                         f"activity-{activity_id}.ics")


@bp.route("/<uuid:activity_id>.ics")
class ActivityCalendar(ActivityCalendarFile):
    @bp.response(200, description="text/calendar: one VEVENT, CANCELLED once off the shelf; ETag, Last-Modified")
    @bp.alt_response(304, description="unchanged since the If-None-Match / If-Modified-Since sent")
    @bp.doc(deprecated=True)
    def get(self, activity_id):
        """The same as /activities/{activity_id}/calendar.ics, kept for links already out: this form collides
        with /activities/{activity_id} in template routers."""
        return super().get(activity_id)


@bp.route("/<uuid:activity_id>/shelf")
class Shelf(MethodView):
    @require_auth()
    @bp.arguments(ActivityShelfRequest)
    @bp.response(200, ActivitySchema)
    @bp.alt_response(409, description="never approved, or already in that state")
    @bp.doc(security=SECURED)
    def post(self, payload, activity_id):
        """Take an approved activity off the shelf (with a reason) or put it back (owner or platform admin)."""
        return rpc.call("activities", "set_shelf", g.claims["sub"], str(activity_id), payload)


@bp.route("/<uuid:activity_id>/versions")
class Versions(MethodView):
    @require_auth()
    @bp.response(200, ActivityVersionSchema(many=True))
    @bp.doc(security=SECURED)
    def get(self, activity_id):
        """Every submitted version, newest first, with the fields it changed."""
        return rpc.call("activities", "versions", g.claims["sub"], str(activity_id))


@bp.route("/<uuid:activity_id>/followup")
class Followup(MethodView):
    @require_auth()
    @bp.response(200, FollowupSchema)
    @bp.alt_response(403, description="`followup_view_not_allowed`: not the owner, the supervising unit's admin, a "
                                      "reviewer of the activity's route or a platform admin")
    @bp.doc(security=SECURED)
    def get(self, activity_id):
        """The follow-up materials (活动补充信息) with their checklist, rule by rule, and short-lived view URLs
        (and thumbnails) of the photos and videos, for the owner, the supervising unit's admins, the
        reviewers of its route and platform admins."""
        return rpc.call("activities", "get_followup", g.claims["sub"], str(activity_id), locale=_locale())

    @require_auth()
    @bp.arguments(FollowupForm)
    @bp.response(200, FollowupSchema)
    @bp.alt_response(409, description="already submitted")
    @bp.alt_response(422, description="not approved, not ended, or (submit=true) a rule of the checklist fails")
    @bp.doc(security=SECURED)
    def put(self, form, activity_id):
        """Save a draft (submit=false) or submit: media links, 3–10 photos (one marked as evidence), up to 3
        videos of 3 minutes at most (measured from the file), participants, the summary part by part."""
        body = dict(request.get_json())
        body.pop("video_upload_ids", None)
        org_id = _org_for(activity_id=activity_id)
        photos = _attach([p["upload_id"] for p in form["photos"]], "followup_photo", org_id)
        body["photos"] = [dict(file, caption=p["caption"], evidence=p["evidence"])
                          for file, p in zip(photos, form["photos"])]
        body["videos"] = _attach(form["video_upload_ids"], "followup_video", org_id)
        return rpc.call("activities", "save_followup", g.claims["sub"], str(activity_id), body, locale=_locale())


@bp.route("/<uuid:activity_id>/poster-check")
class PosterCheck(MethodView):
    @require_auth()
    @bp.arguments(PosterCheckRequest, location="query")
    @bp.response(200, PosterCheckSchema)
    @bp.alt_response(403, description="`poster_check_not_allowed`: not the owner, the supervising unit's admin, a "
                                      "reviewer of the activity's route or a platform admin")
    @bp.doc(security=SECURED)
    def get(self, query, activity_id):
        """The poster pre-check of a version (the last submitted by default): whether the text read off its poster
        carries the 全国科普日 mark, the name, the start date and time and the hosts, each with the text it
        matched, and wording hints; state pending until it has been read. A help for the owner and the
        reviewers, never a decision."""
        return rpc.call("activities", "poster_check", g.claims["sub"], str(activity_id),
                        {"revision": query["revision"]}, locale=_locale())


@bp.route("/<uuid:activity_id>/followup/extension")
class FollowupExtension(MethodView):
    @require_auth()
    @bp.arguments(FollowupExtensionRequest)
    @bp.response(201, FollowupExtensionSchema)
    @bp.alt_response(403, description="`followup_extension_not_allowed`")
    @bp.alt_response(422, description="`followup_extension_not_later`, or the activity is not approved")
    @bp.doc(security=SECURED)
    def post(self, payload, activity_id):
        """Extend one activity's follow-up summary deadline, with a reason (platform admins, the supervising
        unit's admins)."""
        return rpc.call("activities", "extend_followup", g.claims["sub"], str(activity_id), request.get_json())


@bp.route("/<uuid:activity_id>/nomination")
class Nomination(MethodView):
    @require_auth()
    @bp.response(201, ActivityNominationSchema)
    @bp.alt_response(409, description="already nominated")
    @bp.alt_response(422, description="not approved, follow-up not submitted, or the channel's quota is full")
    @bp.doc(security=SECURED)
    def post(self, activity_id):
        """Nominate (推优) an approved activity with complete follow-up materials, within its channel's quota
        (platform admins, or admins of its supervising unit)."""
        return rpc.call("activities", "nominate", g.claims["sub"], str(activity_id))

    @require_auth()
    @bp.arguments(NominationWithdrawRequest, location="query")
    @bp.response(200, description="the nomination is withdrawn and its quota released")
    @bp.alt_response(403, description="`nomination_withdraw_not_allowed`: not the supervising unit's admin or a "
                                      "platform admin")
    @bp.alt_response(409, description="`activity_not_nominated`")
    @bp.alt_response(422, description="`nomination_deadline_passed`")
    @bp.doc(security=SECURED)
    def delete(self, query, activity_id):
        """Withdraw a nomination before the campaign's nomination deadline (with an optional reason)."""
        return rpc.call("activities", "withdraw_nomination", g.claims["sub"], str(activity_id), query)


@nominations.route("")
class Nominations(MethodView):
    @require_auth()
    @nominations.arguments(NominationListRequest, location="query")
    @nominations.response(200, NominatedList)
    @nominations.alt_response(403, description="`nominations_not_allowed`: not a platform admin or that unit's admin")
    @nominations.alt_response(404, description="no such campaign")
    @nominations.doc(security=SECURED)
    def get(self, query):
        """What has been nominated in a campaign, per supervising unit: the activity as approved, who
        nominated it and when, its follow-up state; the channel quotas and their use."""
        return rpc.call("activities", "nominations", g.claims["sub"],
                        {k: str(v) if v is not None else None for k, v in query.items()})


@mine.route("/activities")
class MyActivities(MethodView):
    @require_auth()
    @mine.arguments(MyActivitiesRequest, location="query")
    @mine.response(200, ActivityPage)
    @mine.doc(security=SECURED)
    def get(self, query):
        """Your organization's activities, latest change first, with review status, reason, time status and shelf."""
        query = {k: str(v) if k == "org_id" and v is not None else v for k, v in query.items()}
        return rpc.call("activities", "my_activities", g.claims["sub"], query)
