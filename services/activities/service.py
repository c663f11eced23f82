"""The activities service (全国科普日 campaigns): thin RPC entrypoints over catalogue and followups.

Uploads (poster, follow-up photos and videos) are attached by the gateway through
resources.attach_uploads before it calls here: the service receives the attached file descriptions
(bucket, key, content type, measured duration) and keeps them in the activity's version.
"""
import logging
import tempfile

from eventlet.semaphore import Semaphore
from minio.error import S3Error
from nameko.dependency_providers import Config

from kepu_common.bus.consumers import event_consumer
from kepu_common.data.db import claim_events
from kepu_common.interfaces.messages import label, text
from kepu_common.domain.org_admins import OrgAdminsFromIdentity
from kepu_common.bus.rpc import rpc
from kepu_common.bus.service_base import PlatformService, StorageHealth
from services.activities import (catalogue, directory, followups, ical, poster_ocr, posters, routing, rules, snapshot,
                                 stats)
from services.activities.dependencies import ActivityStorage
from services.activities.schemas import (
    ActivityCampaignUpdate, CampaignChangeSchema, FollowupExtensionRequest, FollowupExtensionSchema, UnitStatsRequest,
    UnitStatsSchema,
)
from services.activities.schemas import (
    ActivityCampaignRequest, ActivityCardSchema, ActivityCampaignSchema, ActivityListRequest, ActivityNominationSchema,
    ActivityRequest, ActivitySchema, ActivityShelfRequest, ActivitySubmitRequest, ActivityVersionSchema,
    FollowupRequest, FollowupSchema, MyActivitiesRequest, NominatedList, NominationListRequest,
    NominationWithdrawRequest, PosterCheckRequest, PosterCheckSchema,
)

log = logging.getLogger(__name__)

# built once: a schema instance deep-copies its fields
_ACTIVITY = ActivitySchema()
_CARDS = ActivityCardSchema(many=True)
# a poster read takes a CPU and 350-450 MB in its child for a few seconds: one at a time per process
_reading = Semaphore(1)


def _labelled_check(found, locale):
    return dict(found, state_label=label("poster_check_state", found["state"], locale),
                reason_label=label("poster_check_reason", found["reason"], locale) if found["reason"] else None,
                items=[dict(item, label=label("poster_check_item", item["key"], locale),
                            status_label=label("poster_check_status", item["status"], locale))
                       for item in found["items"]],
                hints=[dict(hint, category_label=label("poster_check_hint", hint["category"], locale))
                       for hint in found["hints"]])


class ActivitiesService(StorageHealth, OrgAdminsFromIdentity, PlatformService):
    name = "activities"
    storage = ActivityStorage()
    config = Config()  # ACTIVITIES.web_url: the calendars' links back to the activity page

    # --- output -----------------------------------------------------------------------------------
    def _evidence(self, described, viewer):
        described = self.storage.with_view_urls(described)
        described["viewer"] = viewer
        return FollowupSchema().dump(described)

    def _out(self, activity, now, public=False, warnings=(), locale="zh_CN"):
        out = catalogue.labelled(activity, now, public=public)
        out["poster_url"] = self.storage.poster_url(activity.get("poster"))
        out["pictures"] = [{"part": p["part"], "caption": p["caption"], "content_type": p["content_type"],
                            "width": p.get("width"), "height": p.get("height"), "url": self.storage.poster_url(p)}
                           for p in activity.get("pictures") or []]
        out["warnings"] = [dict(w, message=text(w["code"], locale, **w["params"])) for w in warnings]
        return _ACTIVITY.dump(out)

    def _page(self, found, more, total, query, now, public=False, total_exact=True):
        items = []
        for activity in found:
            out = catalogue.labelled(activity, now, public=public)
            out["poster_url"] = self.storage.poster_url(activity.get("poster"))
            items.append(out)
        return {"items": _CARDS.dump(items), "page": query["page"], "page_size": query["page_size"],
                "has_more": more, "total": total, "total_exact": total_exact}

    def _campaign_out(self, campaign, now):
        today = rules.shanghai_date(now)
        is_open = campaign["window_start"] <= today <= campaign["window_end"]
        return ActivityCampaignSchema().dump(dict(campaign, open=is_open))

    # --- events -----------------------------------------------------------------------------------
    def _announce(self, cur, event_type, activity, actor_id, stage=None, reason=""):
        """Where the activity counts (region, channel, review status, revision) is its last approved version
        while it has one: an edit under review keeps it shareable, counted and nominatable. What the owner
        last submitted travels beside it (current_review_status, current_revision)."""
        current = {"revision": activity.get("current_revision", activity["revision"]),
                   "review_status": activity.get("current_review_status", activity["review_status"])}
        counted = catalogue.approved_version(cur, activity) or activity
        unit = counted["supervising_unit"]
        self.outbox.add(cur, event_type, activity_id=str(counted["id"]), org_id=str(counted["org_id"]),
                        campaign_id=str(counted["campaign_id"]), region_code=counted["region"]["code"],
                        channel=unit["category"], supervising_org_id=unit["org_id"],
                        review_status=counted["review_status"], shelf=counted["shelf"],
                        revision=counted["revision"], stage=stage, reason=reason or "",
                        actor_id=str(actor_id) if actor_id else None,
                        current_review_status=current["review_status"], current_revision=current["revision"])

    def _request_review(self, cur, activity):
        """The stage the activity now waits for, scoped to the supervising unit's province when provincial;
        a newer request supersedes the open task in the review service."""
        wanted = routing.review_request(activity["review_status"], activity["supervising_unit"]["category"],
                                        activity["supervising_unit"]["province"])
        if wanted is None:
            return
        stage, scope = wanted
        campaign = catalogue.get_campaign(cur, activity["campaign_id"])
        self.outbox.add(cur, "review_requested", subject_type=catalogue.SUBJECT_TYPE, subject_id=str(activity["id"]),
                        stage=stage, scope=scope,
                        snapshot=snapshot.review_snapshot(activity, campaign["name"],
                                                          self.storage.purpose(activity["poster"])))

    # --- campaigns --------------------------------------------------------------------------------
    @rpc
    def create_campaign(self, user_id, request):
        data = ActivityCampaignRequest().load(request)
        with self.db, self.db.cursor() as cur:
            campaign = catalogue.create_campaign(cur, user_id, data)
        return self._campaign_out(campaign, rules.now_utc())

    @rpc
    def update_campaign(self, user_id, campaign_id, request):
        data = ActivityCampaignUpdate().load(request)
        with self.db, self.db.cursor() as cur:
            campaign, _ = catalogue.update_campaign(cur, user_id, campaign_id, data)
        return self._campaign_out(campaign, rules.now_utc())

    @rpc
    def campaign_changes(self, user_id, campaign_id):
        with self.db, self.db.cursor() as cur:
            return CampaignChangeSchema(many=True).dump(catalogue.campaign_changes(cur, user_id, campaign_id))

    @rpc
    def unit_stats(self, user_id, request):
        """Per supervising unit: approved activities, complete follow-ups, nominations and quota (a unit's
        admins: their units; platform admins: every unit and the province roll-up)."""
        data = UnitStatsRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return UnitStatsSchema().dump(stats.unit_stats(cur, user_id, data["campaign_id"]))

    @rpc
    def list_campaigns(self):
        with self.db, self.db.cursor() as cur:
            campaigns = catalogue.list_campaigns(cur)
        now = rules.now_utc()
        return {"items": [self._campaign_out(c, now) for c in campaigns]}

    # --- activities -------------------------------------------------------------------------------
    @rpc
    def acting_org(self, user_id, org_id=None, activity_id=None):
        """The organization whose uploads a request may attach: the one the user publishes for, or the
        owner of the activity they change (the gateway asks before resources.attach_uploads)."""
        with self.db, self.db.cursor() as cur:
            if activity_id is None:
                return str(directory.acting_org(cur, user_id, org_id))
            activity = catalogue.get(cur, activity_id)
            catalogue.require_owner(cur, activity, user_id)
            return str(activity["org_id"])

    @rpc
    def submit(self, user_id, request, locale="zh_CN"):
        data = ActivitySubmitRequest().load(request)
        now = rules.now_utc()
        with self.db, self.db.cursor() as cur:
            directory.require_verified(cur, user_id)
            activity, warnings, repeated = catalogue.submit(cur, user_id, data, now)
            if not repeated:
                self._announce(cur, "activity_submitted", activity, user_id)
                self._request_review(cur, activity)
        return self._out(activity, now, warnings=warnings, locale=locale)

    @rpc
    def edit(self, user_id, activity_id, request, locale="zh_CN"):
        data = ActivityRequest().load(request)
        now = rules.now_utc()
        with self.db, self.db.cursor() as cur:
            directory.require_verified(cur, user_id)
            _, activity, warnings = catalogue.edit(cur, user_id, activity_id, data, now)
            self._announce(cur, "activity_edited", activity, user_id)
            self._request_review(cur, activity)
        return self._out(activity, now, warnings=warnings, locale=locale)

    @rpc
    def set_shelf(self, user_id, activity_id, request):
        data = ActivityShelfRequest().load(request)
        with self.db, self.db.cursor() as cur:
            activity = catalogue.set_shelf(cur, user_id, activity_id, data["shelf"], data["reason"])
            self._announce(cur, "activity_shelved", activity, user_id, reason=activity["shelf_reason"])
        return self._out(activity, rules.now_utc())

    @rpc
    def get_activity(self, activity_id, user_id=None):
        """The owner (and platform admins) see the current version with its review status; anyone else
        the approved version, while it is on the shelf."""
        now = rules.now_utc()
        with self.db, self.db.cursor() as cur:
            activity = catalogue.get(cur, activity_id)
            if catalogue.can_manage(cur, activity, user_id):
                return self._out(activity, now)
            return self._out(catalogue.public_one(cur, activity_id), now, public=True)

    @rpc
    def versions(self, user_id, activity_id):
        with self.db, self.db.cursor() as cur:
            found = catalogue.versions(cur, user_id, activity_id)
        return ActivityVersionSchema(many=True).dump(found)

    @rpc
    def list_public(self, request):
        query = ActivityListRequest().load(request)
        now = rules.now_utc()
        with self.db, self.db.cursor() as cur:
            found, more, total, exact = catalogue.listing(cur, query, now)
        return self._page(found, more, total, query, now, public=True, total_exact=exact)

    @rpc
    def my_activities(self, user_id, request=None):
        query = MyActivitiesRequest().load(request or {})
        now = rules.now_utc()
        with self.db, self.db.cursor() as cur:
            orgs = ([directory.acting_org(cur, user_id, query["org_id"])] if query["org_id"]
                    else directory.orgs_of(cur, user_id))
            if not orgs:
                directory.acting_org(cur, user_id)  # raises: not an organization account
            found, more, total = catalogue.owned(cur, orgs, query["review_status"], query["page_size"],
                                                 (query["page"] - 1) * query["page_size"])
        return self._page(found, more, total, query, now)

    @rpc
    def calendar(self, request=None, activity_id=None):
        """iCalendar text of one public activity (cancelled once off the shelf) or of a filtered listing."""
        return self.calendar_feed(request, activity_id)["text"]

    @rpc
    def calendar_feed(self, request=None, activity_id=None):
        """The calendar (as `calendar`) and when it last changed (`last_modified`, ISO 8601 UTC; null for a
        feed filtered by time_status, whose events come and go as the clock passes): the gateway's
        Last-Modified."""
        now = rules.now_utc()
        with self.db, self.db.cursor() as cur:
            if activity_id is not None:
                vevents = catalogue.calendar_event(cur, activity_id)
                changed = catalogue.calendar_changed_at(cur, activity_id)
            else:
                query = ActivityListRequest().load(request or {})
                vevents = catalogue.calendar_events(cur, query, now)
                changed = None if query.get("time_status") else catalogue.calendar_changed_at(cur)
        text = ical.calendar(vevents, web_url=(self.config.get("ACTIVITIES") or {}).get("web_url"))
        return {"text": text, "last_modified": changed.isoformat() if changed else None}

    # --- follow-up and nomination -----------------------------------------------------------------
    @rpc
    def save_followup(self, user_id, activity_id, request, locale="zh_CN"):
        data = FollowupRequest().load(request)
        now = rules.now_utc()
        with self.db, self.db.cursor() as cur:
            followup, activity, campaign, submitted = followups.save(cur, user_id, activity_id, data, now)
            if submitted:
                self._announce(cur, "activity_followup_submitted", activity, user_id)
        return self._evidence(followups.described(followup, activity, campaign, now, locale), "owner")

    @rpc
    def get_followup(self, user_id, activity_id, locale="zh_CN"):
        """The owner, the supervising unit's admins, the route's reviewers and platform admins see the
        follow-up with view URLs of its photos and videos; anyone else is refused (followup_view_not_allowed)."""
        now = rules.now_utc()
        with self.db, self.db.cursor() as cur:
            followup, activity, campaign = followups.view(cur, user_id, activity_id, now)
            viewer = followups.viewers_reason(cur, user_id, activity)
        return self._evidence(followups.described(followup, activity, campaign, now, locale), viewer)

    # --- the poster pre-check (issue 30) ---------------------------------------------------------------
    @rpc
    def poster_check(self, user_id, activity_id, request=None, locale="zh_CN"):
        """The checklist of a version's poster (mark, name, date, time, host, hints), for whoever may see the
        activity's follow-up evidence; state pending until the job has read it."""
        data = PosterCheckRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            found = posters.check_of(cur, user_id, activity_id, data["revision"])
        return PosterCheckSchema().dump(_labelled_check(found, locale))

    @event_consumer("activities", "activity_submitted", batch_size=4)
    def check_submitted_poster(self, events):
        self._check_posters(events)

    @event_consumer("activities", "activity_edited", batch_size=4)
    def check_edited_poster(self, events):
        self._check_posters(events)

    def _check_posters(self, events):
        """The job: the poster of each submitted version read (once per content: an edit that keeps the poster,
        or the same picture again, reuses its text) and checked against the version's form, off the request path. Reading holds no
        transaction; a version already checked (a redelivered event) is skipped, and saving it twice keeps
        the first."""
        wanted = []
        with self.db, self.db.cursor() as cur:
            for event in events:
                revision = event.get("current_revision") or event["revision"]
                if posters.is_checked(cur, event["activity_id"], revision):
                    continue
                content = posters.version(cur, event["activity_id"], revision)
                if content is None or not content.get("poster"):
                    continue
                key = posters.text_key(content["poster"])
                wanted.append((event["activity_id"], revision, content, key, posters.text_of(cur, key)))
        read = {}
        for activity_id, revision, content, key, known in wanted:
            if known is None and key not in read:
                read[key] = self._read_poster(content["poster"])
        with self.db, self.db.cursor() as cur:
            for key, found in read.items():
                posters.save_text(cur, key, found)
            for activity_id, revision, content, key, known in wanted:
                posters.save_check(cur, activity_id, revision, content["poster"]["upload_id"],
                                   posters.checklist_for(content, known or read[key]))

    def _read_poster(self, poster):
        """{"state", "reason", "lines"} of the poster in storage, read by the OCR in its bounded child. Storage
        down: Unavailable, and the batch waits for it (kepu_common.bus.consumers)."""
        if poster["bucket"] not in self.storage.buckets and poster["bucket"] not in self.storage.buckets.values():
            # a bucket this platform does not have (only ever in made-up data): nothing to wait for
            return {"state": "unreadable", "reason": "poster_missing", "lines": []}
        with tempfile.NamedTemporaryFile(suffix=".poster") as copy:
            try:
                response = self.storage.open(self.storage.bucket(poster["bucket"]), poster["key"])
            except S3Error as exc:
                if exc.code != "NoSuchKey":
                    raise
                return {"state": "unreadable", "reason": "poster_missing", "lines": []}
            try:
                for chunk in response.stream(256 * 1024):
                    copy.write(chunk)
            finally:
                response.close()
                response.release_conn()
            copy.flush()
            with _reading:
                try:
                    return {"state": "read", "reason": None, "lines": poster_ocr.read(copy.name)}
                except poster_ocr.Unreadable as refused:
                    log.info("poster %s could not be read: %s", poster["upload_id"], refused.reason)
                    return {"state": "unreadable", "reason": refused.reason, "lines": []}

    @rpc
    def extend_followup(self, user_id, activity_id, request):
        data = FollowupExtensionRequest().load(request)
        now = rules.now_utc()
        with self.db, self.db.cursor() as cur:
            activity, extension = followups.extend(cur, user_id, activity_id, data["deadline"], data["reason"].strip(),
                                                   now)
            self._announce(cur, "activity_followup_extended", activity, user_id, reason=extension["reason"])
        return FollowupExtensionSchema().dump(extension)

    @rpc
    def nominate(self, user_id, activity_id):
        with self.db, self.db.cursor() as cur:
            activity, nomination = followups.nominate(cur, user_id, activity_id, rules.now_utc())
            self._announce(cur, "activity_nominated", activity, user_id)
        return ActivityNominationSchema().dump(nomination)

    @rpc
    def withdraw_nomination(self, user_id, activity_id, request=None):
        data = NominationWithdrawRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            activity = followups.withdraw(cur, user_id, activity_id, rules.now_utc(), data["reason"].strip())
            self._announce(cur, "activity_nomination_withdrawn", activity, user_id, reason=data["reason"].strip())
        return {"activity_id": str(activity["id"]), "nominated": False}

    @rpc
    def nominations(self, user_id, request):
        data = NominationListRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return NominatedList().dump(followups.nominated(cur, user_id, data["campaign_id"], data["unit"]))

    # --- review decisions -------------------------------------------------------------------------
    @event_consumer("review", "review_decided", subjects=(catalogue.SUBJECT_TYPE,))
    def on_review_decided(self, events):
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, "activities.on_review_decided", events):
                if event["subject_type"] != catalogue.SUBJECT_TYPE:
                    continue  # routed to us by subject; a stray one is not ours
                activity = catalogue.apply_decision(cur, event)
                if activity is None:
                    continue
                if activity["review_status"] == "approved":
                    self._announce(cur, "activity_approved", activity, event["reviewer_id"], stage=event["stage"])
                elif activity["review_status"].endswith("_rejected"):
                    self._announce(cur, "activity_rejected", activity, event["reviewer_id"], stage=event["stage"],
                                   reason=activity["review_comment"])
                else:
                    self._request_review(cur, activity)

    # --- identity's directory and roles -----------------------------------------------------------
    def _take_roles(self, events, consumer, granted):
        """org_admin and platform_admin grants (OrgAdminsFromIdentity), and the activity stages' reviewers."""
        from kepu_common.domain.org_admins import apply_role_event

        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, consumer, events):
                apply_role_event(cur, event, granted)
                directory.apply_reviewer_event(cur, event, granted)

    def _take_orgs(self, events, event_type):
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, f"activities.on_{event_type}", events):
                directory.apply_org_event(cur, event_type, event)

    @event_consumer("identity", "user_verified")
    def on_user_verified(self, events):
        """Real-name-verified people: only they publish (seed 004: 注册后请实名认证)."""
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, "activities.on_user_verified", events):
                directory.apply_verified_event(cur, event)

    @event_consumer("identity", "org_registered")
    def on_org_registered(self, events):
        self._take_orgs(events, "org_registered")

    @event_consumer("identity", "org_verified")
    def on_org_verified(self, events):
        self._take_orgs(events, "org_verified")

    @event_consumer("identity", "org_rejected")
    def on_org_rejected(self, events):
        self._take_orgs(events, "org_rejected")

