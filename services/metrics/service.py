from kepu_common.consumers import event_consumer
from kepu_common.db import claim_events
from kepu_common.rpc import rpc
from kepu_common.service_base import PlatformService
from services.metrics import ping_receipts
from services.metrics.schemas import PingReceiptSchema


class MetricsService(PlatformService):
    name = "metrics"

    @event_consumer("identity", "ping")
    def on_ping(self, events):
        with self.db, self.db.cursor() as cur:
            ping_receipts.record(cur, claim_events(cur, "metrics.on_ping", events))

    @rpc
    def ping_receipt(self, ping_id):
        with self.db, self.db.cursor() as cur:
            receipt = ping_receipts.find(cur, ping_id)
        return None if receipt is None else PingReceiptSchema().dump(receipt)
