"""The metrics service's requests and responses, for the service and the gateway alike (one schema per
boundary). Responses are dumped by the service and again by the gateway: Instant and Day accept either a
value or its ISO text."""
from datetime import date, datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from kepu_common.interfaces.contracts import SHARE_CHANNELS, SHARE_CONTENT_TYPES
from kepu_common.interfaces.schema_fields import Page, PageRequest, Timestamp
from kepu_common.interfaces.validation import field_error
from services.metrics.constants import MALL_IMAGES_PER_ITEM

LEADERBOARD_SUBJECTS = ("communicators", "orgs")
LEADERBOARD_SCOPES = ("city", "province", "org", "national")
LEADERBOARD_PERIODS = ("day", "week", "campaign", "total")
REDEMPTION_STATUSES = ("pending", "fulfilled", "cancelled")


class Instant(fields.Field):
    """An aware datetime as ISO 8601 text (output only)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value.isoformat() if isinstance(value, datetime) else value

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"type": "string", "format": "date-time"})
        super().__init__(**kwargs)


class Day(fields.Field):
    def _serialize(self, value, attr, obj, **kwargs):
        return value.isoformat() if isinstance(value, date) else value

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"type": "string", "format": "date"})
        super().__init__(**kwargs)


class Text(fields.Field):
    """Any id (uuid or text) as text (output only)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"type": "string"})
        super().__init__(**kwargs)


class PingReceiptSchema(Schema):
    ping_id = fields.UUID()
    event_id = fields.UUID()
    message = fields.String()
    sent_at = Timestamp()
    received_at = Timestamp()
    applied = fields.Integer(metadata={"description": "times the event's effect ran; 1 means exactly once"})


# --- shares ------------------------------------------------------------------------------------
class ShareRequest(Schema):
    content_type = fields.String(required=True, validate=validate.OneOf(SHARE_CONTENT_TYPES),
                                 metadata={"description": "resource, activity, or article (an article of the app: "
                                                          "a published resource of type article)"})
    content_id = fields.UUID(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(SHARE_CHANNELS))


class ShareSchema(Schema):
    share_id = fields.String(metadata={"description": "pass it to POST /shares/{share_id}/return when the user "
                                                      "comes back to the app"})
    content_type = fields.String()
    content_id = Text()
    channel = fields.String()
    started_at = Instant()
    expires_at = Instant(metadata={"type": "string", "format": "date-time",
                                   "description": "a return after this is not counted"})


class ShareReturnSchema(Schema):
    share_id = fields.String()
    status = fields.String(metadata={"description": "accepted: it will be counted once, whatever retries happen"})


# --- settings ----------------------------------------------------------------------------------
class SettingsSchema(Schema):
    return_window_minutes = fields.Integer(validate=validate.Range(min=1, max=43200))
    daily_cap = fields.Integer(validate=validate.Range(min=0, max=1_000_000),
                               metadata={"description": "points a communicator can earn from shares per Asia/Shanghai day"})
    org_min_communicators = fields.Integer(validate=validate.Range(min=0, max=10_000_000))
    org_min_shares = fields.Integer(validate=validate.Range(min=0, max=1_000_000_000))
    individual_min_shares = fields.Integer(validate=validate.Range(min=0, max=1_000_000_000))
    share_minute_ceiling = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000), metadata={
        "description": "counted shares per communicator per clock minute (the counting rule)"})
    channel_points = fields.Dict(keys=fields.String(validate=validate.OneOf(SHARE_CHANNELS)),
                                 values=fields.Integer(validate=validate.Range(min=0, max=10000)),
                                 metadata={"description": "points per counted share; 0 where a platform forbids rewards"})


class CampaignRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    starts_on = fields.Date(required=True, metadata={"description": "Asia/Shanghai date"})
    ends_on = fields.Date(required=True)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise field_error("ends_before_start", "ends_on")


class CampaignSchema(Schema):
    campaign_id = Text()
    name = fields.String()
    starts_on = Day()
    ends_on = Day()


# --- points and the mall -----------------------------------------------------------------------
class LedgerEntrySchema(Schema):
    id = fields.Integer()
    delta = fields.Integer()
    reason = fields.String(metadata={"description": "share, redemption or redemption_cancelled"})
    reference = fields.String(metadata={"description": "the share or redemption"})
    created_at = Instant()


class PointsSchema(Page):
    balance = fields.Integer()
    items = fields.List(fields.Nested(LedgerEntrySchema))


class PickupSiteRequest(Schema):
    """A place the item can be collected (a science museum's front desk…); sent back with its id to keep it
    (a site as the item shows it may be sent back whole: region_name is ignored)."""

    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(load_default=None, metadata={"description": "an existing site of this item, to keep it"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    region_code = fields.String(required=True, validate=validate.Length(min=1, max=12),
                                metadata={"description": "the division (GB/T 2260) the site is in"})
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    hours = fields.String(load_default="", validate=validate.Length(max=100), metadata={"description": "opening hours"})


_DELIVERY_FLAG = {"description": "posted to the person, who gives recipient, phone and address when redeeming "
                                 "(default true); false: collected at one of pickup_sites only"}
_IMAGE_KEYS = {"description": f"pictures uploaded with POST /mall/images, the cover first (at most {MALL_IMAGES_PER_ITEM}); "
                             "sent on PATCH, the whole list"}
_SITES = {"description": "where the item can be collected (at most 20); sent on PATCH, the whole list: a site sent "
                         "with its id is kept, one without is added, one left out is taken off"}


class ItemRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    cost = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))
    stock = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10_000_000))
    active = fields.Boolean(load_default=True)
    delivery = fields.Boolean(load_default=True, metadata=_DELIVERY_FLAG)
    image_keys = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                             validate=validate.Length(max=MALL_IMAGES_PER_ITEM), metadata=_IMAGE_KEYS)
    pickup_sites = fields.List(fields.Nested(PickupSiteRequest), load_default=list, validate=validate.Length(max=20),
                               metadata=_SITES)


class ItemUpdateRequest(Schema):
    """Only the fields sent change."""

    name = fields.String(validate=validate.Length(min=1, max=100))
    description = fields.String(validate=validate.Length(max=2000))
    cost = fields.Integer(strict=True, validate=validate.Range(min=1, max=1_000_000))
    stock = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000_000))
    active = fields.Boolean()
    delivery = fields.Boolean(metadata=_DELIVERY_FLAG)
    image_keys = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                             validate=validate.Length(max=MALL_IMAGES_PER_ITEM), metadata=_IMAGE_KEYS)
    pickup_sites = fields.List(fields.Nested(PickupSiteRequest), validate=validate.Length(max=20), metadata=_SITES)


class PickupSiteSchema(Schema):
    id = Text()
    name = fields.String()
    region_code = fields.String()
    region_name = fields.String(metadata={"description": "the division's full name (北京市朝阳区)"})
    address = fields.String()
    hours = fields.String()


class ItemImageSchema(Schema):
    url = fields.String(metadata={"description": "a link valid for an hour"})
    content_type = fields.String()


class ItemSchema(Schema):
    id = Text()
    name = fields.String()
    description = fields.String()
    cost = fields.Integer()
    stock = fields.Integer()
    active = fields.Boolean()
    created_at = Instant()
    delivery = fields.Boolean(metadata={"description": "posted to the person"})
    pickup_sites = fields.List(fields.Nested(PickupSiteSchema), metadata={"description": "where it can be collected"})
    images = fields.List(fields.Nested(ItemImageSchema))
    image_url = fields.String(allow_none=True, metadata={"description": "the cover picture (the first), or null"})


class ItemPageSchema(Page):
    items = fields.List(fields.Nested(ItemSchema))


class ItemListRequest(PageRequest):
    include_inactive = fields.Boolean(load_default=False, metadata={"description": "admins only"})


class MallImageSchema(Schema):
    """A picture stored by POST /mall/images: name it in an item's image_keys."""

    image_key = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class DeliveryRequest(Schema):
    recipient = fields.String(required=True, validate=validate.Length(min=1, max=50), metadata={"description": "收件人"})
    phone = fields.String(required=True, validate=validate.Length(min=1, max=30),
                          metadata={"description": "a mainland mobile number"})
    region_code = fields.String(required=True, validate=validate.Length(min=1, max=12),
                                metadata={"description": "the county (区/县) of the address, GB/T 2260 (a city with no "
                                                         "county below it, such as 东莞 441900, is accepted)"})
    address = fields.String(required=True, validate=validate.Length(min=1, max=200),
                            metadata={"description": "street, building, room"})


class RedemptionRequest(Schema):
    item_id = fields.UUID(required=True)
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=100))
    client_key = fields.String(required=True, validate=validate.Length(min=1, max=100),
                               metadata={"description": "your own key for this redemption: sending it again "
                                                        "returns the same redemption"})
    delivery = fields.Nested(DeliveryRequest, load_default=None, allow_none=True,
                             metadata={"description": "for a posted item (delivery true): where it goes; stored "
                                                      "encrypted, shown masked"})
    pickup_site_id = fields.UUID(load_default=None, allow_none=True,
                                 metadata={"description": "instead of delivery: one of the item's pickup_sites"})


class FulfilRequest(Schema):
    carrier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50),
                            metadata={"description": "a posted item: the carrier (顺丰速运…)"})
    tracking_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60),
                                    metadata={"description": "a posted item: the tracking number (6-40 letters, "
                                                             "digits or -)"})
    pickup_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30),
                                metadata={"description": "an item to collect: the code shown at the site (4-20 "
                                                         "letters or digits); made (8 digits) when not given"})


class CancelRequest(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class RedemptionItemSchema(Schema):
    id = Text()
    name = fields.String()
    image_url = fields.String(allow_none=True)


class MaskedDeliverySchema(Schema):
    recipient = fields.String(metadata={"description": "masked: 王*明"})
    phone = fields.String(metadata={"description": "masked: 138****0000"})
    region_code = fields.String()
    region_name = fields.String()
    address = fields.String(metadata={"description": "masked: the first two characters"})


class RedemptionSchema(Schema):
    id = Text()
    user_id = Text()
    item_id = Text()
    quantity = fields.Integer()
    points = fields.Integer()
    status = fields.String(metadata={"description": "pending, fulfilled or cancelled"})
    status_label = fields.String(metadata={"description": "the status in the reader's language"})
    client_key = fields.String()
    created_at = Instant()
    decided_at = Instant(allow_none=True)
    decided_by = Text(allow_none=True)
    item = fields.Nested(RedemptionItemSchema, metadata={"description": "the item's name and cover picture"})
    method = fields.String(allow_none=True, metadata={"description": "delivery or pickup (null: made before either "
                                                                     "existed)"})
    delivery = fields.Nested(MaskedDeliverySchema, allow_none=True, metadata={"description": "masked"})
    pickup_site = fields.Nested(PickupSiteSchema, allow_none=True)
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    pickup_code = fields.String(allow_none=True)
    cancelled_by = fields.String(allow_none=True, metadata={"description": "owner or admin"})
    cancel_reason = fields.String(allow_none=True)


class DeliveryDetailsSchema(Schema):
    """The full delivery details, for the mall admin posting the prize (each read is recorded)."""

    redemption_id = Text()
    recipient = fields.String()
    phone = fields.String()
    region_code = fields.String()
    region_name = fields.String()
    address = fields.String()


class RedemptionListRequest(PageRequest):
    status = fields.String(load_default=None, validate=validate.OneOf(REDEMPTION_STATUSES))
    everyone = fields.Boolean(load_default=False, metadata={"description": "admins: every user's redemptions"})


class RedemptionPageSchema(Page):
    items = fields.List(fields.Nested(RedemptionSchema))


# --- statistics --------------------------------------------------------------------------------
class MeStatsSchema(Schema):
    shares_today = fields.Integer(metadata={"description": "counted shares today (Asia/Shanghai), live"})
    shares_total = fields.Integer(metadata={"description": "counted shares in total, live"})
    returns_today = fields.Integer(metadata={"description": "returns received today (raw, every one, counted or not)"})
    returns_total = fields.Integer(metadata={"description": "returns received in total (raw)"})
    not_counted_today = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "shares returned today that the counting rule did not count, per reason: duplicate (the "
                       "same content on the same channel counted already today), minute_ceiling (more than "
                       "counting_rule.per_minute in one minute)"})
    counting_rule = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "per_content_channel_day: counted shares per content, channel and Asia/Shanghai day; "
                       "per_minute: counted shares per clock minute"})
    counts_for_boards = fields.Boolean(metadata={
        "description": "false until your real-name verification is approved: your shares then count for your own "
                       "figures and points but not on leaderboards, organization figures or recognition"})
    points = fields.Integer()
    rank = fields.Integer(allow_none=True, metadata={"description": "rank in your city this week, as of 00:00"})
    rank_scope = fields.String()
    rank_period = fields.String()
    as_of = Instant(metadata={"type": "string", "format": "date-time", "description": "the rank's as of"})


class OrgStatsSchema(Schema):
    org_id = Text()
    name = fields.String()
    category = fields.String()
    region_code = fields.String()
    region_name = fields.String(allow_none=True)
    communicators = fields.Integer(metadata={"description": "registered communicators as of as_of"})
    shares_total = fields.Integer(metadata={"description": "counted shares made by them until as_of"})
    shares_last_day = fields.Integer(metadata={"description": "counted shares of the day before as_of"})
    as_of = Instant(allow_none=True, metadata={"type": "string", "format": "date-time",
                                               "description": "00:00 Asia/Shanghai: not real-time (null before the "
                                                              "first daily rollup)"})


class LeaderboardRequest(PageRequest):
    subject = fields.String(load_default="communicators", validate=validate.OneOf(LEADERBOARD_SUBJECTS))
    scope = fields.String(load_default="national", validate=validate.OneOf(LEADERBOARD_SCOPES))
    code = fields.String(load_default=None, validate=validate.Length(max=50),
                         metadata={"description": "the city or province code (GB/T 2260), or the org id"})
    period = fields.String(load_default="week", validate=validate.OneOf(LEADERBOARD_PERIODS))
    campaign_id = fields.UUID(load_default=None)

    @validates_schema
    def _complete(self, data, **kwargs):
        if data.get("scope") != "national" and not data.get("code"):
            raise field_error("required", "code")
        if data.get("period") == "campaign" and not data.get("campaign_id"):
            raise field_error("required", "campaign_id")
        if data.get("scope") == "org" and data.get("code"):
            try:
                fields.UUID().deserialize(data["code"])
            except ValidationError:
                raise field_error("not_a_uuid", "code") from None


class LeaderRowSchema(Schema):
    rank = fields.Integer()
    shares = fields.Integer()
    user_id = Text()
    masked_name = fields.String(allow_none=True, metadata={
        "description": "communicators: the real name masked (王*明), from identity; null if it is unknown"})
    org_id = Text()
    name = fields.String(metadata={"description": "organizations: the organization's name"})
    org_name = fields.String(allow_none=True, metadata={"description": "communicators: their organization's name"})
    region_code = fields.String(allow_none=True)
    region_name = fields.String(allow_none=True, metadata={"description": "the region's full name (北京市朝阳区)"})


class LeaderboardSchema(Page):
    items = fields.List(fields.Nested(LeaderRowSchema))
    own_rank = fields.Integer(allow_none=True, metadata={"description": "the caller's rank (communicators)"})
    as_of = Instant()
    scope_code = fields.String(allow_none=True, metadata={
        "description": "the code the board is filed under (110100, 北京's official city code, gives 110000)"})
    scope_name = fields.String(allow_none=True, metadata={"description": "the city's or province's name"})


class RecognitionRequest(Schema):
    campaign_id = fields.UUID(required=True)


class RecognisedOrgSchema(Schema):
    org_id = Text()
    name = fields.String()
    region_code = fields.String()
    region_name = fields.String(allow_none=True)
    communicators = fields.Integer()
    shares = fields.Integer()


class RecognisedPersonSchema(Schema):
    user_id = Text()
    masked_name = fields.String(allow_none=True, metadata={"description": "the real name masked (王*明)"})
    real_name = fields.String(allow_none=True, metadata={
        "description": "the full real name: only for the platform admin and the admins of the person's area or "
                       "organization (docs/architecture.md \"Who sees names\"); null for anyone else"})
    phone = fields.String(allow_none=True, metadata={"description": "masked (138****1234), with real_name only"})
    org_id = Text(allow_none=True)
    org_name = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    region_name = fields.String(allow_none=True)
    shares = fields.Integer()


class RecognitionSchema(Schema):
    campaign = fields.Nested(CampaignSchema)
    thresholds = fields.Dict(keys=fields.String(), values=fields.Integer())
    as_of = Instant()
    orgs = fields.List(fields.Nested(RecognisedOrgSchema))
    individuals = fields.List(fields.Nested(RecognisedPersonSchema))


class ActivityStatsRequest(Schema):
    campaign_id = fields.UUID(load_default=None)
    region_code = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$"))


class CountSchema(Schema):
    key = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "by_region: the region's full name"})
    approved = fields.Integer()


class ActivityStatsSchema(Schema):
    approved = fields.Integer()
    by_channel = fields.List(fields.Nested(CountSchema))
    by_region = fields.List(fields.Nested(CountSchema))
    by_campaign = fields.List(fields.Nested(CountSchema))


class DownloadsRequest(Schema):
    org_id = fields.UUID(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class DownloadRowSchema(Schema):
    resource_id = Text()
    org_id = Text()
    type = fields.String()
    downloads = fields.Integer()


class DownloadsSchema(Schema):
    total = fields.Integer()
    top = fields.List(fields.Nested(DownloadRowSchema))
