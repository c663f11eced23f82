"""Object storage over the minio client: SeaweedFS by default (make run, tests, docker-compose, Kubernetes),
any S3 endpoint through settings (an existing MinIO, Ceph RGW, a cloud's object storage).

Presigned URLs are signed for the endpoint clients will use (STORAGE public_endpoint), which may differ
from the one services reach (inside docker-compose, "minio:9000" versus "localhost:9000").

Multipart uploads use the minio client's private calls (_create_multipart_upload, _upload_part,
_list_parts, _complete_multipart_upload, _abort_multipart_upload, _list_multipart_uploads): its public API only uploads a whole
stream itself, and the platform needs the steps apart (presigned parts sent by clients, parts listed
and assembled at completion). guard_multipart() checks at import that they are still there as written.
"""
import logging
import queue
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import quote, urlsplit

from minio import Minio
from minio.datatypes import Part
from minio.error import S3Error
from urllib3.exceptions import HTTPError

from kepu_common.interfaces.errors import Unavailable
from kepu_common.operations.patches import UnsupportedLibrary, require_signature, require_version

MINIO_VERSIONS = ("7.2",)  # requirements.txt pins minio==7.2.20
# the private multipart calls used below, with the leading parameters they are called with
MULTIPART_CALLS = {
    "_create_multipart_upload": ("self", "bucket_name", "object_name", "headers"),
    "_upload_part": ("self", "bucket_name", "object_name", "data", "headers", "upload_id", "part_number"),
    "_list_parts": ("self", "bucket_name", "object_name", "upload_id", "max_parts", "part_number_marker"),
    "_complete_multipart_upload": ("self", "bucket_name", "object_name", "upload_id", "parts"),
    "_abort_multipart_upload": ("self", "bucket_name", "object_name", "upload_id"),
    "_list_multipart_uploads": ("self", "bucket_name", "delimiter", "encoding_type", "key_marker", "max_uploads",
                                "prefix", "upload_id_marker"),
}


def guard_multipart(client_class=Minio):
    """Fail at import, naming what changed, if the installed minio is not the one these calls were
    written for or one of them is gone or takes other parameters."""
    why = "kepu_common.data.storage's multipart uploads (minio's private multipart calls)"
    require_version("minio", MINIO_VERSIONS, why)
    for name, parameters in MULTIPART_CALLS.items():
        method = getattr(client_class, name, None)
        if not callable(method):
            raise UnsupportedLibrary(f"{why}: minio.Minio.{name} is gone in minio {_installed('minio')}; "
                               "update kepu_common/data/storage.py")
        require_signature(method, parameters, why)


def _installed(package):
    from importlib.metadata import version

    return version(package)


guard_multipart()

DEFAULT_REGION = "us-east-1"
log = logging.getLogger(__name__)
# S3 answers that mean the platform's credentials are wrong (or lack a right), not that a request was bad
ACCESS_REFUSED = {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidSecurity"}


def unavailable(exc, bucket=None):
    """The Unavailable (503) a storage failure means to a caller, or None when it is not one: the endpoint
    unreachable or gone mid-transfer, the platform's credentials refused, a configured bucket missing.
    Other S3 answers (NoSuchKey, NoSuchUpload...) are left to the caller."""
    details = {"dependency": "storage", "reason": str(exc)[:300]}
    if isinstance(exc, S3Error):
        if exc.code in ACCESS_REFUSED:
            return Unavailable("storage_access_refused", details=dict(details, s3_code=exc.code))
        if exc.code == "NoSuchBucket":
            return Unavailable("bucket_missing", details=dict(details, s3_code=exc.code),
                               bucket=exc.bucket_name or bucket or "")
        return None
    if isinstance(exc, (HTTPError, OSError)):
        return Unavailable("storage_unreachable", details=details)
    return None


@contextmanager
def translated(bucket=None):
    """Storage failures surface as a clear Unavailable (storage_unreachable, storage_access_refused,
    bucket_missing) instead of a library's exception."""
    try:
        yield
    except Unavailable:
        raise
    except Exception as exc:
        problem = unavailable(exc, bucket)
        if problem is None:
            raise
        raise problem from exc


def _client(endpoint_url, access_key, secret_key, region):
    parts = urlsplit(endpoint_url if "://" in endpoint_url else f"http://{endpoint_url}")
    return Minio(
        parts.netloc,
        access_key=access_key,
        secret_key=secret_key,
        secure=parts.scheme == "https",
        region=region,  # set explicitly so presigning never needs a round trip to ask for it
    )


def attachment(filename):
    """Content-Disposition for a download: an ASCII fallback plus the real (often Chinese) name, RFC 6266."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class Storage:
    def __init__(self, endpoint, access_key, secret_key, buckets, public_endpoint=None, region=DEFAULT_REGION):
        self.client = _client(endpoint, access_key, secret_key, region)
        self.signer = _client(public_endpoint or endpoint, access_key, secret_key, region)
        self.buckets = dict(buckets)

    @classmethod
    def from_config(cls, settings):
        return cls(
            settings["endpoint"],
            settings["access_key"],
            settings["secret_key"],
            settings.get("buckets", {}),
            public_endpoint=settings.get("public_endpoint"),
            region=settings.get("region", DEFAULT_REGION),
        )

    def bucket(self, purpose):
        return self.buckets[purpose]

    def ensure_buckets(self):
        for name in self.buckets.values():
            if not self.client.bucket_exists(name):
                try:
                    self.client.make_bucket(name)
                except S3Error as exc:  # another service (or replica) made it first
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

    def check(self):
        """Raise Unavailable if the endpoint cannot be reached or a configured bucket is missing."""
        for name in self.buckets.values():
            try:
                exists = self.client.bucket_exists(name)
            except Exception as exc:  # urllib3 and S3 errors alike: storage is not usable
                raise (unavailable(exc, name) or Unavailable(
                    "storage_unreachable", details={"dependency": "storage", "reason": str(exc)[:300]})) from exc
            if not exists:
                raise Unavailable("bucket_missing", details={"dependency": "storage"}, bucket=name)

    def presigned_get(self, bucket, key, expires=timedelta(minutes=10), filename=None):
        headers = {"response-content-disposition": attachment(filename)} if filename else None
        return self.signer.presigned_get_object(bucket, key, expires=expires, response_headers=headers)

    def presigned_put(self, bucket, key, expires=timedelta(hours=1)):
        return self.signer.presigned_put_object(bucket, key, expires=expires)

    # multipart uploads straight from the client to storage, one presigned URL per part
    def start_multipart(self, bucket, key, content_type="application/octet-stream"):
        with translated(bucket):
            return self.client._create_multipart_upload(bucket, key, {"Content-Type": content_type})

    def presigned_part(self, bucket, key, upload_id, part_number, expires=timedelta(hours=6)):
        return self.signer.get_presigned_url(
            "PUT", bucket, key, expires=expires,
            extra_query_params={"uploadId": upload_id, "partNumber": str(part_number)},
        )

    def uploaded_parts(self, bucket, key, upload_id):
        """[(part_number, etag, size)] of what the client has sent so far (all pages of the listing)."""
        parts, marker = [], None
        while True:
            with translated(bucket):
                result = self.client._list_parts(bucket, key, upload_id, max_parts=1000,
                                                 part_number_marker=marker)
            parts.extend((part.part_number, part.etag, part.size) for part in result.parts)
            if not result.is_truncated:
                return parts
            marker = str(result.next_part_number_marker)

    def complete_multipart(self, bucket, key, upload_id, parts):
        """parts: [(part_number, etag)] in order."""
        with translated(bucket):
            return self.client._complete_multipart_upload(
                bucket, key, upload_id, [Part(number, etag) for number, etag in parts]
            )

    def abort_multipart(self, bucket, key, upload_id):
        with translated(bucket):
            self.client._abort_multipart_upload(bucket, key, upload_id)

    def put_stream(self, bucket, key, stream, length=-1, content_type="application/octet-stream",
                   part_size=16 * 1024 * 1024):
        """Upload from a file-like object without holding it in memory (one part buffered at a time)."""
        with translated(bucket):
            return self.client.put_object(bucket, key, stream, length, content_type=content_type,
                                          part_size=part_size)

    def put_in_parts(self, bucket, key, read, length, content_type="application/octet-stream",
                     part_size=16 * 1024 * 1024, observe=None, in_flight=3, chunk_size=1024 * 1024):
        """Copy `length` bytes from read(n) into an object as a multipart upload, without holding more
        than in_flight + 1 parts: while up to in_flight parts upload on their own threads, the next one
        fills a reused buffer. observe(chunk) sees every chunk in order (to hash it). If the source ends
        early (EOFError) or anything fails, the multipart upload is aborted and nothing is left behind.
        """
        upload_id = self.start_multipart(bucket, key, content_type)
        with translated(bucket):
            return self._put_parts(bucket, key, upload_id, read, length, part_size, observe, in_flight, chunk_size)

    def _put_parts(self, bucket, key, upload_id, read, length, part_size, observe, in_flight, chunk_size):
        free = queue.Queue()
        for _ in range(in_flight + 1):
            free.put(bytearray(min(part_size, max(length, 1))))
        try:
            with ThreadPoolExecutor(in_flight, thread_name_prefix="part-upload") as pool:
                sent = []
                remaining = length
                while remaining > 0:
                    buffer = free.get()  # waits while in_flight parts are still uploading
                    size = min(len(buffer), remaining)
                    view = memoryview(buffer)[:size]
                    filled = 0
                    while filled < size:
                        chunk = read(min(chunk_size, size - filled))
                        if not chunk:
                            free.put(buffer)
                            raise EOFError(f"the source ended after {length - remaining + filled} of {length} bytes")
                        view[filled:filled + len(chunk)] = chunk
                        if observe:
                            observe(chunk)
                        filled += len(chunk)
                    remaining -= size
                    sent.append(pool.submit(self._upload_part, bucket, key, upload_id, len(sent) + 1, view,
                                            buffer, free))
                    failed = next((f for f in sent if f.done() and f.exception()), None)
                    if failed:
                        raise failed.exception()
                etags = [future.result() for future in sent]
            return self.complete_multipart(bucket, key, upload_id, list(enumerate(etags, 1)))
        except BaseException:
            try:
                self.abort_multipart(bucket, key, upload_id)
            except Exception as exc:  # the original error matters more; storage drops stale uploads itself
                log.warning("could not abort multipart upload %s of %s: %s", upload_id, key, exc)
            raise

    def _upload_part(self, bucket, key, upload_id, number, data, buffer, free):
        try:
            return self.client._upload_part(bucket, key, data, None, upload_id, number)
        finally:
            free.put(buffer)

    def stat(self, bucket, key):
        with translated(bucket):
            return self.client.stat_object(bucket, key)

    def open(self, bucket, key, offset=0, length=0):
        """The object's response (stream() it, then close() and release_conn()); a failure while reading it
        is the caller's to translate (with translated())."""
        with translated(bucket):
            return self.client.get_object(bucket, key, offset=offset, length=length)

    def remove(self, bucket, key):
        with translated(bucket):
            self.client.remove_object(bucket, key)

    def remove_prefix(self, bucket, prefix):
        with translated(bucket):
            for obj in self.client.list_objects(bucket, prefix=prefix, recursive=True):
                self.client.remove_object(bucket, obj.object_name)

    def multipart_uploads(self, bucket, prefix=""):
        """[(key, upload_id, initiated)] of every multipart upload started and neither completed nor aborted
        (all pages of the listing)."""
        found, key_marker, id_marker = [], None, None
        while True:
            with translated(bucket):
                result = self.client._list_multipart_uploads(bucket, prefix=prefix or None, key_marker=key_marker,
                                                             upload_id_marker=id_marker, max_uploads=1000)
            found.extend((u.object_name, u.upload_id, u.initiated_time) for u in result.uploads)
            if not result.is_truncated or not result.uploads:
                return found
            key_marker, id_marker = result.next_key_marker, result.next_upload_id_marker


def __getattr__(name):
    """kepu_common.data.storage.ObjectStorage, the services' nameko provider, lives in kepu_common.data.storage_provider
    so that the gateway, which uses Storage only, never loads nameko (and eventlet) through this module."""
    if name == "ObjectStorage":
        from kepu_common.data.storage_provider import ObjectStorage

        return ObjectStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
