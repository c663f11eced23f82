"""marshmallow fields every boundary shares (services and the gateway)."""
from marshmallow import fields


class Timestamp(fields.DateTime):
    """ISO 8601, UTC. A reply a service dumped already (text) passes through the gateway unchanged."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("description", "ISO 8601, UTC")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)
