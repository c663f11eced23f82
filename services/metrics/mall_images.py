"""Item pictures in object storage: stored by the gateway (POST /mall/images, checked there as images by their
structure) in the resources bucket under mall/items/, and checked again here before an item names them, as
identity checks a licence (services/identity/organizations.py)."""
from datetime import timedelta

from kepu_common.domain import filetypes
from kepu_common.interfaces.errors import InvalidInput
from services.metrics.constants import MALL_IMAGE_BUCKET, MALL_IMAGE_MAX_BYTES, MALL_IMAGE_PREFIX

URL_TTL = timedelta(hours=1)


def check(storage, keys):
    """[{key, content_type, size}] for the keys, in order; InvalidInput naming each key that is not a stored
    mall picture (image_keys.<index>: no_such_upload, not_an_image, file_too_large)."""
    bucket = storage.bucket(MALL_IMAGE_BUCKET)
    found, problems = [], {}
    for index, key in enumerate(keys):
        field = f"image_keys.{index}"
        if not key.startswith(MALL_IMAGE_PREFIX) or ".." in key:
            problems[field] = "no_such_upload"
            continue
        try:
            stat = storage.stat(bucket, key)
        except Exception:
            problems[field] = "no_such_upload"
            continue
        if stat.size > MALL_IMAGE_MAX_BYTES:
            problems[field] = ("file_too_large", {"max_mb": MALL_IMAGE_MAX_BYTES // 2**20})
            continue
        response = storage.open(bucket, key)
        try:
            content_type = filetypes.image_by_structure(response.read())
        finally:
            response.close()
            response.release_conn()
        if content_type is None:
            problems[field] = "not_an_image"
            continue
        found.append({"key": key, "content_type": content_type, "size": stat.size})
    if problems:
        raise InvalidInput("mall_image_refused", problems)
    return found


def urls(storage, images):
    bucket = storage.bucket(MALL_IMAGE_BUCKET)
    return [{"url": storage.presigned_get(bucket, image["key"], expires=URL_TTL), "content_type": image["content_type"]}
            for image in images or []]


def abandoned(cur, storage, older_than):
    """Pictures under mall/items/ that no item names, stored before older_than (an aware datetime): uploaded
    and never used, or taken off their item. To be removed (as identity removes abandoned licences)."""
    bucket = storage.bucket(MALL_IMAGE_BUCKET)
    candidates = [obj.object_name for obj in storage.client.list_objects(bucket, prefix=MALL_IMAGE_PREFIX, recursive=True)
                  if obj.last_modified is not None and obj.last_modified < older_than]
    if not candidates:
        return []
    cur.execute("SELECT DISTINCT image->>'key' FROM mall_items, jsonb_array_elements(images) AS image "
                "WHERE image->>'key' = ANY(%s)", (candidates,))
    used = {row[0] for row in cur.fetchall()}
    return [key for key in candidates if key not in used]
