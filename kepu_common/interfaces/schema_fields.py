"""marshmallow fields and schemas every boundary shares (services and the gateway)."""
from marshmallow import Schema, fields, validate


class Timestamp(fields.DateTime):
    """ISO 8601, UTC. A reply a service dumped already (text) passes through the gateway unchanged."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("description", "ISO 8601, UTC")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class PageRequest(Schema):
    """How every list of the platform pages: page (from 1) and page_size; the reply says has_more. A list with
    other limits subclasses it and declares the field again."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000), metadata={"description": "from 1"})
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class Page(Schema):
    """What every paged answer says beside its items (each subclass declares `items`, and `total` where
    counting is cheap)."""

    page = fields.Integer()
    page_size = fields.Integer()
    has_more = fields.Boolean()


class Described(fields.Dict):
    """A mapping passed through as the service made it (its keys differ by kind: a review snapshot of a
    resource, an activity, an organization…), documented by `schema`: the keys every such mapping has, and
    that others may be present. The gateway's OpenAPI document names it as that schema's component."""

    def __init__(self, schema, **kwargs):
        self.described_by = schema
        super().__init__(**kwargs)
