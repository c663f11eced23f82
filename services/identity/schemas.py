from marshmallow import Schema, fields, validate

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
