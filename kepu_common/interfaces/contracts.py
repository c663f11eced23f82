"""Event contracts: every event the platform publishes, as a marshmallow schema with a version and an id.

An event travels as one JSON object: the envelope fields of EventSchema plus the event's own fields.
Consumers de-duplicate by event_id. A change that breaks consumers gets a new version number and the
old one keeps being accepted until no producer sends it (see docs/events.md).
"""
import re
import uuid
from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

# The platform's enumerations, defined once: services, their schemas and the gateway import them from here.
# Display labels are in the catalogues (kepu_common/locale), keyed "<kind>.<value>" (messages.label).
SERVICES = ("identity", "resources", "activities", "review", "metrics")
EVENT_SOURCES = SERVICES + ("gateway",)  # the gateway publishes share returns itself (the hot path)
REVIEW_STAGES = ("realname", "org", "initial", "scientific", "provincial", "national")
ORG_CATEGORIES = ("ministry", "provincial_cast", "city_cast", "county_cast", "national_society", "enterprise", "society",
                  "street", "community", "school", "other")
# 归口单位: the categories that can supervise an activity (and are its nomination channels)
SUPERVISING_CATEGORIES = ("ministry", "provincial_cast", "city_cast", "county_cast", "national_society")
COMMUNICATOR_TYPES = ("individual", "district_admin", "street_admin")
RESOURCE_TYPES = ("article", "image", "video", "wallchart", "audio", "debunk")
RESOURCE_STATUSES = ("pending_initial", "initial_rejected", "pending_scientific", "scientific_rejected", "published",
                     "withdrawn")
ACTIVITY_MODES = ("online", "offline", "both")
ACTIVITY_REVIEW_STATUSES = ("pending_provincial", "provincial_rejected", "pending_national", "national_rejected",
                            "approved")
ACTIVITY_TIME_STATUSES = ("not_started", "ongoing", "ended")
ACTIVITY_TYPES = ("lecture", "exhibition", "hands_on", "open_day", "contest", "performance", "film", "livestream",
                  "field_trip", "other")
# 联合行动 and 科普专项行动 categories an activity can be part of
ACTIVITY_JOINT_ACTIONS = ("science_museums", "universities", "research_institutes", "enterprises", "schools",
                          "communities")
# an activity's follow-up summary (活动总结), in the form's order: activities takes it, the review UI shows it
FOLLOWUP_SUMMARY_PARTS = ("basic_facts", "results", "highlights", "reusable_resources", "lessons")
ACTIVITY_SPECIAL_ACTIONS = ("rural_revitalization", "health", "emergency", "ecology", "digital_literacy", "elderly")
SHARE_CHANNELS = ("wechat_group", "wechat_moments", "qq_group", "qq", "weibo", "link")
SHARE_CONTENT_TYPES = ("resource", "activity", "article")


class EventSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # a newer producer may add fields; older consumers ignore them

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    source = fields.String(required=True, validate=validate.OneOf(EVENT_SOURCES))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class PingEvent(EventSchema):
    """Proof that the bus works end to end: a service records a ping and announces it."""

    ping_id = fields.UUID(required=True)
    message = fields.String(required=True, validate=validate.Length(max=200))


class ReviewRequested(EventSchema):
    subject_type = fields.String(required=True)
    subject_id = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(REVIEW_STAGES))
    scope = fields.String(load_default=None, allow_none=True)  # province code for provincial review
    snapshot = fields.Dict(required=True)


class ReviewDecided(EventSchema):
    task_id = fields.String(required=True)
    subject_type = fields.String(required=True)
    subject_id = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(REVIEW_STAGES))
    decision = fields.String(required=True, validate=validate.OneOf(("approved", "rejected")))
    comment = fields.String(load_default="", allow_none=True)
    reviewer_id = fields.String(required=True)
    decided_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class ReviewTaskEscalated(EventSchema):
    """review_task_overdue / review_task_released: a reviewer's claimed task went past its service level, or
    the stage's lead took it from them (services/review/sla.py); identity tells the reviewer."""

    task_id = fields.String(required=True)
    user_id = fields.String(required=True)  # the claimant told
    subject = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(REVIEW_STAGES))
    stage_label = fields.String(required=True)
    sla_hours = fields.Float(required=True)


class UserRegistered(EventSchema):
    user_id = fields.UUID(required=True)
    registered_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class RoleChanged(EventSchema):
    """role_granted / role_revoked: scope is the review stage (and province) or an area code, or ''."""

    user_id = fields.UUID(required=True)
    role = fields.String(required=True)
    scope = fields.String(required=True)
    actor_id = fields.UUID(load_default=None, allow_none=True)


class VerificationSubmitted(EventSchema):
    verification_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    region_code = fields.String(required=True)


class VerificationDecided(EventSchema):
    """user_verified / user_verification_rejected. The optional fields say who the communicator is (metrics
    counts communicators per region and organization from them)."""

    verification_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    comment = fields.String(load_default="")
    region_code = fields.String(load_default=None, allow_none=True)
    communicator_type = fields.String(load_default=None, allow_none=True,
                                      validate=validate.OneOf(COMMUNICATOR_TYPES))
    org_id = fields.UUID(load_default=None, allow_none=True)
    # user_verified since issue 23: the real name masked (王*明) for leaderboards; never the name itself
    masked_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class MembershipChanged(EventSchema):
    """member_joined / member_left: a communicator joined or left (or was removed from) an organization."""

    user_id = fields.UUID(required=True)
    org_id = fields.UUID(required=True)
    actor_id = fields.UUID(load_default=None, allow_none=True)


class OrgRegistered(EventSchema):
    org_id = fields.UUID(required=True)
    registrant_id = fields.UUID(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True)
    region_code = fields.String(required=True)


class OrgDecided(EventSchema):
    """org_verified / org_rejected."""

    org_id = fields.UUID(required=True)
    registrant_id = fields.UUID(required=True)
    comment = fields.String(load_default="")


class ResourceStatusChanged(EventSchema):
    """A resource moved in its review flow (submitted, revised, decided, published, withdrawn)."""

    resource_id = fields.UUID(required=True)
    org_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(RESOURCE_TYPES))
    status = fields.String(required=True, validate=validate.OneOf(RESOURCE_STATUSES))
    previous_status = fields.String(load_default=None, allow_none=True)
    actor_id = fields.String(load_default=None, allow_none=True)  # the user, or the reviewer for a decision


class ResourceDownloaded(EventSchema):
    """One download of a published resource (the presigned link was handed out)."""

    resource_id = fields.UUID(required=True)
    org_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(RESOURCE_TYPES))
    user_id = fields.UUID(load_default=None, allow_none=True)  # None for an anonymous download
    downloaded_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class ActivityChanged(EventSchema):
    """activity_submitted / _edited / _approved / _rejected / _shelved / _followup_submitted / _nominated.

    Every one says where the activity counts: its region, campaign and channel (the supervising unit's
    category), so metrics builds activity statistics from these events alone."""

    activity_id = fields.UUID(required=True)
    org_id = fields.UUID(required=True)
    campaign_id = fields.UUID(required=True)
    region_code = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(SUPERVISING_CATEGORIES))
    supervising_org_id = fields.UUID(required=True)
    review_status = fields.String(required=True, validate=validate.OneOf(ACTIVITY_REVIEW_STATUSES))
    shelf = fields.String(required=True, validate=validate.OneOf(("on", "off")))
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    stage = fields.String(load_default=None, allow_none=True)  # the review stage a decision was taken at
    reason = fields.String(load_default="", allow_none=True)  # a rejection's or a shelving's reason
    actor_id = fields.String(load_default=None, allow_none=True)
    # the fields above say where the activity counts: its last approved version while it has one (an edit
    # under review keeps it counted and shareable); these say what its owner last submitted (issue 22)
    current_review_status = fields.String(load_default=None, allow_none=True,
                                          validate=validate.OneOf(ACTIVITY_REVIEW_STATUSES))
    current_revision = fields.Integer(load_default=None, allow_none=True)


class ShareReturned(EventSchema):
    """share_returned, published by the gateway (source "gateway") once it verified the signed share id: the
    user came back to the app. Metrics counts each share once, however many returns arrive."""

    share_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    returned_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class RedemptionDecided(EventSchema):
    """redemption_fulfilled / redemption_cancelled (metrics, the points mall): what the person is told. No
    recipient, phone or address: those stay sealed in metrics. fulfilled: the carrier and tracking number of a
    posted prize, or the pickup code and site of one to collect. cancelled: by the owner or a mall admin, with
    the admin's reason; the points are back on the person's balance."""

    redemption_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    item_id = fields.UUID(required=True)
    item_name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    points = fields.Integer(required=True)
    method = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("delivery", "pickup")))
    pickup_site_id = fields.UUID(load_default=None, allow_none=True)
    pickup_site_name = fields.String(load_default=None, allow_none=True)
    carrier = fields.String(load_default=None, allow_none=True)
    tracking_number = fields.String(load_default=None, allow_none=True)
    pickup_code = fields.String(load_default=None, allow_none=True)
    cancelled_by = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("owner", "admin")))
    reason = fields.String(load_default=None, allow_none=True)
    actor_id = fields.UUID(load_default=None, allow_none=True)
    decided_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


# event_type -> (current version, schema class)
EVENTS = {
    "ping": (1, PingEvent),
    "user_registered": (1, UserRegistered),
    "role_granted": (1, RoleChanged),
    "role_revoked": (1, RoleChanged),
    "verification_submitted": (1, VerificationSubmitted),
    "user_verified": (1, VerificationDecided),
    "user_verification_rejected": (1, VerificationDecided),
    "org_registered": (1, OrgRegistered),
    "org_verified": (1, OrgDecided),
    "org_rejected": (1, OrgDecided),
    "review_requested": (1, ReviewRequested),
    "review_decided": (1, ReviewDecided),
    "review_task_overdue": (1, ReviewTaskEscalated),
    "review_task_released": (1, ReviewTaskEscalated),
    "resource_status_changed": (1, ResourceStatusChanged),
    "resource_downloaded": (1, ResourceDownloaded),
    "member_joined": (1, MembershipChanged),
    "member_left": (1, MembershipChanged),
    # --- activities' events (services/activities) ---
    "activity_submitted": (1, ActivityChanged),
    "activity_edited": (1, ActivityChanged),
    "activity_approved": (1, ActivityChanged),
    "activity_rejected": (1, ActivityChanged),
    "activity_shelved": (1, ActivityChanged),
    "activity_followup_submitted": (1, ActivityChanged),
    "activity_nominated": (1, ActivityChanged),
    "activity_nomination_withdrawn": (1, ActivityChanged),
    "activity_followup_extended": (1, ActivityChanged),
    # --- metrics' events (services/metrics, and the gateway's share returns) ---
    "share_returned": (1, ShareReturned),
    # --- the points mall (services/metrics/mall.py) ---
    "redemption_fulfilled": (1, RedemptionDecided),
    "redemption_cancelled": (1, RedemptionDecided),
}


class UnknownEvent(ValueError):
    pass


_SCHEMAS = {}


def schema_for(event_type):
    """One schema instance per event type: building one deep-copies its fields (a third of a consumer's time)."""
    schema = _SCHEMAS.get(event_type)
    if schema is None:
        try:
            schema = _SCHEMAS[event_type] = EVENTS[event_type][1]()
        except (KeyError, TypeError):
            raise UnknownEvent(f"no contract for event type {event_type!r}") from None
    return schema


def make_event(event_type, source, **payload):
    """Build a validated, JSON-ready event with a fresh id. Raises ValidationError on a bad payload."""
    version = EVENTS[event_type][0] if event_type in EVENTS else None
    if version is None:
        raise UnknownEvent(f"no contract for event type {event_type!r}")
    data = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "version": version,
        "source": source,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        **payload,
    }
    schema = schema_for(event_type)
    return schema.dump(schema.load(data))


def load_event(data):
    """Validate an incoming event against its contract; returns the deserialized dict."""
    if not isinstance(data, dict):
        raise ValidationError("event must be a JSON object")
    event_type = data.get("event_type")
    schema = schema_for(event_type)
    event = schema.load(data)
    if event["version"] > EVENTS[event_type][0]:
        raise ValidationError({"version": [f"unsupported version {event['version']}"]})
    return event


# Events routed to their owner: the routing key is "<event_type>.<value of this field>", so a consumer binds
# only the subjects it owns (review_decided.resource reaches resources alone). Others route by event type.
ROUTED_BY = {"review_decided": "subject_type"}


def routing_key(event_type, payload):
    """The routing key an event is published with; payload is the event dict (or its JSON text)."""
    field = ROUTED_BY.get(event_type)
    if field is None:
        return event_type
    if isinstance(payload, (str, bytes)):
        import json

        payload = json.loads(payload)
    return f"{event_type}.{payload[field]}"


def binding_keys(event_type, subjects=None):
    """What a consumer of event_type binds: the event type, or one key per subject it owns."""
    if event_type not in ROUTED_BY:
        return [event_type]
    if not subjects:
        raise ValueError(f"{event_type} is routed by {ROUTED_BY[event_type]}: name the subjects you consume")
    return [f"{event_type}.{subject}" for subject in subjects]


def exchange_name(source):
    """Topic exchange a service's events go to (the name nameko's EventDispatcher uses too)."""
    return f"{source}.events"


# --- the social half's events (services/resources: communities, posts, comments, likes, favorites) ---
class CommunityChanged(EventSchema):
    """community_submitted / community_approved / community_rejected."""

    community_id = fields.UUID(required=True)
    creator_id = fields.UUID(required=True)
    name = fields.String(required=True)
    topic = fields.String(required=True)
    region_code = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("pending", "approved", "rejected")))


class CommunityMembershipChanged(EventSchema):
    """community_member_joined / community_member_left (left or removed: actor_id says who) /
    community_member_role_changed."""

    community_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    role = fields.String(required=True, validate=validate.OneOf(("member", "moderator", "admin")))
    actor_id = fields.String(load_default=None, allow_none=True)


class PostChanged(EventSchema):
    """post_published / post_held / post_rejected / post_hidden / post_restored / post_pinned / post_unpinned."""

    post_id = fields.UUID(required=True)
    community_id = fields.UUID(required=True)
    author_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("held", "published", "hidden", "rejected")))
    pinned = fields.Boolean(required=True)
    actor_id = fields.String(load_default=None, allow_none=True)


class CommentChanged(EventSchema):
    """comment_published / comment_held / comment_rejected / comment_hidden / comment_restored."""

    comment_id = fields.UUID(required=True)
    target_type = fields.String(required=True, validate=validate.OneOf(("resource", "activity", "post")))
    target_id = fields.UUID(required=True)
    parent_id = fields.UUID(load_default=None, allow_none=True)
    author_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("held", "published", "hidden", "rejected")))
    actor_id = fields.String(load_default=None, allow_none=True)


class ContentLiked(EventSchema):
    """content_liked / content_unliked: a post or comment; likes is its count after the change."""

    subject_type = fields.String(required=True, validate=validate.OneOf(("post", "comment")))
    subject_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    likes = fields.Integer(required=True)


class ContentReported(EventSchema):
    report_id = fields.UUID(required=True)
    subject_type = fields.String(required=True, validate=validate.OneOf(("post", "comment")))
    subject_id = fields.UUID(required=True)
    reporter_id = fields.UUID(required=True)


class FavoriteChanged(EventSchema):
    """favorite_added / favorite_removed."""

    user_id = fields.UUID(required=True)
    target_type = fields.String(required=True, validate=validate.OneOf(("resource", "activity", "post")))
    target_id = fields.UUID(required=True)


class ChannelsChosen(EventSchema):
    user_id = fields.UUID(required=True)
    channels = fields.List(fields.String(), required=True)


EVENTS.update({
    "community_submitted": (1, CommunityChanged),
    "community_approved": (1, CommunityChanged),
    "community_rejected": (1, CommunityChanged),
    "community_member_joined": (1, CommunityMembershipChanged),
    "community_member_left": (1, CommunityMembershipChanged),
    "community_member_role_changed": (1, CommunityMembershipChanged),
    "post_published": (1, PostChanged),
    "post_held": (1, PostChanged),
    "post_rejected": (1, PostChanged),
    "post_hidden": (1, PostChanged),
    "post_restored": (1, PostChanged),
    "post_pinned": (1, PostChanged),
    "post_unpinned": (1, PostChanged),
    "comment_published": (1, CommentChanged),
    "comment_held": (1, CommentChanged),
    "comment_rejected": (1, CommentChanged),
    "comment_hidden": (1, CommentChanged),
    "comment_restored": (1, CommentChanged),
    "content_liked": (1, ContentLiked),
    "content_unliked": (1, ContentLiked),
    "content_reported": (1, ContentReported),
    "favorite_added": (1, FavoriteChanged),
    "favorite_removed": (1, FavoriteChanged),
    "channels_chosen": (1, ChannelsChosen),
})
# --- share_returned: the one codec of the platform's highest-volume event -----------------------------------
# The gateway publishes it (gateway/share_return.py) and metrics consumes it (services/metrics/
# share_consumer.py), thousands a second: both sides skip the marshmallow round trip for the one exact shape
# the gateway sends (eight fields, canonical uuids, isoformat UTC instants). decode_share_returned accepts
# only a subset of what the EVENTS schema accepts, with the same result; anything else goes to load_event.
SHARE_RETURNED, SHARE_RETURN_SOURCE = "share_returned", "gateway"
_SHARE_RETURNED_FIELDS = frozenset(("event_id", "event_type", "version", "source", "occurred_at", "share_id",
                                    "user_id", "returned_at"))
# [0-9], never \d (which matches other scripts' digits); fullmatch, so no trailing newline either
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UTC_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?\+00:00")


def encode_share_returned(share_uuid, user_id, now):
    """The share_returned event exactly as make_event("share_returned", "gateway", ...) builds it, without
    its marshmallow load and dump: every value is the caller's checked one (a verified share id, a token's
    subject), now an aware UTC datetime."""
    at = now.isoformat()
    return {"event_id": str(uuid.uuid4()), "event_type": SHARE_RETURNED, "version": EVENTS[SHARE_RETURNED][0],
            "source": SHARE_RETURN_SOURCE, "occurred_at": at, "share_id": str(share_uuid),
            "user_id": str(uuid.UUID(user_id)), "returned_at": at}


def _canonical_uuid(value):
    if type(value) is not str or not _CANONICAL_UUID.fullmatch(value):
        return None
    return uuid.UUID(value)


def _utc_instant(value):
    if type(value) is not str or not _UTC_INSTANT.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # the right shape, an impossible date (month 13)
        return None


def decode_share_returned(data):
    """The event as load_event would load it, if data has encode_share_returned's exact shape; else None."""
    if type(data) is not dict or data.keys() != _SHARE_RETURNED_FIELDS:
        return None
    if data["event_type"] != SHARE_RETURNED or data["source"] != SHARE_RETURN_SOURCE:
        return None
    version = data["version"]
    if type(version) is not int or not 1 <= version <= EVENTS[SHARE_RETURNED][0]:
        return None
    event = {"event_type": SHARE_RETURNED, "version": version, "source": SHARE_RETURN_SOURCE}
    for name in ("event_id", "share_id", "user_id"):
        event[name] = _canonical_uuid(data[name])
        if event[name] is None:
            return None
    for name in ("occurred_at", "returned_at"):
        event[name] = _utc_instant(data[name])
        if event[name] is None:
            return None
    return event
