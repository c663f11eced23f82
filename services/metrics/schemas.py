from marshmallow import Schema, fields


class PingReceiptSchema(Schema):
    ping_id = fields.UUID()
    event_id = fields.UUID()
    message = fields.String()
    sent_at = fields.AwareDateTime()
    received_at = fields.AwareDateTime()
    applied = fields.Integer()
