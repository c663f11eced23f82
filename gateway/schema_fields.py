"""Fields for response schemas: services already send JSON (timestamps as ISO 8601 strings)."""
from marshmallow import fields


def timestamp(description="ISO 8601, UTC", **kwargs):
    return fields.String(metadata={"format": "date-time", "description": description}, **kwargs)
