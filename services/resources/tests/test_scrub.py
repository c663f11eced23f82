"""The integrity scrub against a running resources service, SeaweedFS and PostgreSQL: objects changed or
deleted behind the platform's back are reported, a run stopped anywhere resumes, two never run at once,
a storage outage is no finding; the admin list through the gateway; abandoned multipart uploads."""
import io
import uuid
from datetime import datetime, timedelta, timezone

import psycopg2
import pytest
from nameko.testing.services import entrypoint_hook

from gateway import create_app
from kepu_common.devtools import devstack
from kepu_common.interfaces.errors import Unavailable
from kepu_common.data.storage import Storage
from services.resources import abandoned, scrub
from services.resources.integrity import Scrub, ScrubCollector, ScrubSettings
from services.resources.service import ResourcesService
from services.resources.tests.conftest import (ADMIN_A, ORG_A, call, png_bytes, publish, send_parts, sha256, sql,
                                               streamed, upload_form, video_of_size)

IMAGE = {"purpose": "image", "content_type": "image/png", "filename": "雾霾.png"}
MB = 1024 * 1024


class Clock:
    """A clock that only moves when slept on: rates are checked without the wall clock."""

    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def runner(container, clock=None, **settings):
    settings = {"scrub_mb_per_second": 1000, **settings}
    clock = clock or Clock()
    scrubber = Scrub(container.config["DATABASE_URL"], ScrubSettings(settings))
    storage = Storage.from_config(container.config["STORAGE"])
    return lambda store=storage: scrubber.run(store, clock=clock, sleep=clock.sleep)


def state(container):
    with psycopg2.connect(container.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        return scrub.state(cur)


def open_findings(container):
    return {row[0]: row[1:] for row in sql(container, "SELECT upload_id::text, kind, actual_sha256, actual_size "
                                                      "FROM scrub_findings WHERE resolved_at IS NULL")}


@pytest.fixture
def files(resources, storage):
    """Four completed uploads (their bytes by upload id), in the order the scrub walks them (by id)."""
    made = {}
    for width in (101, 102, 103, 104):
        data = png_bytes(width, 50)
        made[streamed(resources, storage, data, **IMAGE)["id"]] = data
    return dict(sorted(made.items()))


def key_of(container, upload_id):
    return sql(container, "SELECT object_key FROM uploads WHERE id = %s", (upload_id,))[0][0]


# --- the pacer (plain code) ------------------------------------------------------------------------
def test_the_pacer_keeps_reading_under_its_rate():
    clock = Clock()
    pacer = scrub.Pacer(5 * MB, clock, clock.sleep)
    for _ in range(10):
        pacer.took(MB)
    assert clock.now == pytest.approx(2.0)  # 10 MB at 5 MB/s
    clock.now += 3.0  # time passed elsewhere (the objects' own reads): no sleep owed
    pacer.took(MB)
    assert clock.now == pytest.approx(5.0) and len(clock.slept) == 10
    with pytest.raises(ValueError):
        scrub.Pacer(0)


def test_outcome_compares_the_hash_and_the_size():
    assert scrub.outcome("AB" * 32, 3, "ab" * 32, 3) == "ok"
    assert scrub.outcome("ab" * 32, 3, "cd" * 32, 3) == "mismatch"
    assert scrub.outcome("ab" * 32, 3, "ab" * 32, 4) == "mismatch"


def test_stale_multipart_uploads_are_those_started_before_the_cutoff():
    now = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)
    listed = [("a", "1", now - timedelta(hours=25)), ("b", "2", now - timedelta(hours=1)), ("c", "3", None)]
    assert abandoned.stale(listed, timedelta(hours=24), now) == [("a", "1")]


# --- in a running service ---------------------------------------------------------------------------
def test_a_pass_reports_changed_and_missing_files_and_resumes_where_it_stopped(resources, storage, files):
    ids = list(files)
    bucket = storage.bucket("resources")
    changed = b"\x89PNG changed behind the platform's back"
    storage.put_stream(bucket, key_of(resources, ids[1]), io.BytesIO(changed), len(changed))
    storage.remove(bucket, key_of(resources, ids[2]))

    run = runner(resources, scrub_objects_per_run=3)
    first = run()  # stopped by its budget after three objects
    assert (first.checked, first.stopped, first.pass_finished) == (3, "budget", False)
    assert state(resources)["last_upload_id"] == uuid.UUID(ids[2])
    second = run()  # resumes after the third: the fourth, then the pass ends
    assert (second.checked, second.pass_finished) == (1, True)
    assert first.found == {"mismatch": 1, "missing": 1} and second.found == {"mismatch": 0, "missing": 0}
    after = state(resources)
    assert (after["passes_finished"], after["objects_checked"], after["last_upload_id"]) == (1, 4, None)
    assert after["bytes_read"] == sum(len(files[i]) for i in (ids[0], ids[3])) + len(changed)
    assert open_findings(resources) == {ids[1]: ("mismatch", sha256(changed), len(changed)),
                                        ids[2]: ("missing", None, None)}

    # the admin list, through the service's RPC
    page = call(resources, "scrub_findings", {"kind": "missing"})
    assert (page["total"], page["has_more"], page["scrub"]["passes_finished"]) == (1, False, 1)
    item, = page["items"]
    assert (item["upload_id"], item["kind"], item["expected_sha256"]) == (ids[2], "missing", sha256(files[ids[2]]))

    # repaired: the next pass resolves the mismatch; the missing one is seen again, still open
    storage.put_stream(bucket, key_of(resources, ids[1]), io.BytesIO(files[ids[1]]), len(files[ids[1]]))
    again, rest = run(), run()  # the next pass, in two runs
    assert (again.cleared, again.found["missing"], rest.pass_finished) == (1, 1, True)
    assert set(open_findings(resources)) == {ids[2]}
    assert call(resources, "scrub_findings", {"status": "resolved"})["items"][0]["upload_id"] == ids[1]
    assert call(resources, "scrub_findings", {"status": "all"})["total"] == 2


def test_the_timer_entrypoint_runs_the_scrub_and_the_gauge_counts_findings(resources, storage, files):
    ids = list(files)
    storage.remove(storage.bucket("resources"), key_of(resources, ids[0]))
    with entrypoint_hook(resources, "integrity_scrub") as hook:
        summary = hook()
    assert summary.checked == 4 and summary.pass_finished and summary.found["missing"] == 1
    families = {family.name: family for family in ScrubCollector(resources.config["DATABASE_URL"]).collect()}
    gauge = {sample.labels["kind"]: sample.value for sample in families["kepu_storage_scrub_findings"].samples}
    assert gauge == {"mismatch": 0, "missing": 1}
    assert families["kepu_storage_scrub_objects_checked"].samples[0].value == 4
    assert families["kepu_storage_scrub_last_pass_timestamp_seconds"].samples[0].value > 0


def test_a_run_stopped_mid_object_checks_it_again_and_two_runs_never_overlap(resources, storage, files):
    clock = Clock()

    def crash(seconds):  # the process dies while the first object is being read
        raise KeyboardInterrupt

    scrubber = Scrub(resources.config["DATABASE_URL"], ScrubSettings({"scrub_mb_per_second": 0.000001}))
    with pytest.raises(KeyboardInterrupt):
        scrubber.run(storage, clock=clock, sleep=crash)
    assert state(resources)["objects_checked"] == 0 and state(resources)["last_upload_id"] is None

    # another run holds the lock (another replica): this one checks nothing
    holder = psycopg2.connect(resources.config["DATABASE_URL"])
    try:
        with holder, holder.cursor() as cur:
            assert scrub.try_lock(cur)
        skipped = runner(resources)()
        assert (skipped.stopped, skipped.checked) == ("locked", 0)
    finally:
        holder.close()  # a session that ends releases its lock, as a crashed run's does
    resumed = runner(resources)()
    assert resumed.checked == 4 and resumed.pass_finished and open_findings(resources) == {}


def test_storage_going_away_stops_the_run_without_a_finding(resources, storage, files):
    settings = dict(resources.config["STORAGE"], endpoint=f"http://127.0.0.1:{devstack.free_port()}")
    summary = runner(resources)(Storage.from_config(settings))
    assert (summary.stopped, summary.checked) == ("storage_unavailable", 0)
    assert open_findings(resources) == {} and state(resources)["last_upload_id"] is None
    wrong = Storage.from_config(dict(resources.config["STORAGE"], secret_key="wrong"))
    assert runner(resources)(wrong).stopped == "storage_unavailable"
    assert runner(resources)().checked == 4  # back: the pass goes on from where it was


def test_the_admin_list_through_the_gateway(resources, storage, files, amqp_uri, jwt_keys, make_token):
    storage.remove(storage.bucket("resources"), key_of(resources, list(files)[0]))
    runner(resources)()
    app = create_app({"AMQP_URI": amqp_uri, "JWT_PUBLIC_KEYS": [jwt_keys["public"]], "RPC_TIMEOUT": 5.0,
                      "STORAGE": resources.config["STORAGE"], "TESTING": True})
    try:
        client = app.test_client()
        admin = {"Authorization": f"Bearer {make_token(['platform_admin'])}"}
        response = client.get("/api/v1/admin/storage/findings?kind=missing", headers=admin)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["total"] == 1 and body["items"][0]["kind"] == "missing" and body["scrub"]["passes_finished"] == 1
        reviewer = {"Authorization": f"Bearer {make_token(['reviewer'])}"}
        assert client.get("/api/v1/admin/storage/findings", headers=reviewer).status_code == 403
        assert client.get("/api/v1/admin/storage/findings").status_code == 401
        bad = client.get("/api/v1/admin/storage/findings?kind=rotten", headers=admin)
        assert bad.status_code == 400 and "kind" in bad.get_json()["error"]["fields"]
        spec = client.get("/api/v1/openapi.json").get_json()
        assert "get" in spec["paths"]["/api/v1/admin/storage/findings"]
    finally:
        app.extensions["rpc"].close()


def test_abandoned_multipart_uploads_are_aborted_and_pending_ones_kept(resources, storage):
    bucket = storage.bucket("resources")
    orphan = storage.start_multipart(bucket, "files/org/gone/multipart")  # no upload row refers to it
    pending = call(resources, "start_upload", ADMIN_A, upload_form(video_of_size(6 * MB)))
    with psycopg2.connect(resources.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        aborted = abandoned.abort_stale(cur, storage, bucket, timedelta(0),
                                        now=datetime.now(timezone.utc) + timedelta(minutes=5))
    assert aborted == [("files/org/gone/multipart", orphan)]
    assert pending["status"] == "pending"
    kept, = sql(resources, "SELECT multipart_id FROM uploads WHERE id = %s", (pending["id"],))
    assert [upload_id for _, upload_id, _ in storage.multipart_uploads(bucket)] == [kept[0]]
    with entrypoint_hook(resources, "abort_abandoned_multipart") as hook:
        assert hook() == []  # nothing is older than the upload lifetime


def test_storage_down_while_an_upload_completes_leaves_it_pending(start_service, amqp_uri, tmp_path):
    """A store of its own, stopped between the parts and the completion: a clear 503, the upload still
    pending and nothing written; once the store is back, the same completion succeeds."""
    port = devstack.free_port()
    store = devstack.start_s3(port, data_dir=tmp_path / "s3")
    try:
        config = {"endpoint": f"http://127.0.0.1:{port}", "access_key": devstack.LOCAL_ACCESS_KEY,
                  "secret_key": devstack.LOCAL_SECRET_KEY, "buckets": {"resources": "own-resources",
                                                                        "uploads": "own-uploads",
                                                                        "licences": "own-licences"}}
        container = start_service(ResourcesService, STORAGE=config, RESOURCES={"part_size_mb": 5})
        publish(container, amqp_uri, "org_registered", "on_org_registered", org_id=ORG_A, registrant_id=ADMIN_A,
                name="中国气象局气象宣传与科普中心", category="ministry", region_code="110105")
        publish(container, amqp_uri, "role_granted", "on_role_granted", user_id=ADMIN_A, role="org_admin",
                scope=ORG_A, actor_id=None)
        data = png_bytes(200, 100)
        upload = call(container, "start_upload", ADMIN_A, upload_form(data, **IMAGE))
        send_parts(upload, data)
        store.send_signal(9)
        store.wait(10)
        with pytest.raises(Unavailable) as error:
            call(container, "complete_upload", ADMIN_A, upload["id"])
        assert error.value.status == 503 and "storage_unreachable" in str(error.value)
        assert sql(container, "SELECT status, error FROM uploads") == [("pending", "")]
        assert sql(container, "SELECT count(*) FROM resources") == [(0,)]
        store = devstack.start_s3(port, data_dir=tmp_path / "s3")
        done = call(container, "complete_upload", ADMIN_A, upload["id"])
        assert done["status"] == "complete" and done["sha256"] == sha256(data)
    finally:
        store.kill()  # its data is the test's temporary directory
        store.wait(10)


def test_a_download_of_a_file_gone_or_unreachable_is_a_clear_error_and_not_counted(resources, storage, amqp_uri):
    from services.resources.tests.test_duplicates import decide, form

    upload = uploaded_image(resources, storage)
    resource = call(resources, "submit", ADMIN_A, form(upload["id"]))
    decide(resources, amqp_uri, resource["id"], "initial")
    decide(resources, amqp_uri, resource["id"], "scientific")
    assert call(resources, "download", resource["id"], None)["url"]

    # storage away: 503 storage_unreachable, nothing recorded or counted
    with patched_storage(resources, endpoint=f"http://127.0.0.1:{devstack.free_port()}"):
        with pytest.raises(Unavailable, match="storage_unreachable"):
            call(resources, "download", resource["id"], None)
    assert sql(resources, "SELECT count(*) FROM download_events") == [(1,)]

    # deleted behind the platform's back: 503 resource_file_missing, reported as a finding at once
    storage.remove(storage.bucket("resources"), resource_file_key(resources, resource["id"]))
    with pytest.raises(Unavailable, match="resource_file_missing") as error:
        call(resources, "download", resource["id"], None)
    assert error.value.status == 503
    assert sql(resources, "SELECT count(*) FROM download_events") == [(1,)]
    assert call(resources, "get_resource", resource["id"], None)["downloads"] == 1
    assert list(open_findings(resources).values()) == [("missing", None, None)]
    item, = call(resources, "scrub_findings")["items"]
    assert (item["resource_id"], item["upload_id"]) == (resource["id"], upload["id"])


def uploaded_image(container, storage):
    return streamed(container, storage, png_bytes(180, 90), **IMAGE)


def resource_file_key(container, resource_id):
    return sql(container, "SELECT file_key FROM resources WHERE id = %s", (resource_id,))[0][0]


class patched_storage:
    """The service's storage pointed elsewhere for a while (an outage, without stopping the shared store)."""

    def __init__(self, container, **settings):
        from kepu_common.data.storage import ObjectStorage

        self.provider = next(d for d in container.dependencies if isinstance(d, ObjectStorage))
        self.settings = dict(container.config["STORAGE"], **settings)

    def __enter__(self):
        self.original = self.provider.storage
        self.provider.storage = Storage.from_config(self.settings)

    def __exit__(self, *exc_info):
        self.provider.storage = self.original
