"""What the metrics schemas (and so the gateway) need from the service: plain values, no I/O, no imports
of the service's modules (the import boundary, kepu_common/tests/test_import_contracts.py)."""
from kepu_common.interfaces.clock import SHANGHAI  # statistics' days, the return window's end as people read it

# mall item pictures: stored by the gateway (POST /mall/images), checked and named by the service (mall_images)
MALL_IMAGES_PER_ITEM = 9
MALL_IMAGE_BUCKET = "resources"  # the purpose name of the bucket (published files and thumbnails)
MALL_IMAGE_PREFIX = "mall/items/"
MALL_IMAGE_MAX_BYTES = 10 * 1024 * 1024
