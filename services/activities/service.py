from kepu_common.service_base import PlatformService


class ActivitiesService(PlatformService):
    name = "activities"
