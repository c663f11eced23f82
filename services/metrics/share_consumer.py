"""share_returned decoded without marshmallow on the hot path, and the batch consumer that uses it.

At thousands of returns a second the contract's marshmallow load cost ~65 us per event, most of the
consumer's own CPU. The gateway always sends one exact shape (kepu_common.contracts.make_event: eight
fields, canonical uuids, isoformat UTC instants), so that shape is checked field by field here. Anything
else, hostile or merely unusual (an extra field, another source, a "Z" suffix), goes to the contract's
schema, which accepts or refuses it exactly as before: this check only ever accepts a subset of what the
schema accepts, with the same result (services/metrics/tests/test_share_consumer.py proves it on hostile
variants).
"""
import json
import logging
import re
import uuid
from datetime import datetime


from kepu_common.consumers import BatchEventConsumer
from kepu_common.contracts import EVENTS, load_event

log = logging.getLogger(__name__)

EVENT_TYPE = "share_returned"
_VERSION = EVENTS[EVENT_TYPE][0]
_FIELDS = frozenset(("event_id", "event_type", "version", "source", "occurred_at", "share_id", "user_id",
                     "returned_at"))
# [0-9], never \d (which matches other scripts' digits); fullmatch, so no trailing newline either
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UTC_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?\+00:00")


def _uuid(value):
    if type(value) is not str or not _UUID.fullmatch(value):
        return None
    return uuid.UUID(value)


def _instant(value):
    if type(value) is not str or not _UTC_INSTANT.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # the right shape, an impossible date (month 13)
        return None


def gateway_share_returned(data):
    """The event as the contract's schema would load it, if data has the gateway's exact shape; else None."""
    if type(data) is not dict or data.keys() != _FIELDS:
        return None
    if data["event_type"] != EVENT_TYPE or data["source"] != "gateway":
        return None
    version = data["version"]
    if type(version) is not int or not 1 <= version <= _VERSION:
        return None
    event = {"event_type": EVENT_TYPE, "version": version, "source": "gateway"}
    for name in ("event_id", "share_id", "user_id"):
        event[name] = _uuid(data[name])
        if event[name] is None:
            return None
    for name in ("occurred_at", "returned_at"):
        event[name] = _instant(data[name])
        if event[name] is None:
            return None
    return event


def decode(body):
    """A message body as a validated event: the fast check, else the contract (which raises if it refuses)."""
    data = json.loads(body)
    return gateway_share_returned(data) or load_event(data)


class ShareReturnsConsumer(BatchEventConsumer):
    """BatchEventConsumer with share_returned decoded by decode() above (anything else: the full schema)."""

    def _decode(self, body):
        return decode(body)


share_returns_consumer = ShareReturnsConsumer.decorator
