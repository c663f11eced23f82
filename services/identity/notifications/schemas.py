"""The boundary of notifications (transport-free): identity's entrypoints load and dump with these, the gateway
documents and validates with the same classes."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from kepu_common.interfaces.schema_fields import Page, PageRequest, Timestamp
from kepu_common.interfaces.validation import coded


class NotificationPageRequest(PageRequest):
    unread_only = fields.Boolean(load_default=False, metadata={"description": "only notifications not read yet"})


class NotificationLinkSchema(Schema):
    target = fields.String(metadata={"description": "what a frontend opens: verification, organization, area, "
                                                    "resource, activity, followup, redemption, review_task"})
    id = fields.String(allow_none=True, metadata={"description": "the target's id (null for one's own page)"})
    path = fields.String(metadata={"description": "the app route, e.g. /my/resources/{id}"})


class NotificationSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    title = fields.String(metadata={"description": "in the reader's language (Accept-Language)"})
    body = fields.String(metadata={"description": "names the thing, the reason when there is one, and the next step"})
    link = fields.Nested(NotificationLinkSchema)
    read = fields.Boolean()
    created_at = Timestamp()
    read_at = Timestamp(allow_none=True)


class NotificationPageSchema(Page):
    items = fields.List(fields.Nested(NotificationSchema))
    total = fields.Integer()
    unread = fields.Integer(metadata={"description": "unread notifications of this person, all pages"})


class UnreadSchema(Schema):
    unread = fields.Integer()


class MarkReadRequest(Schema):
    """Either the notifications to mark read (ids), or all of them (all: true)."""

    ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=100))
    all = fields.Boolean(load_default=False)

    @validates_schema
    def one_of_them(self, data, **kwargs):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ValidationError({"ids": [coded("notification_ids_or_all")]})


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "notifications that were unread and are now read"})
    unread = fields.Integer()


class PreferencesRequest(Schema):
    sms = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), values=fields.Boolean(), required=True,
                      metadata={"description": "kind -> whether it goes by SMS; only kinds that go by SMS"})


class KindSchema(Schema):
    kind = fields.String()
    sms = fields.Boolean(metadata={"description": "this person gets it by SMS"})


class PreferencesSchema(Schema):
    sms = fields.Dict(keys=fields.String(), values=fields.Boolean(),
                      metadata={"description": "every kind that may go by SMS, with this person's setting"})
    kinds = fields.List(fields.Nested(KindSchema))
    quiet_hours = fields.String(metadata={"description": "SMS held in these hours (Asia/Shanghai); the inbox is not"})
    sms_daily_limit = fields.Integer()
