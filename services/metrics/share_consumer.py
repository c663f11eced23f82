"""share_returned decoded without marshmallow on the hot path, and the batch consumer that uses it.

At thousands of returns a second the contract's marshmallow load cost ~65 us per event, most of the
consumer's own CPU. The gateway always sends one exact shape (kepu_common.interfaces.contracts.make_event: eight
fields, canonical uuids, isoformat UTC instants), so that shape is checked field by field
(kepu_common.interfaces.contracts.decode_share_returned, beside the gateway's encoder). Anything else, hostile or merely unusual (an extra field, another source, a "Z" suffix), goes to the contract's
schema, which accepts or refuses it exactly as before: this check only ever accepts a subset of what the
schema accepts, with the same result (services/metrics/tests/test_share_consumer.py proves it on hostile
variants).
"""
import json
import logging

from kepu_common.bus.consumers import BatchEventConsumer
from kepu_common.interfaces.contracts import decode_share_returned, load_event

log = logging.getLogger(__name__)

EVENT_TYPE = "share_returned"
# the exact-shape check is the contract's, shared with the gateway's encoder (kepu_common/interfaces/contracts.py)
gateway_share_returned = decode_share_returned


def decode(body):
    """A message body as a validated event: the fast check, else the contract (which raises if it refuses)."""
    data = json.loads(body)
    return gateway_share_returned(data) or load_event(data)


class ShareReturnsConsumer(BatchEventConsumer):
    """BatchEventConsumer with share_returned decoded by decode() above (anything else: the full schema)."""

    def _decode(self, body):
        return decode(body)


share_returns_consumer = ShareReturnsConsumer.decorator
