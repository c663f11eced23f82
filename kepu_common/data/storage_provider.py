"""The services' object storage as a nameko dependency (kepu_common.data.storage.ObjectStorage names it too)."""
import logging
import time

from nameko.extensions import DependencyProvider

from kepu_common.data.storage import Storage

log = logging.getLogger("kepu_common.data.storage")


class ObjectStorage(DependencyProvider):
    """Gives workers the service's Storage; creates the configured buckets when the service starts."""

    def setup(self):
        self.storage = Storage.from_config(self.container.config["STORAGE"])

    def start(self):
        # storage may come up after the service (docker-compose, Kubernetes): wait a while for it
        deadline = time.monotonic() + 60
        while True:
            try:
                self.storage.ensure_buckets()
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("object storage not ready (%s); retrying", exc)
                time.sleep(1)

    def get_dependency(self, worker_ctx):
        return self.storage

    def stop(self):
        # let the clients go here, in a running green thread, once the workers are done: left to the
        # interpreter's exit, minio's __del__ runs while eventlet's greenlets are being finalized and prints
        # a traceback for each client ("greenlet is being finalized") on every stop
        self.storage = None

    kill = stop
