from kepu_common.rpc import rpc
from kepu_common.service_base import PlatformService
from kepu_common.storage import ObjectStorage


class ResourcesService(PlatformService):
    name = "resources"
    storage = ObjectStorage()

    @rpc
    def health(self):
        report = super().health()
        self.storage.check()
        report["storage"] = "ok"
        return report
