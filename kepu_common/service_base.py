"""What every service class has: its database, its outbox, its metrics, and a health check callable over RPC."""
from kepu_common.rpc import rpc

from kepu_common.db import Database
from kepu_common.log_context import WorkerLogContext
from kepu_common.observability import Observability
from kepu_common.outbox import Outbox, pending_count


class PlatformService:
    db = Database()
    outbox = Outbox()
    log_context = WorkerLogContext()
    # Prometheus metrics on the service's metrics port (kepu_common/observability.py, docs/observability.md)
    observability = Observability()

    @rpc
    def health(self):
        """Answering proves the service consumes RPC; the query proves its database is reachable."""
        # one statement, one round trip: no BEGIN and COMMIT around it (the gateway's readiness and the
        # one-RPC benchmark call this often)
        self.db.autocommit = True
        try:
            pending = pending_count(self.db)
        finally:
            self.db.autocommit = False
        return {"service": self.name, "database": "ok", "outbox_pending": pending}
