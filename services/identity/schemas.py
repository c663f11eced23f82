"""Identity's contract: every request and response at its boundary, for the service and the gateway alike.

Transport-free: the service loads its RPC arguments and dumps its replies with these, the gateway's
blueprints (auth, me, orgs, admin, regions) validate HTTP bodies and generate the OpenAPI document from
the same classes. A `…Call` schema adds what only the gateway knows (the client's address) to the
public request it extends. Enumerations come from kepu_common.interfaces.contracts, labels from the catalogues.
"""

from marshmallow import Schema, fields, validate

from kepu_common.interfaces.contracts import COMMUNICATOR_TYPES, ORG_CATEGORIES
from kepu_common.interfaces.contracts import SUPERVISING_CATEGORIES
from kepu_common.interfaces.messages import label
from kepu_common.interfaces.schema_fields import Page, PageRequest, Timestamp  # noqa: F401  (PageRequest: the service pages with it)
from kepu_common.interfaces.validation import coded, one_line
from services.identity.contracts import ascii_digits
from services.identity.constants import SMS_PURPOSES

def name_field(min_length, max_length, **kwargs):
    """A name (real name, organization or unit name): a length and no control characters."""
    return fields.String(required=True, validate=[validate.Length(min=min_length, max=max_length), one_line],
                         **kwargs)

SIX_DIGITS = r"^[0-9]{6}$"
DIVISION_DIGITS = r"^[0-9]{6}([0-9]{3})?$"


class Digits(fields.String):
    """Text holding a number: full-width, Arabic-Indic, Devanagari… digits become 0-9 before validation."""

    def _deserialize(self, value, attr, data, **kwargs):
        return ascii_digits(super()._deserialize(value, attr, data, **kwargs)).strip()


def region_code(**kwargs):
    return Digits(validate=validate.Regexp(SIX_DIGITS, error=coded("region_code_format")),
                  metadata={"description": "GB/T 2260 division code, e.g. 110105"}, **kwargs)


def division_code(**kwargs):
    """A county-or-above code (6 digits) or a township's (乡镇街道, 9 digits)."""
    return Digits(validate=validate.Regexp(DIVISION_DIGITS, error=coded("region_code_format")), metadata={
        "description": "GB/T 2260 division code (110105), or a township's 9-digit code (110105001) — required "
                       "for street_admin; district_admin gives a county-level code"}, **kwargs)


class PingRequestSchema(Schema):
    message = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PingSchema(Schema):
    id = fields.UUID()
    message = fields.String()
    created_at = Timestamp()


# --- accounts and tokens ---------------------------------------------------------------------
class SmsCodeRequest(Schema):
    phone = fields.String(required=True, metadata={"example": "13800138000"})
    purpose = fields.String(load_default="register", validate=validate.OneOf(SMS_PURPOSES), metadata={
        "description": "register (a new phone), login (sign-in by code) or reset_password (a registered phone)"})


class SmsCodeCall(SmsCodeRequest):
    client_ip = fields.String(load_default="unknown")


class SmsCodeSentSchema(Schema):
    phone = fields.String(metadata={"description": "masked, e.g. 138****8000"})
    expires_in = fields.Integer(metadata={"description": "seconds the code stays valid"})
    debug_code = fields.String(
        metadata={"description": "only when the platform runs with SMS_DEBUG_ECHO=1 (never in production)"})


class RegisterRequest(Schema):
    phone = fields.String(required=True)
    code = Digits(required=True, validate=validate.Regexp(SIX_DIGITS, error=coded("sms_code_format")),
                  metadata={"description": "the 6-digit SMS code"})
    password = fields.String(required=True, metadata={"description": "8-128 characters, letters and digits"})


class RegisterCall(RegisterRequest):
    client_ip = fields.String(load_default="unknown")


class SmsLoginRequest(Schema):
    phone = fields.String(required=True)
    code = Digits(required=True, validate=validate.Regexp(SIX_DIGITS, error=coded("sms_code_format")),
                  metadata={"description": "the 6-digit SMS code sent for purpose `login`"})


class SmsLoginCall(SmsLoginRequest):
    client_ip = fields.String(load_default="unknown")


class PasswordResetRequest(RegisterRequest):
    """The SMS code was sent for purpose `reset_password`; the new password follows the registration rules."""


class PasswordResetCall(PasswordResetRequest):
    client_ip = fields.String(load_default="unknown")


class LoginRequest(Schema):
    phone = fields.String(required=True)
    password = fields.String(required=True)


class LoginCall(LoginRequest):
    client_ip = fields.String(load_default="unknown")


class RefreshRequest(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokensSchema(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer()
    refresh_token = fields.String()
    refresh_expires_in = fields.Integer()


class RoleSchema(Schema):
    role = fields.String()
    scope = fields.String()


class VerificationSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"description": "pending, approved or rejected"})
    real_name = fields.String()
    id_number = fields.String(metadata={"description": "masked: 1101**********1234"})
    unit_name = fields.String()
    unit_address = fields.String()
    communicator_type = fields.String()
    region_code = fields.String(metadata={"description": "the county (or above): a township's parent"})
    township_code = fields.String(allow_none=True, metadata={"description": "9 digits, street admins"})
    org_id = fields.UUID(allow_none=True)
    review_comment = fields.String()
    submitted_at = Timestamp()
    decided_at = Timestamp(allow_none=True)


class OrgRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    status = fields.String(metadata={"description": "pending, approved or rejected"})


class UserSchema(Schema):
    id = fields.UUID()
    phone = fields.String()
    created_at = Timestamp()
    roles = fields.List(fields.Nested(RoleSchema))
    verification = fields.Nested(VerificationSchema, allow_none=True,
                                 metadata={"description": "the latest real-name verification (GET /me only)"})
    organization = fields.Nested(OrgRefSchema, allow_none=True, metadata={
        "description": "the organization the user belongs to, or null (GET /me only; leave: DELETE /orgs/membership)"})
    administers = fields.List(fields.Nested(OrgRefSchema), metadata={
        "description": "the organizations the user is org_admin of (GET /me only)"})
    org_applications = fields.List(fields.Nested(lambda: OrgApplicationSchema()), metadata={
        "description": "the organizations the user registered (机构入驻), newest first, with status and reason "
                       "(GET /me only)"})
    verification_change = fields.Nested(lambda: VerificationChangeSchema(), allow_none=True, metadata={
        "description": "the latest re-verification (unit, township, organization), or null (GET /me only)"})


class SignedInSchema(Schema):
    user = fields.Nested(UserSchema)
    tokens = fields.Nested(TokensSchema)


class SignedOutSchema(Schema):
    revoked = fields.Boolean()


# --- roles -----------------------------------------------------------------------------------
class RoleChange(Schema):
    role = fields.String(required=True, metadata={"example": "reviewer"})
    scope = Digits(load_default="", metadata={
        "description": "reviewers: the stage (realname, org, initial, scientific, national) or "
                       "'provincial:<province code>'; area admins: the division code"})
    note = fields.String(load_default="", validate=validate.Length(max=500))


class RoleRequest(RoleChange):
    actor_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)


class RolesSchema(Schema):
    roles = fields.List(fields.Nested(RoleSchema))


class AuditEntrySchema(Schema):
    role = fields.String()
    scope = fields.String()
    action = fields.String()
    actor_id = fields.UUID(allow_none=True)
    note = fields.String()
    at = Timestamp()


# --- communicator verification ---------------------------------------------------------------
class VerificationRequest(Schema):
    real_name = name_field(2, 30)
    id_number = fields.String(required=True, metadata={
        "description": "18-character resident ID number; stored encrypted, shown masked"})
    unit_name = name_field(2, 100)
    unit_address = name_field(2, 200)
    communicator_type = fields.String(required=True, validate=validate.OneOf(COMMUNICATOR_TYPES), metadata={
        "description": "individual 个人用户, district_admin 区县级管理员, street_admin 乡镇街道管理员"})
    region_code = division_code(required=True)
    township_code = Digits(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[0-9]{9}$", error=coded("township_code_format")), metadata={
        "description": "optional: the township (乡镇街道) under region_code's county (or a city without counties, "
                       "e.g. 441900 东莞), from GET /regions?parent=<region_code>; one outside it is refused "
                       "(`township_outside_region`)"})
    org_id = fields.UUID(load_default=None, allow_none=True,
                         metadata={"description": "a verified organization from GET /orgs"})
    appointment_letter_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300),
                                           metadata={"description": "district_admin and street_admin: the appointment "
                                                                    "letter (任命文件) from POST /me/appointment-letter"})


# --- organizations ---------------------------------------------------------------------------
def _category_label(org):
    return label("org_category", org["category"])


class OrgRequest(Schema):
    name = name_field(2, 100, metadata={"description": "as on the official seal"})
    category = fields.String(required=True, validate=validate.OneOf(ORG_CATEGORIES))
    region_code = region_code(required=True)
    parent_id = fields.UUID(load_default=None, allow_none=True)
    licence_key = fields.String(required=True, validate=validate.Length(max=300),
                                metadata={"description": "from POST /orgs/licence"})
    contact_name = name_field(2, 30)
    contact_phone = fields.String(required=True)


class OrgSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    category = fields.String()
    category_label = fields.Function(_category_label, metadata={"type": "string"})
    region_code = fields.String()
    region = fields.String()
    parent_id = fields.UUID(allow_none=True)
    status = fields.String(metadata={"description": "pending, approved or rejected"})
    review_comment = fields.String()
    created_at = Timestamp()
    decided_at = Timestamp(allow_none=True)


class OrgSearchRequest(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=50), metadata={
        "description": "any part of the name, as written or in its usual short form (科协 for 科学技术协会, "
                       "北京朝阳 or 朝阳区科协 for 北京市朝阳区科学技术协会); exact, then prefix, then substring matches"})
    category = fields.String(load_default=None, validate=validate.OneOf(ORG_CATEGORIES))
    region = region_code(load_default=None)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))
    supervising_category = fields.String(load_default=None, validate=validate.OneOf(SUPERVISING_CATEGORIES), metadata={
        "description": "归口单位 suggestions: only the units chosen under this supervising category, as the "
                       "activity form accepts them (a district CAST of 北京/天津/上海/重庆 under city_cast 市科协)"})


class OrgHitSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    category = fields.String()
    category_label = fields.Function(_category_label, metadata={"type": "string"})
    region_code = fields.String()
    region = fields.String()
    match = fields.String(metadata={"description": "exact, prefix or contains"})
    supervising_category = fields.String(allow_none=True, metadata={
        "description": "the supervising category (归口单位类别) to choose this unit under; null: it cannot supervise"})


class JoinRequest(Schema):
    org_id = fields.UUID(required=True)
    move = fields.Boolean(load_default=False, metadata={
        "description": "one who belongs to another organization is refused (409 `already_in_another_org`, naming "
                       "it) unless move is true: then they leave it for this one"})


class JoinedSchema(OrgSchema):
    """The organization joined, and the one left by moving."""

    moved_from = fields.Nested(lambda: OrgRefSchema(), allow_none=True,
                               metadata={"description": "the organization left by moving, or null"})


class LeaveRequest(Schema):
    org_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the organization you mean to leave: refused (404, `org_id`: `not_a_member`) when you "
                       "belong to another or none"})


class MemberSchema(Schema):
    user_id = fields.UUID()
    phone = fields.String(metadata={"description": "masked"})
    real_name = fields.String(allow_none=True)
    verification_status = fields.String(allow_none=True)
    communicator_type = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    township_code = fields.String(allow_none=True)
    region = fields.String()
    registered_at = Timestamp()
    joined_at = Timestamp()
    shares = fields.Integer(allow_none=True, metadata={"description": "counted shares, from metrics; null while "
                                                                      "metrics cannot answer"})


class MemberPageSchema(Page):
    items = fields.List(fields.Nested(MemberSchema))


class AreaCommunicatorSchema(Schema):
    user_id = fields.UUID()
    phone = fields.String(metadata={"description": "masked"})
    real_name = fields.String()
    communicator_type = fields.String()
    region_code = fields.String()
    township_code = fields.String(allow_none=True)
    region = fields.String()
    organization = fields.String(allow_none=True)
    registered_at = Timestamp()
    verified_at = Timestamp(allow_none=True)
    shares = fields.Integer(allow_none=True, metadata={"description": "counted shares, from metrics; null while "
                                                                      "metrics cannot answer"})


class AreaCommunicatorPageSchema(Page):
    items = fields.List(fields.Nested(AreaCommunicatorSchema))
    total = fields.Integer(metadata={"description": "communicators in the area matching the period"})


AREA_SORTS = ("registered_at", "-registered_at", "shares", "-shares")


class AreaQuery(PageRequest):
    sort = fields.String(load_default="registered_at", validate=validate.OneOf(AREA_SORTS), metadata={
        "description": "registered_at (oldest first), -registered_at, shares (fewest first) or -shares (most first); "
                       "shares are counted by metrics"})
    registered_from = fields.Date(load_default=None, allow_none=True,
                                  metadata={"description": "registered on or after this day (Asia/Shanghai)"})
    registered_to = fields.Date(load_default=None, allow_none=True,
                                metadata={"description": "registered on or before this day (Asia/Shanghai)"})


class AreaCall(AreaQuery):
    """What the gateway adds: the communicators to list, in this order (sorted by shares, or every one of
    the area for the CSV)."""

    user_ids = fields.List(fields.UUID(), load_default=None, allow_none=True)


# --- admins and frontends ------------------------------------------------------------------
class UserLookupRequest(Schema):
    phone = fields.String(required=True, metadata={"description": "the exact mobile number, e.g. 13800138000"})


class UserHitSchema(Schema):
    id = fields.UUID()
    phone = fields.String(metadata={"description": "masked: 138****8000"})
    real_name = fields.String(allow_none=True, metadata={"description": "masked: 王*明; null when not verified"})
    verified = fields.Boolean(metadata={"description": "real-name verification approved"})
    roles = fields.List(fields.Nested(RoleSchema))
    created_at = Timestamp()


class OrgApplicationSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    status = fields.String(metadata={"description": "pending, approved or rejected"})
    status_label = fields.String()
    review_comment = fields.String(metadata={"description": "the reviewer's reason"})
    created_at = Timestamp()
    decided_at = Timestamp(allow_none=True)


class VerificationChangeRequest(Schema):
    unit_name = fields.String(load_default=None, validate=[validate.Length(min=2, max=100), one_line])
    unit_address = fields.String(load_default=None, validate=[validate.Length(min=2, max=200), one_line])
    township_code = Digits(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[0-9]{9}$", error=coded("township_code_format")),
        metadata={"description": "a township under the verified county (or city without counties)"})
    org_id = fields.UUID(load_default=None, allow_none=True,
                         metadata={"description": "a verified organization to move to"})


class VerificationChangeSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"description": "pending, approved or rejected; applied: added at once"})
    unit_name = fields.String()
    unit_address = fields.String()
    township_code = fields.String(allow_none=True)
    org_id = fields.UUID(allow_none=True)
    review_comment = fields.String()
    submitted_at = Timestamp()
    decided_at = Timestamp(allow_none=True)


class RegionEntrySchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"description": "province, city, county or township"})
    parent_code = fields.String(allow_none=True)
    full_name = fields.String(metadata={"description": "广东省东莞市东城街道"})
    has_children = fields.Boolean()


class RegionQuery(Schema):
    parent = Digits(load_default=None, allow_none=True, validate=validate.Regexp(
        DIVISION_DIGITS, error=coded("region_code_format")), metadata={
        "description": "the divisions directly under this code; without parent and q: the provinces"})
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=30),
                      metadata={"description": "a name or part of one (朝阳, 建外街道); within parent when given"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class LeftSchema(Schema):
    org_id = fields.UUID(metadata={"description": "the organization left"})


class PeopleRequest(Schema):
    """Who to name (people, for leaderboards and the recognition list), and who asks (None: masked names only)."""

    user_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(max=1000))
    actor_id = fields.UUID(load_default=None, allow_none=True)


class PersonSchema(Schema):
    user_id = fields.UUID()
    masked_name = fields.String(allow_none=True, metadata={"description": "the real name masked (王*明)"})
    real_name = fields.String(allow_none=True, metadata={"description": "only for the admins concerned"})
    phone = fields.String(allow_none=True, metadata={"description": "masked (138****1234), only for the admins "
                                                                    "concerned"})
