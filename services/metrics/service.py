"""The metrics service: shares counted on return, points and the mall, statistics as of 00:00,
leaderboards, recognition. Entrypoints are thin: load through a schema, call the domain, dump."""
from datetime import datetime, timezone

from nameko.timer import timer

from kepu_common.consumers import event_consumer
from kepu_common.db import claim_events
from kepu_common.errors import Forbidden
from kepu_common.rpc import rpc
from kepu_common.service_base import PlatformService
from services.metrics import (
    config_store, directory, ledger, mall, ping_receipts, places, rollup, share_ids, shares, stats,
)
from services.metrics.dependencies import Settings
from services.metrics.periods import as_of
from services.metrics.schemas import (
    ActivityStatsRequest, ActivityStatsSchema, CampaignRequest, CampaignSchema, DownloadsRequest, DownloadsSchema,
    ItemListRequest, ItemPageSchema, ItemRequest, ItemSchema, ItemUpdateRequest, LeaderboardRequest, LeaderboardSchema, MeStatsSchema,
    OrgStatsSchema, PageRequest, PingReceiptSchema, PointsSchema, RecognitionRequest, RecognitionSchema,
    RedemptionListRequest, RedemptionPageSchema, RedemptionRequest, RedemptionSchema, SettingsSchema, ShareRequest,
    ShareSchema,
)
from services.metrics.share_consumer import share_returns_consumer

ACTIVITY_EVENTS = ("activity_submitted", "activity_edited", "activity_approved", "activity_rejected",
                   "activity_shelved", "activity_followup_submitted", "activity_nominated")


def _now():
    return datetime.now(timezone.utc)


def _page(rows, more, request, schema):
    return schema.dump({"items": rows, "page": request["page"], "page_size": request["page_size"], "has_more": more})


class MetricsService(PlatformService):
    name = "metrics"
    settings = Settings()

    # --- consumers -----------------------------------------------------------------------------
    @event_consumer("identity", "ping")
    def on_ping(self, events):
        with self.db, self.db.cursor() as cur:
            ping_receipts.record(cur, claim_events(cur, "metrics.on_ping", events))

    @share_returns_consumer("gateway", "share_returned", batch_size=500, max_wait=0.05)
    def on_share_returned(self, events):
        """Count returned shares: the batch commits in one transaction, then the batch is acked.

        No claim by event id (processed_events) here: counting is idempotent by share (a counted share
        matches no row again), so a redelivered event changes nothing, and the claim cost a 500-row index
        insert per batch and a row per return kept forever (millions a day in a campaign)."""
        with self.db, self.db.cursor() as cur:
            days = shares.count_returns(cur, events)
            rollup.mark_stale(cur, days)

    @event_consumer("identity", "user_registered")
    def on_user_registered(self, events):
        with self.db, self.db.cursor() as cur:
            directory.users_registered(cur, claim_events(cur, "metrics.on_user_registered", events))

    @event_consumer("identity", "user_verified")
    def on_user_verified(self, events):
        with self.db, self.db.cursor() as cur:
            directory.users_verified(cur, claim_events(cur, "metrics.on_user_verified", events))

    @event_consumer("identity", "member_joined")
    @event_consumer("identity", "member_left")
    def on_membership(self, events):
        with self.db, self.db.cursor() as cur:
            directory.memberships_changed(cur, claim_events(cur, "metrics.on_membership", events))

    @event_consumer("identity", "org_registered")
    def on_org_registered(self, events):
        with self.db, self.db.cursor() as cur:
            directory.orgs_registered(cur, claim_events(cur, "metrics.on_org_registered", events))

    @event_consumer("identity", "org_verified")
    def on_org_verified(self, events):
        with self.db, self.db.cursor() as cur:
            fresh = claim_events(cur, "metrics.on_org_verified", events)
            if fresh:
                directory.orgs_verified(cur, fresh)

    @event_consumer("resources", "resource_status_changed")
    def on_resource_status(self, events):
        with self.db, self.db.cursor() as cur:
            directory.resources_changed(cur, claim_events(cur, "metrics.on_resource_status", events))

    @event_consumer("resources", "resource_downloaded")
    def on_resource_downloaded(self, events):
        with self.db, self.db.cursor() as cur:
            directory.resources_downloaded(cur, claim_events(cur, "metrics.on_resource_downloaded", events))

    def on_activity(self, events):
        with self.db, self.db.cursor() as cur:
            directory.activities_changed(cur, claim_events(cur, "metrics.on_activity", events))

    for _event_type in ACTIVITY_EVENTS:
        on_activity = event_consumer("activities", _event_type)(on_activity)
    del _event_type

    # --- the daily rollup ----------------------------------------------------------------------
    @timer(interval=60)
    def roll_up_due_days(self):
        """00:00 Asia/Shanghai comes within a minute; the instance holding the advisory lock does the work."""
        rollup.run_due(self.db, _now())

    # --- shares --------------------------------------------------------------------------------
    @rpc
    def start_share(self, user_id, request):
        data = ShareRequest().load(request)
        with self.db, self.db.cursor() as cur:
            share = shares.start(cur, user_id, data, _now())
        share["share_id"] = share_ids.make(self.settings.share_key, share["id"], user_id, share["expires_at"])
        return ShareSchema().dump(share)

    # --- points and the mall -------------------------------------------------------------------
    @rpc
    def points(self, user_id, request=None):
        page = PageRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            rows, more = ledger.entries(cur, user_id, page["page"], page["page_size"])
            balance = ledger.balance(cur, user_id)
        return PointsSchema().dump({"balance": balance, "items": rows, "page": page["page"],
                                    "page_size": page["page_size"], "has_more": more})

    @rpc
    def create_item(self, request):
        data = ItemRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return ItemSchema().dump(mall.create_item(cur, data))

    @rpc
    def update_item(self, item_id, request):
        data = ItemUpdateRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return ItemSchema().dump(mall.update_item(cur, item_id, data))

    @rpc
    def items(self, request=None, admin=False):
        data = ItemListRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            rows, more = mall.items(cur, admin and data["include_inactive"], data["page"], data["page_size"])
        return _page(rows, more, data, ItemPageSchema())

    @rpc
    def redeem(self, user_id, request):
        data = RedemptionRequest().load(request)
        with self.db, self.db.cursor() as cur:
            found, created = mall.redeem(cur, user_id, data)
        return {"redemption": RedemptionSchema().dump(found), "created": created}

    @rpc
    def redemptions(self, user_id, request=None, admin=False):
        data = RedemptionListRequest().load(request or {})
        owner = None if admin and data["everyone"] else user_id
        with self.db, self.db.cursor() as cur:
            rows, more = mall.redemptions(cur, owner, data["status"], data["page"], data["page_size"])
        return _page(rows, more, data, RedemptionPageSchema())

    @rpc
    def decide_redemption(self, admin_id, redemption_id, action):
        with self.db, self.db.cursor() as cur:
            return RedemptionSchema().dump(mall.decide(cur, redemption_id, action, admin_id))

    # --- settings ------------------------------------------------------------------------------
    @rpc
    def get_settings(self):
        with self.db, self.db.cursor() as cur:
            return SettingsSchema().dump(config_store.settings(cur))

    @rpc
    def update_settings(self, request):
        data = SettingsSchema().load(request)
        with self.db, self.db.cursor() as cur:
            return SettingsSchema().dump(config_store.update(cur, data))

    @rpc
    def put_campaign(self, campaign_id, request):
        data = CampaignRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return CampaignSchema().dump(config_store.put_campaign(cur, campaign_id, data))

    @rpc
    def campaigns(self):
        with self.db, self.db.cursor() as cur:
            return CampaignSchema(many=True).dump(config_store.campaigns(cur))

    # --- statistics ----------------------------------------------------------------------------
    @rpc
    def me_stats(self, user_id):
        now = _now()
        with self.db, self.db.cursor() as cur:
            return MeStatsSchema().dump(stats.me(cur, user_id, now, as_of(now)[1]))

    @rpc
    def org_stats(self, user_id, org_id, admin=False):
        with self.db, self.db.cursor() as cur:
            if not admin and not stats.can_see_org(cur, user_id, org_id):
                raise Forbidden("org_stats_forbidden")
            return OrgStatsSchema().dump(stats.org(cur, org_id, as_of(_now())[1]))

    @rpc
    def leaderboard(self, user_id, request):
        data = LeaderboardRequest().load(request)
        data["code"] = places.board_code(data["scope"], data["code"])
        cutoff, last_day = as_of(_now())
        with self.db, self.db.cursor() as cur:
            rows, more = stats.leaderboard(cur, data["subject"], data["scope"], data["code"], data["period"],
                                           last_day, data["campaign_id"], data["page"], data["page_size"])
            own = None
            if data["subject"] == "communicators" and user_id:
                own = stats.own_rank(cur, user_id, data["scope"], data["code"], data["period"], last_day,
                                     data["campaign_id"])
        return LeaderboardSchema().dump({"items": rows, "page": data["page"], "page_size": data["page_size"],
                                         "has_more": more, "own_rank": own, "as_of": cutoff,
                                         "scope_code": data["code"],
                                         "scope_name": places.name(data["code"]) if data["scope"] in ("city", "province")
                                         else None})

    @rpc
    def recognitions(self, request):
        data = RecognitionRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return RecognitionSchema().dump(stats.recognitions(cur, data["campaign_id"], as_of(_now())[1]))

    @rpc
    def activity_stats(self, request=None):
        data = ActivityStatsRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            return ActivityStatsSchema().dump(stats.activities(cur, data["campaign_id"], data["region_code"]))

    @rpc
    def downloads(self, request=None):
        data = DownloadsRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            return DownloadsSchema().dump(stats.downloads(cur, data["org_id"], data["limit"]))

    @rpc
    def shares_of_users(self, user_ids):
        with self.db, self.db.cursor() as cur:
            return stats.shares_of_users(cur, user_ids)

    @rpc
    def ping_receipt(self, ping_id):
        with self.db, self.db.cursor() as cur:
            receipt = ping_receipts.find(cur, ping_id)
        return None if receipt is None else PingReceiptSchema().dump(receipt)
