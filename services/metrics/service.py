"""The metrics service: shares counted on return, points and the mall, statistics as of 00:00,
leaderboards, recognition. Entrypoints are thin: load through a schema, call the domain, dump."""
from datetime import datetime, timedelta, timezone

from nameko.timer import timer

from kepu_common.bus.consumers import event_consumer
from kepu_common.data.db import claim_events
from kepu_common.interfaces.errors import Forbidden, InvalidInput
from kepu_common.bus.rpc import rpc
from kepu_common.bus.service_base import PlatformService
from kepu_common.domain import regions
from kepu_common.interfaces.messages import label
from kepu_common.data.storage import ObjectStorage
from services.metrics import (
    config_store, contracts, directory, ledger, mall, ping_receipts, places, rollup, shares, stats,
)
from services.metrics import mall_images
from services.metrics.constants import MALL_IMAGE_BUCKET
from services.metrics.dependencies import Settings
from services.metrics.periods import as_of
from services.metrics.schemas import (
    ActivityStatsRequest, ActivityStatsSchema, CampaignRequest, CampaignSchema, DownloadsRequest, DownloadsSchema,
    ItemListRequest, ItemPageSchema, ItemRequest, ItemSchema, ItemUpdateRequest, LeaderboardRequest, LeaderboardSchema, MeStatsSchema,
    OrgStatsSchema, PageRequest, PingReceiptSchema, PointsSchema, RecognitionRequest, RecognitionSchema,
    RedemptionListRequest, RedemptionPageSchema, RedemptionRequest, RedemptionSchema, SettingsSchema, ShareRequest,
    ShareSchema,
)
from services.metrics.schemas import (
    CancelRequest, DeliveryDetailsSchema, FulfilRequest,
)
from services.metrics.share_consumer import share_returns_consumer

ACTIVITY_EVENTS = ("activity_submitted", "activity_edited", "activity_approved", "activity_rejected",
                   "activity_shelved", "activity_followup_submitted", "activity_nominated")


def _now():
    return datetime.now(timezone.utc)


def _page(rows, more, request, schema):
    return schema.dump({"items": rows, "page": request["page"], "page_size": request["page_size"], "has_more": more})


def _region_name(code):
    described = regions.lookup(code) and regions.describe(code)
    return described["full_name"] if described else code


def _site_out(site):
    return None if site is None else dict(site, region_name=_region_name(site["region_code"]))


class MetricsService(PlatformService):
    name = "metrics"
    settings = Settings()
    storage = ObjectStorage()  # the mall's item pictures

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
        share["share_id"] = contracts.make_share_id(self.settings.share_key, share["id"], user_id, share["expires_at"])
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

    def _item_out(self, found):
        images = mall_images.urls(self.storage, found["images"])
        return ItemSchema().dump(dict(found, images=images, image_url=images[0]["url"] if images else None,
                                      pickup_sites=[_site_out(s) for s in found["pickup_sites"]]))

    def _redemption_out(self, found):
        images = mall_images.urls(self.storage, found["item_images"][:1])
        site = None
        if found["pickup_site_id"] is not None:
            site = {"id": found["pickup_site_id"], "name": found["site_name"], "region_code": found["site_region_code"],
                    "address": found["site_address"], "hours": found["site_hours"]}
        delivery = found["delivery"]
        if delivery is not None:
            delivery = dict(delivery, region_name=_region_name(delivery["region_code"]))
        return RedemptionSchema().dump(dict(
            found, item={"id": found["item_id"], "name": found["item_name"],
                         "image_url": images[0]["url"] if images else None},
            delivery=delivery, pickup_site=_site_out(site), status_label=label("redemption_status", found["status"])))

    def _announce(self, cur, found, event_type):
        """redemption_fulfilled / redemption_cancelled, in the transaction that made the change (no address
        or phone: the person is told through their own account)."""
        self.outbox.add(cur, event_type, redemption_id=str(found["id"]), user_id=str(found["user_id"]),
                        item_id=str(found["item_id"]), item_name=found["item_name"], quantity=found["quantity"],
                        points=found["points"], method=found["method"],
                        pickup_site_id=None if found["pickup_site_id"] is None else str(found["pickup_site_id"]),
                        pickup_site_name=found["site_name"], carrier=found["carrier"],
                        tracking_number=found["tracking_number"], pickup_code=found["pickup_code"],
                        cancelled_by=found["cancelled_by"], reason=found["cancel_reason"],
                        actor_id=None if found["decided_by"] is None else str(found["decided_by"]),
                        decided_at=found["decided_at"].isoformat())

    @timer(interval=3600)
    def remove_abandoned_mall_images(self):
        """Pictures no item names, a day after they were stored, leave the bucket."""
        with self.db, self.db.cursor() as cur:
            day_ago = _now() - timedelta(days=1)
            for key in mall_images.abandoned(cur, self.storage, day_ago):
                self.storage.remove(self.storage.bucket(MALL_IMAGE_BUCKET), key)

    @rpc
    def create_item(self, request):
        data = ItemRequest().load(request)
        images = mall_images.check(self.storage, data["image_keys"])
        with self.db, self.db.cursor() as cur:
            return self._item_out(mall.create_item(cur, data, images))

    @rpc
    def update_item(self, item_id, request):
        data = ItemUpdateRequest().load(request)
        images = mall_images.check(self.storage, data["image_keys"]) if "image_keys" in data else None
        with self.db, self.db.cursor() as cur:
            return self._item_out(mall.update_item(cur, item_id, data, images))

    @rpc
    def get_item(self, item_id, admin=False):
        """One item: an item off sale only for admins."""
        with self.db, self.db.cursor() as cur:
            return self._item_out(mall.item(cur, item_id, visible_only=not admin))

    @rpc
    def items(self, request=None, admin=False):
        data = ItemListRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            rows, more = mall.items(cur, admin and data["include_inactive"], data["page"], data["page_size"])
        return _page([self._item_out(r) for r in rows], more, data, ItemPageSchema())

    @rpc
    def redeem(self, user_id, request):
        data = RedemptionRequest().load(request)
        with self.db, self.db.cursor() as cur:
            found, created = mall.redeem(cur, user_id, data, self.settings.delivery_vault)
        return {"redemption": self._redemption_out(found), "created": created}

    @rpc
    def redemptions(self, user_id, request=None, admin=False):
        data = RedemptionListRequest().load(request or {})
        owner = None if admin and data["everyone"] else user_id
        with self.db, self.db.cursor() as cur:
            rows, more = mall.redemptions(cur, owner, data["status"], data["page"], data["page_size"])
        return _page([self._redemption_out(r) for r in rows], more, data, RedemptionPageSchema())

    @rpc
    def get_redemption(self, user_id, redemption_id, admin=False):
        """One redemption, for its owner or a mall admin (delivery details masked for both)."""
        with self.db, self.db.cursor() as cur:
            return self._redemption_out(mall.own_redemption(cur, redemption_id, user_id, admin))

    @rpc
    def redemption_delivery(self, admin_id, redemption_id):
        """The full delivery details, for the mall admin fulfilling it: the read is recorded with who and when."""
        with self.db, self.db.cursor() as cur:
            found, details = mall.delivery_details(cur, self.settings.delivery_vault, redemption_id, admin_id)
        return DeliveryDetailsSchema().dump(dict(details, redemption_id=found["id"],
                                                 region_name=_region_name(details["region_code"])))

    @rpc
    def fulfil_redemption(self, admin_id, redemption_id, request=None):
        data = FulfilRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            found, changed = mall.fulfil(cur, redemption_id, data, admin_id)
            if changed:
                self._announce(cur, found, "redemption_fulfilled")
        return self._redemption_out(found)

    @rpc
    def cancel_redemption(self, actor_id, redemption_id, request=None, admin=False):
        """The owner cancels their own pending redemption, a mall admin any pending one: points and stock
        return exactly once."""
        data = CancelRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            found, changed = mall.cancel(cur, redemption_id, actor_id, admin, data["reason"])
            if changed:
                self._announce(cur, found, "redemption_cancelled")
        return self._redemption_out(found)

    @rpc
    def decide_redemption(self, admin_id, redemption_id, action, request=None):
        """fulfil or cancel, as a mall admin (kept for callers of the first version)."""
        if action == "fulfil":
            return self.fulfil_redemption(admin_id, redemption_id, request)
        if action == "cancel":
            return self.cancel_redemption(admin_id, redemption_id, request, admin=True)
        raise InvalidInput("validation_failed", {"action": ("not_one_of", {"choices": "fulfil, cancel"})})

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
    def downloads(self, request=None, user_id=None, admin=False):
        """One organization's figures go to a platform admin (admin=True) or to its registrant or a member
        (user_id); the platform's to anyone the gateway lets ask."""
        data = DownloadsRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            if data["org_id"] and not admin and not (user_id and stats.can_see_org(cur, user_id, str(data["org_id"]))):
                raise Forbidden("org_stats_forbidden")
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
