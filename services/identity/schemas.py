from marshmallow import Schema, fields, validate

from services.identity.organizations import CATEGORIES
from services.identity.sms import PURPOSES
from services.identity.verification import COMMUNICATOR_TYPES


class PingRequestSchema(Schema):
    message = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PingSchema(Schema):
    id = fields.UUID()
    message = fields.String()
    created_at = fields.AwareDateTime()


class SmsCodeRequest(Schema):
    phone = fields.String(required=True)
    purpose = fields.String(load_default="register", validate=validate.OneOf(PURPOSES))
    client_ip = fields.String(load_default="unknown")


class RegisterRequest(Schema):
    phone = fields.String(required=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="six digits"))
    password = fields.String(required=True)
    client_ip = fields.String(load_default="unknown")


class LoginRequest(Schema):
    phone = fields.String(required=True)
    password = fields.String(required=True)
    client_ip = fields.String(load_default="unknown")


class RefreshRequest(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RoleRequest(Schema):
    actor_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    role = fields.String(required=True)
    scope = fields.String(load_default="")
    note = fields.String(load_default="", validate=validate.Length(max=500))


class RoleSchema(Schema):
    role = fields.String()
    scope = fields.String()


class TokensSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    refresh_token = fields.String()
    refresh_expires_in = fields.Integer()


class UserSchema(Schema):
    id = fields.UUID()
    phone = fields.String()
    created_at = fields.AwareDateTime()
    roles = fields.List(fields.Nested(RoleSchema))
    verification = fields.Nested("VerificationSchema", allow_none=True)


class AuditEntrySchema(Schema):
    role = fields.String()
    scope = fields.String()
    action = fields.String()
    actor_id = fields.UUID(allow_none=True)
    note = fields.String()
    at = fields.AwareDateTime()


class VerificationRequest(Schema):
    real_name = fields.String(required=True, validate=validate.Length(min=2, max=30))
    id_number = fields.String(required=True)
    unit_name = fields.String(required=True, validate=validate.Length(min=2, max=100))
    unit_address = fields.String(required=True, validate=validate.Length(min=2, max=200))
    communicator_type = fields.String(required=True, validate=validate.OneOf(tuple(COMMUNICATOR_TYPES)))
    region_code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="six digits"))
    org_id = fields.UUID(load_default=None, allow_none=True)


class VerificationSchema(Schema):
    id = fields.UUID()
    status = fields.String()
    real_name = fields.String()
    id_number = fields.String(attribute="id_masked")
    unit_name = fields.String()
    unit_address = fields.String()
    communicator_type = fields.String()
    region_code = fields.String()
    org_id = fields.UUID(allow_none=True)
    review_comment = fields.String()
    submitted_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)


class OrgRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=100))
    category = fields.String(required=True, validate=validate.OneOf(tuple(CATEGORIES)))
    region_code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="six digits"))
    parent_id = fields.UUID(load_default=None, allow_none=True)
    licence_key = fields.String(required=True, validate=validate.Length(max=300))
    contact_name = fields.String(required=True, validate=validate.Length(min=2, max=30))
    contact_phone = fields.String(required=True)


class OrgSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    category = fields.String()
    category_label = fields.String()
    region_code = fields.String()
    region = fields.String()
    parent_id = fields.UUID(allow_none=True)
    status = fields.String()
    review_comment = fields.String()
    created_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)


class OrgSearchRequest(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=50))
    category = fields.String(load_default=None, validate=validate.OneOf(tuple(CATEGORIES)))
    region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$", error="six digits"))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class OrgHitSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    category = fields.String()
    category_label = fields.String()
    region_code = fields.String()
    region = fields.String()
    match = fields.String()


class PageRequest(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class MemberSchema(Schema):
    user_id = fields.UUID()
    phone = fields.String()
    real_name = fields.String(allow_none=True)
    verification_status = fields.String(allow_none=True)
    communicator_type = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    region = fields.String()
    registered_at = fields.AwareDateTime()
    joined_at = fields.AwareDateTime()
    shares = fields.Integer(allow_none=True)


class AreaCommunicatorSchema(Schema):
    user_id = fields.UUID()
    phone = fields.String()
    real_name = fields.String()
    communicator_type = fields.String()
    region_code = fields.String()
    region = fields.String()
    organization = fields.String(allow_none=True)
    registered_at = fields.AwareDateTime()
    verified_at = fields.AwareDateTime(allow_none=True)
    shares = fields.Integer(allow_none=True)
