"""What every service class has: its database, its outbox, its metrics, and a health check callable over RPC."""
from kepu_common.bus.rpc import rpc

from kepu_common.data.db import Database
from nameko.extensions import DependencyProvider

from kepu_common.operations.log_context import events_context, set_context, set_locale
from kepu_common.bus.observability import Observability
from kepu_common.bus.outbox import Outbox, pending_count


class WorkerLogContext(DependencyProvider):
    def worker_setup(self, worker_ctx):
        set_locale((worker_ctx.data or {}).get("locale"))
        request_id = (worker_ctx.data or {}).get("request_id")
        if request_id:
            set_context(f"request={request_id}")
        elif worker_ctx.args and isinstance(worker_ctx.args[0], list) and worker_ctx.args[0] \
                and isinstance(worker_ctx.args[0][0], dict) and "event_id" in worker_ctx.args[0][0]:
            set_context(events_context(worker_ctx.args[0]))
        else:
            set_context("-")

    def worker_teardown(self, worker_ctx):
        set_context("-")
        set_locale(None)


class PlatformService:
    db = Database()
    outbox = Outbox()
    log_context = WorkerLogContext()
    # Prometheus metrics on the service's metrics port (kepu_common/bus/observability.py, docs/observability.md)
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


class StorageHealth:
    """For a service whose requests need object storage (a `storage` dependency): its health check proves the
    store answers too. Listed before PlatformService in the bases."""

    @rpc
    def health(self):
        report = super().health()
        self.storage.check()
        report["storage"] = "ok"
        return report
