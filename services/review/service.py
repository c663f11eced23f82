from kepu_common.service_base import PlatformService


class ReviewService(PlatformService):
    name = "review"
