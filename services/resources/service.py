import io
import logging
import uuid
from datetime import timedelta

from minio.error import S3Error
from nameko.timer import timer

from kepu_common.bus.consumers import event_consumer
from kepu_common.data.db import claim_events
from kepu_common.interfaces.errors import InvalidInput, KepuError, Unavailable
from kepu_common.domain.org_admins import OrgAdminsFromIdentity
from kepu_common.bus.rpc import rpc
from kepu_common.bus.service_base import PlatformService, StorageHealth
from kepu_common.data.storage import ObjectStorage
from services.resources import (abandoned, catalogue, download_log, downloads, duplicates, image_limits, review_flow,
                                scrub, search, thumbnails, uploads, virus_scan)
from services.resources.constants import PERSONAL_PURPOSES
from services.resources.social_service import SocialEntrypoints
from services.resources.dependencies import Settings
from services.resources.integrity import IntegrityScrub
from services.resources.scrub_schemas import FindingPageSchema, FindingsRequest
from services.resources.schemas import (
    AttachedUploadSchema, AttachRequest, CompleteRequest, DownloadVisitor, MineRequest, PageSchema, ResourcePatch, ResourceRequest,
    ResourceRevision, ResourceSchema, SearchRequest, StreamTargetSchema, TopicPageSchema, TopicsRequest, UploadRequest,
    UploadSchema, WithdrawRequest,
)

log = logging.getLogger(__name__)


# thumbnails appear in lists a frontend may keep open a while; files get DOWNLOAD_URL_SECONDS
THUMBNAIL_URL_TTL = timedelta(hours=1)


def _thumbnail_in_thread(path, box, max_pixels):
    # images, videos, audio and documents are decoded by a pool of bounded worker processes
    # (services/resources/image_limits.py): the service's own memory does not grow with the file, and the
    # event loop keeps answering while a worker decodes
    return image_limits.thumbnail(path, box, max_pixels)


def _probe_in_thread(path, seconds, poster_box=None, kind="video"):
    """A video's duration (and poster frame) read in a bounded worker; one that keeps FFmpeg busy past
    `seconds` is refused (the worker is killed)."""
    return image_limits.probe(path, kind, poster_box, seconds)


def _inspect_in_thread(path, content_type, box, seconds):
    """A document checked (a PDF parsed, its first page rendered; a .docx's zip directory read) in a
    bounded worker; one that takes longer than `seconds` is refused."""
    return image_limits.inspect(path, content_type, box, seconds)


class ResourcesService(StorageHealth, SocialEntrypoints, OrgAdminsFromIdentity, PlatformService):
    name = "resources"
    storage = ObjectStorage()
    settings = Settings()
    integrity = IntegrityScrub()

    def _url(self, key, expires=THUMBNAIL_URL_TTL, filename=None):
        if not key:
            return None
        return self.storage.presigned_get(self.storage.bucket(uploads.BUCKET), key, expires=expires, filename=filename)

    def _upload_out(self, upload, parts=None, cur=None):
        upload = dict(upload, thumbnail_url=self._url(upload["thumbnail_key"]))
        if parts is not None:
            upload["parts"] = parts
        if cur is not None and upload["status"] == "complete":  # the same content already a resource: flagged
            upload["duplicate_of"] = duplicates.described(
                duplicates.for_uploader(cur, upload["sha256"], upload["org_id"], upload["id"]))
        return UploadSchema().dump(upload)

    def _resource_out(self, resource):
        return ResourceSchema().dump(dict(resource, thumbnail_url=self._url(resource["thumbnail_key"])))

    def _page_out(self, found, more, request, total=None):
        page = {"items": [dict(r, thumbnail_url=self._url(r["thumbnail_key"])) for r in found],
                "page": request["page"], "page_size": request["page_size"], "has_more": more}
        if total is not None:
            page["total"] = total
        return PageSchema().dump(page)

    # --- uploads ----------------------------------------------------------------------------
    @rpc
    def start_upload(self, user_id, request):
        data = UploadRequest().load(request)
        uploads.check_new(self.settings, data)
        if data["purpose"] in PERSONAL_PURPOSES:  # a person's own files for communities
            org_id = uuid.UUID(str(user_id))
        else:
            with self.db, self.db.cursor() as cur:
                org_id = catalogue.acting_org(cur, user_id, data["org_id"])
        upload_id = uuid.uuid4()
        bucket = self.storage.bucket(uploads.BUCKET)
        multipart_id = None
        if data["method"] == "multipart":
            key = uploads.multipart_key(org_id, upload_id)
            multipart_id = self.storage.start_multipart(bucket, key, data["content_type"])
        else:
            key = uploads.prefix(org_id, upload_id)
        try:
            with self.db, self.db.cursor() as cur:
                upload = uploads.record(cur, self.settings, upload_id, org_id, user_id, data, key, multipart_id)
        except Exception:
            if multipart_id:  # no row refers to it: do not leave it behind
                self.storage.abort_multipart(bucket, key, multipart_id)
            raise
        parts = uploads.part_urls(self.storage, self.settings, upload) if multipart_id else None
        return self._upload_out(upload, parts)

    @rpc
    def get_upload(self, user_id, upload_id):
        with self.db, self.db.cursor() as cur:
            upload = uploads.get(cur, upload_id)
            uploads.require_owner(cur, upload, user_id)
            parts = (uploads.part_urls(self.storage, self.settings, upload)
                     if upload["status"] == "pending" and upload["multipart_id"] else None)
            return self._upload_out(upload, parts, cur)

    @rpc
    def stream_target(self, user_id, upload_id):
        """Where the gateway streams a file: a fresh object for this attempt."""
        with self.db, self.db.cursor() as cur:
            upload = uploads.get(cur, upload_id)
            uploads.require_owner(cur, upload, user_id)
            uploads.require_pending(upload, "stream")
        return StreamTargetSchema().dump({
            "org_id": str(upload["org_id"]), "bucket": self.storage.bucket(uploads.BUCKET), "key": uploads.stream_key(upload["org_id"], upload["id"]),
            "size": upload["size"], "content_type": upload["declared_type"], "part_size": upload["part_size"]})

    @rpc
    def complete_upload(self, user_id, upload_id, request=None):
        received = CompleteRequest().load(request or {})["received"]
        with self.db, self.db.cursor() as cur:
            upload = uploads.get(cur, upload_id, lock=True)
            uploads.require_owner(cur, upload, user_id)
            if received and not received["object_key"].startswith(uploads.prefix(upload["org_id"], upload["id"])):
                raise InvalidInput("object_not_of_upload", {"object_key": "object_not_of_upload"})
            if upload["status"] != "pending" and received and received["object_key"] != upload["object_key"]:
                # a streamed attempt that lost a race, or came too late: its object is nobody's
                self.storage.remove(self.storage.bucket(uploads.BUCKET), received["object_key"])
            if upload["status"] == "complete":  # asked twice, or a racing stream lost: the first result stands
                return self._upload_out(upload, cur=cur)
            uploads.require_pending(upload)
            self._take_received(upload, received)
            rejection = self._check(cur, upload, received)
            upload = uploads.get(cur, upload["id"])
            out = self._upload_out(upload, cur=cur)
        if rejection is not None:
            raise rejection  # after the commit: the upload stays rejected, with its reason
        return out

    def _check(self, cur, upload, received):
        """Complete the upload if its file passes the checks; otherwise remove it and return why."""
        try:
            if upload["method"] == "multipart":
                uploads.assemble_parts(self.storage, upload)
            facts = uploads.verify(self.storage, self.settings, upload, received,
                                   make_thumbnail=_thumbnail_in_thread,
                                   probe=lambda path, kind: _probe_in_thread(
                                       path, self.settings.probe_seconds, self.settings.thumbnail_pixels, kind),
                                   inspect=lambda path, content_type, box: _inspect_in_thread(
                                       path, content_type, box, self.settings.probe_seconds))
            if self.settings.scanner is not None:  # infected: quarantined, then rejected below
                virus_scan.check(self.settings.scanner, self.storage, self.storage.bucket(uploads.BUCKET),
                                 upload["object_key"], upload["id"])
        except (uploads.Incomplete, Unavailable):
            raise  # storage down or refusing: the upload stays pending, to be completed again
        except KepuError as problem:
            uploads.remove_objects(self.storage, upload)
            uploads.mark_rejected(cur, upload["id"], _reason(problem))
            return problem
        uploads.mark_complete(cur, upload["id"], upload["object_key"], facts,
                              self._store_thumbnail(upload, facts["thumbnail"]))
        return None

    def _take_received(self, upload, received):
        if upload["method"] == "stream":
            if received is None:
                raise uploads.Incomplete("content_not_received", {"content": "content_not_received"})
            upload["object_key"] = received["object_key"]
        elif received is not None:
            raise InvalidInput("upload_other_method", {"method": "upload_method_multipart"})

    def _store_thumbnail(self, upload, thumbnail):
        if thumbnail is None:
            return None
        key = uploads.thumbnail_key(upload["id"])
        self.storage.put_stream(self.storage.bucket(uploads.BUCKET), key, io.BytesIO(thumbnail), len(thumbnail),
                                content_type=thumbnails.CONTENT_TYPE)
        return key

    @rpc
    def attach_uploads(self, user_id, org_id, upload_ids, purpose):
        """Another service (activities) takes up completed uploads of an organization for one purpose:
        [{upload_id, bucket, key, content_type, size, sha256, duration_seconds, width, height, filename,
        thumbnail_key}] in the order asked. They are marked used, so the unused-upload cleanup keeps them;
        asking again gives the same answer. Refused together (InvalidInput, a field code per refused
        upload as upload_ids.<index>) when one is unknown, not completed, of another organization or
        another purpose."""
        data = AttachRequest().load({"user_id": user_id, "org_id": org_id, "upload_ids": upload_ids,
                                     "purpose": purpose})
        with self.db, self.db.cursor() as cur:
            attached = uploads.attach(cur, data["user_id"], data["org_id"], data["upload_ids"], data["purpose"])
        return AttachedUploadSchema(many=True).dump([dict(upload, bucket=uploads.BUCKET) for upload in attached])

    @timer(interval=300)
    def expire_uploads(self):
        """Remove what abandoned uploads left in storage: unfinished parts, and files neither a resource nor
        another service (attach_uploads) took up."""
        with self.db, self.db.cursor() as cur:
            stale = uploads.expired(cur) + uploads.unused(cur, self.settings.unused_upload_ttl)
            for upload in stale:
                uploads.remove_objects(self.storage, upload)
                uploads.mark_expired(cur, upload["id"])
        if stale:
            log.info("expired %d abandoned uploads", len(stale))

    # --- files that stay sound (services/resources/scrub.py, abandoned.py) --------------------
    @timer(interval=60)
    def integrity_scrub(self):
        """Re-read stored files at a bounded rate and compare their SHA-256 with the recorded one; one run
        at a time across every replica (advisory lock), resumed where the last one stopped."""
        if not self.integrity.settings.enabled:
            return None
        summary = self.integrity.run(self.storage)
        if summary.checked or summary.pass_finished:
            log.info("integrity scrub: %d objects, %d bytes, found %s, %d cleared%s", summary.checked,
                     summary.bytes_read, summary.found, summary.cleared, ", pass finished" if summary.pass_finished else "")
        return summary

    @rpc
    def scrub_findings(self, request=None):
        """The integrity scrub's findings, newest first, with where the scrub stands (the gateway lets
        platform admins read it)."""
        data = FindingsRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            found, more, total = scrub.findings(cur, data["status"], data["kind"], data["page_size"],
                                                (data["page"] - 1) * data["page_size"])
            state = scrub.state(cur)
        return FindingPageSchema().dump({"items": found, "page": data["page"], "page_size": data["page_size"],
                                         "has_more": more, "total": total, "scrub": state})

    @timer(interval=3600)
    def abort_abandoned_multipart(self):
        """Abort multipart uploads no pending upload refers to any more (a process that died between
        starting one and recording it, a stream whose abort failed) once older than the upload lifetime:
        their parts are removed with them."""
        bucket = self.storage.bucket(uploads.BUCKET)
        with self.db, self.db.cursor() as cur:
            aborted = abandoned.abort_stale(cur, self.storage, bucket, self.settings.upload_ttl)
        if aborted:
            log.info("aborted %d abandoned multipart uploads", len(aborted))
        return aborted

    @timer(interval=3600)
    def truncate_download_events(self):
        """PIPL storage limitation: download events older than the counting rules need (a day's audit) keep
        the network of their address, not the address or the user agent (services/resources/download_log.py)."""
        truncated = 0
        while True:
            with self.db, self.db.cursor() as cur:
                done = download_log.truncate_old(cur)
            truncated += done
            if done < download_log.TRUNCATE_BATCH:
                break
        if truncated:
            log.info("truncated %d download events past their retention", truncated)
        return truncated

    # --- the catalogue ----------------------------------------------------------------------
    def _announce(self, cur, resource, previous, actor_id):
        """Every move of a resource is announced; one that waits for a review stage requests it."""
        self.outbox.add(cur, "resource_status_changed", resource_id=str(resource["id"]),
                        org_id=str(resource["org_id"]), type=resource["type"], status=resource["status"],
                        previous_status=previous, actor_id=str(actor_id) if actor_id else None)
        stage = review_flow.stage_to_request(resource["status"])
        if stage:
            # the reviewer sees every other resource with the same content (duplicates.py)
            same = duplicates.for_reviewer(cur, resource["sha256"], resource["id"])
            self.outbox.add(cur, "review_requested", subject_type=catalogue.SUBJECT_TYPE,
                            subject_id=str(resource["id"]), stage=stage, scope=None,
                            snapshot={**catalogue.review_snapshot(resource), **duplicates.snapshot_fields(same)})

    @rpc
    def submit(self, user_id, request):
        data = ResourceRequest().load(request)
        if data["upload_id"] is None:
            raise InvalidInput("upload_first", {"upload_id": "required"})
        with self.db, self.db.cursor() as cur:
            resource = catalogue.submit(cur, user_id, data)
            self._announce(cur, resource, None, user_id)
        return self._resource_out(resource)

    @rpc
    def revise(self, user_id, resource_id, request, partial=False):
        """PUT (partial=False): every field stated; PATCH (partial=True): only those sent change."""
        data = (ResourcePatch() if partial else ResourceRevision()).load(request)
        with self.db, self.db.cursor() as cur:
            previous, resource = catalogue.revise(cur, user_id, resource_id, data)
            self._announce(cur, resource, previous, user_id)
        return self._resource_out(resource)

    @rpc
    def withdraw(self, user_id, resource_id, request=None):
        data = WithdrawRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            resource = catalogue.withdraw(cur, user_id, resource_id, data["reason"])
            self._announce(cur, resource, "published", user_id)
        return self._resource_out(resource)

    @event_consumer("review", "review_decided", subjects=("resource",), legacy_binding=True)
    def on_review_decided(self, events):
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, "resources.on_review_decided", events):
                if event["subject_type"] != catalogue.SUBJECT_TYPE:
                    continue
                outcome = catalogue.apply_decision(cur, event)
                if outcome:
                    previous, resource = outcome
                    self._announce(cur, resource, previous, event["reviewer_id"])

    @rpc
    def get_resource(self, resource_id, user_id=None):
        with self.db, self.db.cursor() as cur:
            return self._resource_out(catalogue.visible(cur, resource_id, user_id))

    @rpc
    def search(self, request):
        data = SearchRequest().load(request)
        with self.db, self.db.cursor() as cur:
            found, more = search.search(cur, **data)
        return self._page_out(found, more, data)

    @rpc
    def my_resources(self, user_id, request=None):
        data = MineRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            orgs = ([catalogue.acting_org(cur, user_id, data["org_id"])] if data["org_id"]
                    else catalogue.orgs_of(cur, user_id))
            if not orgs:
                catalogue.acting_org(cur, user_id)  # raises: not an organization account
            found, more, total = catalogue.owned(cur, orgs, data["status"], data["page_size"],
                                                 (data["page"] - 1) * data["page_size"])
        return self._page_out(found, more, data, total)

    @rpc
    def topics(self, request=None):
        data = TopicsRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            found, total = catalogue.topic_counts(cur, data["page_size"], (data["page"] - 1) * data["page_size"])
        return TopicPageSchema().dump({"items": found, "page": data["page"], "page_size": data["page_size"],
                                       "has_more": data["page"] * data["page_size"] < total, "total": total})

    @rpc
    def download(self, resource_id, user_id=None, visitor=None):
        """A short-lived link to the file; the request is recorded, and counted and announced once per
        visitor per 30 s unless a robot asked (services/resources/downloads.py)."""
        seen = DownloadVisitor().load(visitor or {})
        try:
            with self.db, self.db.cursor() as cur:
                resource, outcome, at = download_log.record(cur, resource_id, user_id, seen["client_address"],
                                                            seen["user_agent"])
                # the file is there (storage down: Unavailable); a request for a file that is not is not counted
                if not self._stored(resource["file_key"]):
                    raise _FileMissing
                self._count_download(cur, resource, user_id, outcome, at)
        except _FileMissing:
            with self.db, self.db.cursor() as cur:
                scrub.report_missing(cur, resource_id)
            log.error("resource %s: its file %s is missing from storage", resource_id, resource["file_key"])
            raise Unavailable("resource_file_missing", details={"dependency": "storage"}) from None
        return {"url": self._url(resource["file_key"], self.settings.download_ttl, resource["filename"]),
                "expires_in": int(self.settings.download_ttl.total_seconds()), "filename": resource["filename"]}

    def _stored(self, key):
        try:
            self.storage.stat(self.storage.bucket(uploads.BUCKET), key)
        except S3Error as exc:
            if exc.code in scrub.MISSING_CODES:
                return False
            raise
        return True

    def _count_download(self, cur, resource, user_id, outcome, at):
        if outcome == downloads.COUNTED:
            self.outbox.add(cur, "resource_downloaded", resource_id=str(resource["id"]),
                            org_id=str(resource["org_id"]), type=resource["type"],
                            user_id=str(user_id) if user_id else None, downloaded_at=at.isoformat())

    # --- organization names (identity's events; who acts for which: OrgAdminsFromIdentity) ------
    @event_consumer("identity", "org_registered")
    def on_org_registered(self, events):
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, "resources.on_org_registered", events):
                catalogue.remember_organization(cur, event["org_id"], event["name"])


class _FileMissing(Exception):
    """A resource's file is gone from storage (download): the request is rolled back, then reported."""


def _reason(problem):
    """Why an upload was rejected, as its row keeps it: the codes, not a text in someone's language."""
    fields_ = ",".join(f"{name}={value['code']}" for name, value in problem.fields.items())
    return f"{problem.message}" + (f" [{fields_}]" if fields_ else "")
