from kepu_common.rpc import rpc
from kepu_common.service_base import PlatformService
from services.identity import pings
from services.identity.schemas import PingRequestSchema, PingSchema


class IdentityService(PlatformService):
    name = "identity"

    @rpc
    def ping(self, request):
        data = PingRequestSchema().load(request)
        with self.db, self.db.cursor() as cur:
            ping = pings.record(cur, data["message"])
            self.outbox.add(cur, "ping", ping_id=ping["id"], message=ping["message"])
        return PingSchema().dump(ping)
