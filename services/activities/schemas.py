"""The activities service's requests and responses, one module for the service and the gateway."""
import re
from datetime import datetime

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates, validates_schema

from kepu_common.interfaces.contracts import (
    ACTIVITY_JOINT_ACTIONS, ACTIVITY_MODES, ACTIVITY_REVIEW_STATUSES, ACTIVITY_SPECIAL_ACTIONS, ACTIVITY_TIME_STATUSES,
    ACTIVITY_TYPES, SUPERVISING_CATEGORIES,
)
from kepu_common.interfaces.schema_fields import Described, Page, Timestamp
from kepu_common.interfaces.validation import coded, field_error, one_line, plain_text, web_link
from services.activities.constants import DEFAULT_FOLLOWUP_RULES, SHANGHAI, SUMMARY_PARTS
from services.activities.contracts import check_schedule, now_utc

NAME_MAX = 50
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|400-?\d{3}-?\d{4})$")


def is_web_link(value):
    """An http(s) link to a public host (javascript:, data:, ftp:, bare words, control characters, loopback,
    link-local and private hosts are not: kepu_common.interfaces.validation.web_link)."""
    return web_link(value) is not None


class WebLink(fields.String):
    """A link stored normalized (kepu_common.interfaces.validation.web_link); one that is not a web link is left as
    typed for the schema's check to refuse with its own code."""

    def _deserialize(self, value, attr, data, **kwargs):
        typed = super()._deserialize(value, attr, data, **kwargs)
        return web_link(typed) or typed


def _line(max_length, required=False, **kwargs):
    """A one-line text field: no control characters (CR and LF included)."""
    length = validate.Length(min=1 if required else 0, max=max_length)
    if required:
        return fields.String(required=True, validate=[length, one_line], **kwargs)
    return fields.String(load_default="", validate=[length, one_line], **kwargs)


def _text(max_length, required=False, **kwargs):
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_length), **kwargs)
    return fields.String(load_default="", validate=validate.Length(max=max_length), **kwargs)


# --- campaigns --------------------------------------------------------------------------------------
class ActivityFollowupRules(Schema):
    min_media_links = fields.Integer(load_default=DEFAULT_FOLLOWUP_RULES["min_media_links"],
                                     validate=validate.Range(min=0))
    min_photos = fields.Integer(load_default=DEFAULT_FOLLOWUP_RULES["min_photos"], validate=validate.Range(min=0))
    max_photos = fields.Integer(load_default=DEFAULT_FOLLOWUP_RULES["max_photos"], validate=validate.Range(min=1))
    max_videos = fields.Integer(load_default=DEFAULT_FOLLOWUP_RULES["max_videos"], validate=validate.Range(min=0))
    max_video_seconds = fields.Integer(load_default=DEFAULT_FOLLOWUP_RULES["max_video_seconds"],
                                       validate=validate.Range(min=1))
    min_participants_offline = fields.Integer(load_default=DEFAULT_FOLLOWUP_RULES["min_participants_offline"],
                                              validate=validate.Range(min=0))
    min_participants_online = fields.Integer(load_default=DEFAULT_FOLLOWUP_RULES["min_participants_online"],
                                             validate=validate.Range(min=0))
    summary_days = fields.Integer(load_default=DEFAULT_FOLLOWUP_RULES["summary_days"], validate=validate.Range(min=0))


class ActivityCampaignRequest(Schema):
    name = _text(100, required=True, metadata={"description": "e.g. 2023年全国科普日"})
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    theme = _text(200)
    window_start = fields.Date(required=True, metadata={"description": "first publishing day (Asia/Shanghai)"})
    window_end = fields.Date(required=True, metadata={"description": "last publishing day (Asia/Shanghai)"})
    followup_rules = fields.Nested(ActivityFollowupRules, load_default=lambda: dict(DEFAULT_FOLLOWUP_RULES))
    quotas = fields.Dict(keys=fields.String(validate=validate.OneOf(SUPERVISING_CATEGORIES)),
                         values=fields.Integer(validate=validate.Range(min=0)), load_default=dict,
                         metadata={"description": "nomination quota per channel (supervising category)"})
    nomination_deadline = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "last day (Asia/Shanghai) nominations are made or withdrawn; none: not closed"})
    unit_quotas = fields.Dict(keys=fields.UUID(), values=fields.Integer(validate=validate.Range(min=0),
                                                                        allow_none=True), load_default=dict,
                              metadata={"description": "a supervising unit's own nomination quota (organization id: "
                                                      "quota; null: its category's default from quotas)"})

    @validates_schema
    def window_in_order(self, data, **kwargs):
        if data.get("window_start") and data.get("window_end") and data["window_end"] < data["window_start"]:
            raise field_error("window_end_before_start", "window_end")


class ActivityCampaignUpdate(Schema):
    """PATCH /campaigns/{id}: what a platform admin changes (only the fields sent: no defaults), and why."""

    name = fields.String(validate=[validate.Length(min=1, max=100), one_line])
    theme = fields.String(validate=[validate.Length(max=200), one_line])
    window_start = fields.Date()
    window_end = fields.Date(metadata={"description": "later: the window extended; before today: closed early"})
    nomination_deadline = fields.Date(allow_none=True)
    quotas = fields.Dict(keys=fields.String(validate=validate.OneOf(SUPERVISING_CATEGORIES)),
                         values=fields.Integer(validate=validate.Range(min=0)))
    unit_quotas = fields.Dict(keys=fields.UUID(), values=fields.Integer(validate=validate.Range(min=0), allow_none=True))
    reason = _line(500, required=True)


class CampaignChangeSchema(Schema):
    changed_by = fields.String()
    changes = fields.Dict(metadata={"description": "field: [before, after]"})
    reason = fields.String()
    at = Timestamp()


class Day(fields.Date):
    """A date in a reply: a service's reply is text already when the gateway passes it on."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class ActivityCampaignSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    year = fields.Integer()
    theme = fields.String()
    window_start = Day()
    window_end = Day()
    open = fields.Boolean(metadata={"description": "today (Asia/Shanghai) is inside the publishing window"})
    followup_rules = fields.Nested(ActivityFollowupRules)
    quotas = fields.Dict(keys=fields.String(), values=fields.Integer())
    nominated = fields.Dict(keys=fields.String(), values=fields.Integer())
    created_at = Timestamp()
    nomination_deadline = Day(allow_none=True)
    unit_quotas = fields.Dict(keys=fields.String(), values=fields.Integer())


class ActivityCampaignList(Schema):
    items = fields.List(fields.Nested(ActivityCampaignSchema))


# --- the activity form ------------------------------------------------------------------------------
class ActivityActionSchema(Schema):
    """联合行动 / 科普专项行动: yes + categories."""

    included = fields.Boolean(load_default=False)
    categories = fields.List(fields.String(), load_default=list)

    @validates_schema
    def categories_when_included(self, data, **kwargs):
        if data["included"] and not data["categories"]:
            raise field_error("action_categories_required", "categories")
        if not data["included"] and data["categories"]:
            raise field_error("action_categories_without_yes", "categories")


class JointAction(ActivityActionSchema):
    categories = fields.List(fields.String(validate=validate.OneOf(ACTIVITY_JOINT_ACTIONS)), load_default=list)


class SpecialAction(ActivityActionSchema):
    categories = fields.List(fields.String(validate=validate.OneOf(ACTIVITY_SPECIAL_ACTIONS)), load_default=list)


class ActivityParty(Schema):
    """An organization from the directory (linked by id) or free text (stored as text)."""

    org_id = fields.UUID(load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True, validate=[validate.Length(min=1, max=100), one_line])

    @validates_schema
    def one_of_id_or_name(self, data, **kwargs):
        if (data["org_id"] is None) == (data["name"] is None):
            raise field_error("party_id_or_name", "name")


class ActivityReservation(Schema):
    enabled = fields.Boolean(load_default=False)
    url = WebLink(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def link_when_enabled(self, data, **kwargs):
        if data["enabled"] and not data["url"]:
            raise field_error("reservation_url_required", "url")
        if data["url"] and not is_web_link(data["url"]):
            raise field_error("reservation_url_not_web", "url")


class ActivityDetails(Schema):
    """活动详情 part by part: the four required ones of seed 004, then the optional ones."""

    content = fields.String(required=True, validate=[validate.Length(min=1, max=2000), plain_text])
    audience = _line(200, required=True)
    scientists = fields.String(required=True, validate=[validate.Length(min=1, max=500), plain_text],
                               metadata={"description": "names and posts, or a field (××领域的科技工作者)"})
    contact_person = _line(50, required=True)
    contact_phone = fields.String(required=True, validate=one_line)
    contact_email = fields.String(load_default="", validate=validate.Length(max=254), metadata={
        "description": "optional e-mail address; published with the activity and named as the calendar's "
                       "ORGANIZER address (else the contact phone)"})
    highlights = fields.String(load_default="", validate=[validate.Length(max=1000), plain_text])
    participation_channel = fields.String(load_default="", validate=[validate.Length(max=500), plain_text])
    promotion = fields.String(load_default="", validate=[validate.Length(max=500), plain_text])

    @validates("contact_email")
    def email(self, value, **kwargs):
        if value.strip():
            validate.Email(error=coded("not_an_email"))(value.strip())

    @validates("contact_phone")
    def phone(self, value, **kwargs):
        if not PHONE.match(value.strip()):
            raise ValidationError(coded("activity_contact_phone_invalid"))


DETAILS_PARTS = ("content", "audience", "scientists", "highlights", "participation_channel", "promotion")


class DetailsPictureForm(Schema):
    upload_id = fields.UUID(required=True)
    part = fields.String(required=True, validate=validate.OneOf(DETAILS_PARTS),
                         metadata={"description": "the details part it belongs to (participation_channel for a QR code)"})
    caption = _line(100)


class ActivityVenue(Schema):
    """地点: where an offline (or both) activity takes place: an address and its division code (the activity's
    region when left out)."""

    address = _line(200, metadata={"description": "street address, one line"})
    region_code = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$"),
                                metadata={"description": "the venue's division code; default: the activity's region"})


class AttachedActivityFile(Schema):
    """A finished upload as resources.attach_uploads describes it (the gateway attaches, then sends it)."""

    upload_id = fields.String(required=True)
    bucket = fields.String(required=True)
    key = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(load_default="")
    duration_seconds = fields.Float(load_default=None, allow_none=True)
    width = fields.Integer(load_default=None, allow_none=True)
    height = fields.Integer(load_default=None, allow_none=True)
    filename = fields.String(load_default="")
    thumbnail_key = fields.String(load_default=None, allow_none=True)


class ActivityForm(Schema):
    """What an organization sends (POST /activities, PUT /activities/{id}); the poster by upload id."""

    campaign_id = fields.UUID(required=True)
    org_id = fields.UUID(load_default=None, allow_none=True,
                         metadata={"description": "only when you administer several organizations"})
    name = fields.String(required=True, validate=[validate.Length(min=1, max=NAME_MAX,
                                                                  error=coded("activity_name_too_long", max=NAME_MAX)),
                                                  one_line])
    mode = fields.String(required=True, validate=validate.OneOf(ACTIVITY_MODES))
    type = fields.String(required=True, validate=validate.OneOf(ACTIVITY_TYPES))
    # a time without an offset is an organizer's wall-clock time: Asia/Shanghai
    start_at = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    end_at = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    region_code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))
    supervising_category = fields.String(required=True, validate=validate.OneOf(SUPERVISING_CATEGORIES))
    supervising_org_id = fields.UUID(required=True)
    joint_action = fields.Nested(JointAction, load_default=lambda: {"included": False, "categories": []})
    special_action = fields.Nested(SpecialAction, load_default=lambda: {"included": False, "categories": []})
    youth_festival = fields.Boolean(load_default=False)
    partner_agencies = fields.List(fields.Nested(ActivityParty), load_default=list, validate=validate.Length(max=20))
    partner_societies = fields.List(fields.Nested(ActivityParty), load_default=list, validate=validate.Length(max=20))
    hosts = fields.List(fields.Nested(ActivityParty), required=True,
                        validate=validate.Length(min=1, max=20, error=coded("activity_hosts_required")),
                        metadata={"description": "主办单位, at least one (from the directory or as text)"})
    venue = fields.Nested(ActivityVenue, load_default=None, allow_none=True,
                          metadata={"description": "地点, required for offline and both"})
    organizers = fields.List(fields.Nested(ActivityParty), load_default=list, validate=validate.Length(max=20))
    reservation = fields.Nested(ActivityReservation, load_default=lambda: {"enabled": False, "url": None})
    expected_participants = fields.Integer(load_default=None, allow_none=True,
                                           validate=validate.Range(min=0, max=100_000_000))
    poster_upload_id = fields.UUID(required=True,
                                   metadata={"description": "a finished upload of purpose activity_poster"})
    details = fields.Nested(ActivityDetails, required=True)
    pictures = fields.List(fields.Nested(DetailsPictureForm), load_default=list, validate=validate.Length(max=9),
                           metadata={"description": "pictures inside the details (a QR code as 参与渠道, promotion "
                                                    "pictures): uploads of purpose activity_poster, images only"})

    @validates("name")
    def name_not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError(coded("activity_name_blank"))

    @validates_schema(skip_on_field_errors=False)
    def whole_form(self, data, **kwargs):
        """The rules that read several fields, checked in the same round as the fields' own (a too-long name
        and a past start are answered together): the schedule against the clock, the venue of an offline
        activity."""
        errors = {}
        if isinstance(data.get("start_at"), datetime) and isinstance(data.get("end_at"), datetime):
            broken, _ = check_schedule(data["start_at"], data["end_at"], now_utc())
            errors.update({field: [coded(code)] for field, code in broken.items()})
        if data.get("mode") in ("offline", "both"):
            venue = data.get("venue")
            if venue is None:
                errors["venue"] = [coded("venue_required_offline")]
            elif not venue.get("address", "").strip():
                errors["venue"] = {"address": [coded("venue_address_required")]}
        if errors:
            raise ValidationError(errors)


class AttachedDetailsPicture(AttachedActivityFile):
    part = fields.String(required=True)
    caption = fields.String(load_default="")

    @validates("content_type")
    def an_image(self, value, **kwargs):
        if not value.startswith("image/"):
            raise ValidationError(coded("details_picture_not_an_image"))


class ActivityRequest(ActivityForm):
    """The form with its poster and details pictures attached (what the service loads)."""

    poster = fields.Nested(AttachedActivityFile, required=True)
    pictures = fields.List(fields.Nested(AttachedDetailsPicture), load_default=list, validate=validate.Length(max=9))

    @validates("poster")
    def poster_is_an_image(self, value, **kwargs):
        if not str(value.get("content_type", "")).startswith("image/"):
            raise ValidationError(coded("poster_not_an_image"))


def _client_key():
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.Regexp(r"^[\x21-\x7e]{1,100}$", error=coded("client_key_invalid")),
                         metadata={"description": "your own key for this publication (1-100 printable ASCII "
                                                  "characters): sending the same form again with it returns the "
                                                  "activity published the first time instead of a second one"})


class ActivitySubmitForm(ActivityForm):
    """POST /activities: the form, and a key that makes a retried publication safe."""

    client_key = _client_key()


class ActivitySubmitRequest(ActivityRequest):
    client_key = _client_key()


class ActivityShelfRequest(Schema):
    shelf = fields.String(required=True, validate=validate.OneOf(("on", "off")))
    reason = fields.String(load_default="", validate=validate.Length(max=500))

    @validates_schema
    def reason_to_take_off(self, data, **kwargs):
        if data["shelf"] == "off" and not data["reason"].strip():
            raise field_error("shelf_reason_required", "reason")


# --- follow-up materials ----------------------------------------------------------------------------
class FollowupPhotoForm(Schema):
    upload_id = fields.UUID(required=True)
    caption = fields.String(load_default="", validate=validate.Length(max=200))
    evidence = fields.Boolean(load_default=False, metadata={"description": "shows the participants (照片佐证)"})


class FollowupSummary(Schema):
    """活动简要总结, part by part; a draft may leave parts empty."""

    basic_facts = _text(2000)
    results = _text(2000)
    highlights = _text(2000)
    reusable_resources = _text(2000)
    lessons = _text(2000)


assert tuple(FollowupSummary().fields) == SUMMARY_PARTS


class FollowupForm(Schema):
    media_links = fields.List(WebLink(validate=validate.Length(max=500)), load_default=list,
                              validate=validate.Length(max=50))
    photos = fields.List(fields.Nested(FollowupPhotoForm), load_default=list, validate=validate.Length(max=50))
    video_upload_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20))
    participants = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    summary = fields.Nested(FollowupSummary, load_default=dict)
    submit = fields.Boolean(load_default=False, metadata={"description": "false saves a draft"})

    @validates("media_links")
    def web_links(self, value, **kwargs):
        bad = {index: [coded("media_link_not_web")] for index, link in enumerate(value) if not is_web_link(link)}
        if bad:
            raise ValidationError(bad)


class AttachedFollowupPhoto(AttachedActivityFile):
    caption = fields.String(load_default="")
    evidence = fields.Boolean(load_default=False)


class FollowupRequest(FollowupForm):
    """The follow-up form with its photos and videos attached (what the service loads)."""

    photos = fields.List(fields.Nested(AttachedFollowupPhoto), load_default=list, validate=validate.Length(max=50))
    videos = fields.List(fields.Nested(AttachedActivityFile), load_default=list, validate=validate.Length(max=20))


class FollowupCheckItem(Schema):
    rule = fields.String()
    field = fields.String()
    ok = fields.Boolean()
    code = fields.String()
    message = fields.String()


class FollowupFileSchema(Schema):
    """A follow-up photo or video to look at: short-lived view URLs, never a storage key."""

    upload_id = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)
    caption = fields.String()
    evidence = fields.Boolean()
    url = fields.String(metadata={"description": "view URL, valid for url_expires_in seconds"})
    thumbnail_url = fields.String(allow_none=True, metadata={"description": "a photo's thumbnail (JPEG); none for "
                                                                              "a video"})
    url_expires_in = fields.Integer()


class FollowupSchema(Schema):
    activity_id = fields.UUID()
    status = fields.String(metadata={"description": "draft or submitted"})
    media_links = fields.List(fields.String())
    photos = fields.List(fields.Nested(FollowupFileSchema))
    videos = fields.List(fields.Nested(FollowupFileSchema))
    viewer = fields.String(metadata={"description": "why you see it: owner, supervising_unit, reviewer or "
                                                    "platform_admin"})
    participants = fields.Integer(allow_none=True)
    summary = fields.Nested(FollowupSummary)
    checklist = fields.List(fields.Nested(FollowupCheckItem))
    complete = fields.Boolean()
    deadline = Day(metadata={"description": "last day for the summary (Asia/Shanghai)"})
    submitted_at = Timestamp(allow_none=True)
    updated_at = Timestamp()


# --- listing, detail, nomination --------------------------------------------------------------------
class ActivityListRequest(Schema):
    region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$"),
                           metadata={"description": "a division code: a province includes its cities and counties"})
    type = fields.String(load_default=None, validate=validate.OneOf(ACTIVITY_TYPES))
    mode = fields.String(load_default=None, validate=validate.OneOf(ACTIVITY_MODES))
    campaign = fields.UUID(load_default=None)
    time_status = fields.String(load_default=None, validate=validate.OneOf(ACTIVITY_TIME_STATUSES))
    supervising_category = fields.String(load_default=None, validate=validate.OneOf(SUPERVISING_CATEGORIES))
    youth_festival = fields.Boolean(load_default=None, allow_none=True)
    q = fields.String(load_default=None, validate=[validate.Length(max=50), one_line], metadata={
        "description": "keywords in the name, the hosts or the venue (Chinese: any 2 characters in a row)"})
    level = fields.String(load_default=None, validate=validate.OneOf(("official", "local")), metadata={
        "description": "official 官方活动 (ministries, national societies) or local 地方活动 (provincial, city and "
                       "county CASTs)"})
    sort = fields.String(load_default="upcoming", validate=validate.OneOf(("upcoming", "start")), metadata={
        "description": "upcoming: not ended first, soonest first, then ended ones, latest first (default); "
                       "start: by start time"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class MyActivitiesRequest(Schema):
    review_status = fields.String(load_default=None, validate=validate.OneOf(ACTIVITY_REVIEW_STATUSES))
    org_id = fields.UUID(load_default=None, allow_none=True)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ActivityWarning(Schema):
    code = fields.String()
    field = fields.String()
    message = fields.String()


class Division(Schema):
    """An administrative division as kepu_common.domain.regions.describe gives it (for display and snapshots)."""

    code = fields.String(required=True, metadata={"description": "6-digit division code", "example": "440106"})
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"description": "province, city or county"})
    full_name = fields.String(required=True, metadata={"description": "the names from the province down"})
    province = fields.String(required=True, metadata={"description": "the province's division code"})


class SupervisingUnit(Schema):
    """The activity's supervising unit (主管单位): an organization of the directory and its channel."""

    category = fields.String(required=True, validate=validate.OneOf(SUPERVISING_CATEGORIES))
    category_label = fields.String()
    org_id = fields.String(required=True)
    name = fields.String(required=True)
    region_code = fields.String()
    province = fields.String()


class Venue(Schema):
    """地点 as shown: the address and its division."""

    address = fields.String(required=True)
    region = fields.Nested(Division, required=True)


class DetailsPicture(Schema):
    """A picture inside the details, as shown."""

    part = fields.String(required=True, validate=validate.OneOf(DETAILS_PARTS))
    caption = fields.String(required=True)
    content_type = fields.String()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    url = fields.String(allow_none=True, metadata={"description": "a short-lived link"})


class ActivitySchema(Schema):
    """An activity as its owner sees it (every status and reason), or as the public sees the approved
    version (public=true: review fields left out)."""

    id = fields.UUID()
    org_id = fields.UUID()
    campaign_id = fields.UUID()
    revision = fields.Integer()
    name = fields.String()
    mode = fields.String()
    mode_label = fields.String()
    type = fields.String()
    type_label = fields.String()
    start_at = Timestamp()
    end_at = Timestamp()
    time_status = fields.String()
    time_status_label = fields.String()
    region = fields.Nested(Division)
    supervising_unit = fields.Nested(SupervisingUnit)
    joint_action = fields.Nested(JointAction)
    special_action = fields.Nested(SpecialAction)
    youth_festival = fields.Boolean()
    partner_agencies = fields.List(fields.Nested(ActivityParty))
    partner_societies = fields.List(fields.Nested(ActivityParty))
    hosts = fields.List(fields.Nested(ActivityParty))
    organizers = fields.List(fields.Nested(ActivityParty))
    reservation = fields.Nested(ActivityReservation)
    venue = fields.Nested(Venue, allow_none=True, metadata={"description": "地点: address and region (code, full_name); null "
                                                                 "for an online activity"})
    expected_participants = fields.Integer(allow_none=True)
    poster_url = fields.String(allow_none=True)
    details = fields.Nested(ActivityDetails)
    pictures = fields.List(fields.Nested(DetailsPicture), metadata={"description": "details pictures: part, caption, url"})
    review_status = fields.String()
    review_status_label = fields.String()
    review_comment = fields.String(metadata={"description": "the reviewer's reason after a rejection"})
    rejected_stage = fields.String(allow_none=True)
    shelf = fields.String()
    shelf_label = fields.String()
    shelf_reason = fields.String()
    public_revision = fields.Integer(allow_none=True,
                                     metadata={"description": "the approved version the public sees, if any"})
    nominated = fields.Boolean()
    level = fields.String(metadata={"description": "official 官方活动 or local 地方活动"})
    level_label = fields.String()
    followup_status = fields.String(metadata={"description": "/my/activities: none, draft or submitted"})
    followup_deadline = Day(allow_none=True, metadata={"description": "/my/activities: the follow-up summary's last "
                                                                      "day (Asia/Shanghai), once approved"})
    warnings = fields.List(fields.Nested(ActivityWarning))
    created_at = Timestamp()
    updated_at = Timestamp()


# a list shows cards: what an activity is, when and where, its poster and its statuses (details on its page)
SUMMARY_FIELDS = ("id", "org_id", "campaign_id", "revision", "name", "mode", "mode_label", "type", "type_label",
                  "start_at", "end_at", "time_status", "time_status_label", "region", "venue", "hosts",
                  "supervising_unit",
                  "youth_festival", "reservation", "poster_url", "review_status", "review_status_label",
                  "review_comment", "rejected_stage", "shelf", "shelf_label", "shelf_reason", "public_revision",
                  "nominated", "updated_at", "level", "level_label", "followup_status", "followup_deadline")


class ActivityCardSchema(ActivitySchema):
    class Meta:
        fields = SUMMARY_FIELDS


class ActivityPage(Page):
    items = fields.List(fields.Nested(ActivityCardSchema))
    total = fields.Integer(metadata={"description": "exact up to 5,000 matches; beyond, an estimate"})
    total_exact = fields.Boolean(metadata={"description": "false when total is the database's estimate"})


class ActivityContent(Schema):
    """A version's content as it was stored when submitted (documentation of ActivityVersion.data: older
    versions may lack newer keys, and the stored poster and pictures name their files)."""

    class Meta:
        unknown = INCLUDE

    name = fields.String()
    mode = fields.String()
    type = fields.String()
    start_at = fields.String()
    end_at = fields.String()
    region = fields.Nested(Division)
    supervising_unit = fields.Nested(SupervisingUnit)
    joint_action = fields.Nested(JointAction)
    special_action = fields.Nested(SpecialAction)
    youth_festival = fields.Boolean()
    partner_agencies = fields.List(fields.Nested(ActivityParty))
    partner_societies = fields.List(fields.Nested(ActivityParty))
    hosts = fields.List(fields.Nested(ActivityParty))
    organizers = fields.List(fields.Nested(ActivityParty))
    reservation = fields.Nested(ActivityReservation)
    expected_participants = fields.Integer(allow_none=True)
    details = fields.Nested(ActivityDetails)
    venue = fields.Nested(Venue, allow_none=True)


class ActivityVersionSchema(Schema):
    revision = fields.Integer()
    changes = fields.List(fields.String())
    submitted_by = fields.String()
    submitted_at = Timestamp()
    data = Described(ActivityContent)


class ActivityNominationSchema(Schema):
    activity_id = fields.UUID()
    campaign_id = fields.UUID()
    channel = fields.String()
    supervising_org_id = fields.UUID()
    nominated_by = fields.String()
    nominated_at = Timestamp()
    quota = fields.Integer()
    used = fields.Integer()


class NominationWithdrawRequest(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class NominationListRequest(Schema):
    campaign_id = fields.UUID(required=True)
    unit = fields.UUID(load_default=None, allow_none=True,
                       metadata={"description": "a supervising unit (organization id); platform admins see every "
                                                "unit's, a unit's admins their own"})


class NominatedItem(Schema):
    activity_id = fields.UUID()
    campaign_id = fields.UUID()
    name = fields.String()
    mode = fields.String()
    region = fields.Nested(Division)
    start_at = fields.String()
    end_at = fields.String()
    supervising_unit = fields.Nested(SupervisingUnit)
    channel = fields.String()
    channel_label = fields.String()
    supervising_org_id = fields.UUID()
    nominated_by = fields.String(metadata={"description": "the user who nominated"})
    nominated_at = Timestamp()
    followup_submitted = fields.Boolean()


class NominatedList(Schema):
    campaign_id = fields.UUID()
    nomination_deadline = Day(allow_none=True)
    quotas = fields.Dict(keys=fields.String(), values=fields.Integer())
    nominated = fields.Dict(keys=fields.String(), values=fields.Integer())
    items = fields.List(fields.Nested(NominatedItem))



class FollowupExtensionRequest(Schema):
    deadline = fields.Date(required=True, metadata={"description": "the new last day of the summary (Asia/Shanghai)"})
    reason = _line(500, required=True)


class FollowupExtensionSchema(Schema):
    activity_id = fields.UUID()
    deadline = Day()
    previous_deadline = Day()
    reason = fields.String()
    granted_by = fields.String()
    granted_at = Timestamp()


class UnitStatsRequest(Schema):
    campaign_id = fields.UUID(required=True)


class UnitFigures(Schema):
    org_id = fields.String()
    name = fields.String()
    category = fields.String()
    category_label = fields.String()
    province = fields.String()
    province_name = fields.String()
    approved = fields.Integer()
    followups_complete = fields.Integer()
    nominated = fields.Integer()
    quota = fields.Integer()
    quota_left = fields.Integer()


class ProvinceFigures(Schema):
    province = fields.String()
    province_name = fields.String()
    approved = fields.Integer()
    followups_complete = fields.Integer()
    nominated = fields.Integer()
    quota = fields.Integer()


class UnitStatsSchema(Schema):
    campaign_id = fields.UUID()
    scope = fields.String(metadata={"description": "all (platform admins) or own_units (a unit's admins)"})
    units = fields.List(fields.Nested(UnitFigures))
    provinces = fields.List(fields.Nested(ProvinceFigures), metadata={"description": "platform admins only"})
    labels = fields.Dict(keys=fields.String(), values=fields.String())


# --- the poster pre-check (issue 30) ----------------------------------------------------------------
class PosterCheckRequest(Schema):
    revision = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                              metadata={"description": "the version; the last submitted one by default"})


class PosterCheckItem(Schema):
    key = fields.String(metadata={"description": "mark (全国科普日), name, date, time or host, in seed 004's order"})
    label = fields.String()
    status = fields.String(metadata={"description": "found, partial, not_found, or mismatch (a date that is not "
                                                    "the start date)"})
    status_label = fields.String()
    matched = fields.String(allow_none=True, metadata={"description": "the poster's text that matched (the dates "
                                                                      "it carries for a mismatch)"})
    expected = fields.String(allow_none=True, metadata={"description": "what the form says"})


class PosterHint(Schema):
    category = fields.String(metadata={"description": "commercial (商业推广) or teaching (日常教学)"})
    category_label = fields.String()
    word = fields.String()
    matched = fields.String(metadata={"description": "the poster's line with the word"})


class PosterCheckSchema(Schema):
    """What the OCR read off a version's poster, checked against its form; never a decision."""
    activity_id = fields.UUID()
    revision = fields.Integer()
    state = fields.String(metadata={"description": "pending (not read yet), read, or unreadable"})
    state_label = fields.String()
    reason = fields.String(allow_none=True, metadata={"description": "why an unreadable poster could not be read"})
    reason_label = fields.String(allow_none=True)
    items = fields.List(fields.Nested(PosterCheckItem))
    hints = fields.List(fields.Nested(PosterHint))
    lines = fields.List(fields.String(), metadata={"description": "the text read, top to bottom"})
    checked_at = Timestamp(allow_none=True)
