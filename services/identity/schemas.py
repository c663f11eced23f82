from marshmallow import Schema, fields, validate


class PingRequestSchema(Schema):
    message = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PingSchema(Schema):
    id = fields.UUID()
    message = fields.String()
    created_at = fields.AwareDateTime()
