"""Activities' external resource besides its database: object storage, where posters, details pictures and
follow-up evidence live. Workers never hand out storage keys: they show files through short-lived view URLs."""
from datetime import timedelta

from kepu_common.data.storage import ObjectStorage

POSTER_URL_SECONDS = 3600
# follow-up photos and videos are looked at, not handed around: their view URLs expire soon
EVIDENCE_URL_SECONDS = 600


class ActivityFiles:
    def __init__(self, storage):
        self.storage = storage

    @property
    def buckets(self):
        return self.storage.buckets

    def check(self):
        self.storage.check()

    def open(self, bucket, key):
        """The stored file as a streamed response (the poster pre-check reads a poster)."""
        return self.storage.open(bucket, key)

    def bucket(self, bucket):
        """resources.attach_uploads names the bucket by its purpose ("resources"); a name is kept as it is."""
        return self.storage.bucket(bucket) if bucket in self.storage.buckets else bucket

    def purpose(self, poster):
        if poster["bucket"] in self.storage.buckets:
            return poster["bucket"]
        names = {bucket: purpose for purpose, bucket in self.storage.buckets.items()}
        return names.get(poster["bucket"], "resources")

    def poster_url(self, poster):
        if not poster:
            return None
        return self.storage.presigned_get(self.bucket(poster["bucket"]), poster["key"],
                                          expires=timedelta(seconds=POSTER_URL_SECONDS))

    def with_view_urls(self, described):
        """The follow-up for a reader: each photo and video with short-lived view URLs (and a photo's
        thumbnail) instead of its storage key."""
        expires = timedelta(seconds=EVIDENCE_URL_SECONDS)
        for kind in ("photos", "videos"):
            shown = []
            for item in described[kind]:
                bucket = self.bucket(item["bucket"])
                thumbnail = item.get("thumbnail_key")
                shown.append(dict({k: v for k, v in item.items() if k not in ("bucket", "key", "thumbnail_key")},
                                  url=self.storage.presigned_get(bucket, item["key"], expires=expires),
                                  thumbnail_url=(self.storage.presigned_get(bucket, thumbnail, expires=expires)
                                                 if thumbnail else None),
                                  url_expires_in=EVIDENCE_URL_SECONDS))
            described[kind] = shown
        return described


class ActivityStorage(ObjectStorage):
    """The service's object storage (buckets made at start, as for every service), given to workers as
    ActivityFiles."""

    def get_dependency(self, worker_ctx):
        return ActivityFiles(super().get_dependency(worker_ctx))
