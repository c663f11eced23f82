"""What every service class has: its database, its outbox, and a health check callable over RPC."""
from kepu_common.rpc import rpc

from kepu_common.db import Database
from kepu_common.log_context import WorkerLogContext
from kepu_common.outbox import Outbox, pending_count


class PlatformService:
    db = Database()
    outbox = Outbox()
    log_context = WorkerLogContext()

    @rpc
    def health(self):
        """Answering proves the service consumes RPC; the query proves its database is reachable."""
        with self.db:
            pending = pending_count(self.db)
        return {"service": self.name, "database": "ok", "outbox_pending": pending}
