"""The storage layer against two S3 implementations: SeaweedFS (what make run, the tests and the deploy files
use) and moto's server (a second implementation, so the platform does not come to depend on one server's
quirks; see docs/architecture.md for why moto is the second one). Then what only a real server shows: the
credentials are checked, anonymous access is refused, and every storage failure is a clear error."""
import hashlib
import io
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from minio.error import S3Error

from kepu_common.devtools import devstack
from kepu_common.interfaces.errors import Unavailable
from kepu_common.data.storage import Storage

MB = 1024 * 1024


@pytest.fixture(scope="module")
def moto_endpoint():
    port = devstack.free_port()
    process = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        devstack.wait_for_s3(f"http://127.0.0.1:{port}", "any", "any", process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(10)


@pytest.fixture(params=["seaweedfs", "moto"])
def store(request, storage_settings):
    settings = dict(storage_settings)
    if request.param == "moto":
        settings["endpoint"] = request.getfixturevalue("moto_endpoint")
    storage = Storage.from_config(settings)
    storage.ensure_buckets()
    return storage


@pytest.fixture
def seaweedfs(storage_settings):
    storage = Storage.from_config(storage_settings)
    storage.ensure_buckets()
    return storage


def read(storage, bucket, key):
    response = storage.open(bucket, key)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def test_objects_are_written_read_ranged_and_removed(store):
    bucket = store.bucket("uploads")
    store.put_stream(bucket, "files/o/1/a", io.BytesIO(b"0123456789"), 10, content_type="text/plain")
    store.put_stream(bucket, "files/o/1/b", io.BytesIO(b"x"), 1)
    assert read(store, bucket, "files/o/1/a") == b"0123456789"
    assert store.stat(bucket, "files/o/1/a").size == 10
    ranged = store.open(bucket, "files/o/1/a", 2, 3)
    assert ranged.read() == b"234"
    ranged.close()
    ranged.release_conn()
    store.remove_prefix(bucket, "files/o/1/")
    assert list(store.client.list_objects(bucket, recursive=True)) == []


def test_a_stream_in_parts_arrives_whole(store):
    data = bytes(range(256)) * (11 * MB // 256) + b"tail"
    seen = hashlib.sha256()
    bucket = store.bucket("uploads")
    store.put_in_parts(bucket, "k", io.BytesIO(data).read, len(data), part_size=5 * MB, observe=seen.update)
    assert hashlib.sha256(read(store, bucket, "k")).hexdigest() == seen.hexdigest() == hashlib.sha256(data).hexdigest()
    assert store.multipart_uploads(bucket) == []


def test_presigned_put_and_get_with_a_chinese_file_name(store):
    bucket = store.bucket("resources")
    assert requests.put(store.presigned_put(bucket, "p/1"), data=b"presigned", timeout=10).status_code == 200
    response = requests.get(store.presigned_get(bucket, "p/1", filename="雾霾的成因.txt"), timeout=10)
    assert response.status_code == 200 and response.content == b"presigned"
    assert "filename*=UTF-8''%E9%9B%BE" in response.headers["Content-Disposition"]


def test_presigned_multipart_parts_are_listed_and_assembled(store):
    bucket = store.bucket("resources")
    data = bytes(range(256)) * (12 * MB // 256)
    upload_id = store.start_multipart(bucket, "mp", "video/mp4")
    for number, offset in ((1, 0), (2, 5 * MB), (3, 10 * MB)):
        url = store.presigned_part(bucket, "mp", upload_id, number)
        assert requests.put(url, data=data[offset:offset + 5 * MB], timeout=30).status_code == 200
    parts = store.uploaded_parts(bucket, "mp", upload_id)
    assert [(number, size) for number, _, size in parts] == [(1, 5 * MB), (2, 5 * MB), (3, 2 * MB)]
    assert [key for key, _, _ in store.multipart_uploads(bucket)] == ["mp"]
    store.complete_multipart(bucket, "mp", upload_id, [(number, etag) for number, etag, _ in parts])
    assert read(store, bucket, "mp") == data
    assert store.multipart_uploads(bucket) == []


def test_an_abandoned_multipart_upload_is_listed_until_aborted(store):
    bucket = store.bucket("uploads")
    upload_id = store.start_multipart(bucket, "files/o/2/multipart")
    store.presigned_part(bucket, "files/o/2/multipart", upload_id, 1)
    requests.put(store.presigned_part(bucket, "files/o/2/multipart", upload_id, 1), data=bytes(MB), timeout=10)
    listed = store.multipart_uploads(bucket, prefix="files/")
    assert [(key, found_id) for key, found_id, _ in listed] == [("files/o/2/multipart", upload_id)]
    assert listed[0][2] is not None  # when it started: what the clean-up's age is measured from
    store.abort_multipart(bucket, "files/o/2/multipart", upload_id)
    assert store.multipart_uploads(bucket) == []


def test_an_object_deleted_behind_the_platform_stays_a_no_such_key(store):
    """NoSuchKey is not an outage: callers (the integrity scrub, uploads) decide what it means."""
    bucket = store.bucket("uploads")
    store.put_stream(bucket, "gone", io.BytesIO(b"x"), 1)
    store.client.remove_object(bucket, "gone")
    with pytest.raises(S3Error) as error:
        store.stat(bucket, "gone")
    assert error.value.code == "NoSuchKey"


def test_a_bucket_that_does_not_exist_is_named(store):
    missing = f"kepu-missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(Unavailable, match="bucket_missing") as error:
        store.put_stream(missing, "k", io.BytesIO(b"x"), 1)
    assert error.value.status == 503 and error.value.payload["params"]["bucket"] == missing
    store.buckets["uploads"] = missing
    with pytest.raises(Unavailable, match="bucket_missing"):
        store.check()


# --- what a real server checks (SeaweedFS with an identity configured) ---------------------------
def test_a_wrong_secret_is_refused_with_a_clear_error(seaweedfs, storage_settings):
    wrong = Storage.from_config(dict(storage_settings, secret_key="not-the-secret"))
    with pytest.raises(Unavailable, match="storage_access_refused") as error:
        wrong.check()
    assert error.value.details["s3_code"] in ("SignatureDoesNotMatch", "AccessDenied")  # HEAD answers have no body
    with pytest.raises(Unavailable, match="storage_access_refused"):
        wrong.put_stream(wrong.bucket("uploads"), "k", io.BytesIO(b"x"), 1)
    unknown = Storage.from_config(dict(storage_settings, access_key="nobody"))
    with pytest.raises(Unavailable, match="storage_access_refused"):
        unknown.stat(unknown.bucket("uploads"), "k")
    assert list(seaweedfs.client.list_objects(seaweedfs.bucket("uploads"))) == []  # nothing was written


def test_anonymous_and_tampered_requests_are_refused(seaweedfs, s3_endpoint):
    bucket = seaweedfs.bucket("uploads")
    seaweedfs.put_stream(bucket, "private", io.BytesIO(b"secret"), 6)
    assert requests.get(f"{s3_endpoint}/{bucket}/private", timeout=10).status_code == 403
    assert requests.put(f"{s3_endpoint}/{bucket}/anonymous", data=b"x", timeout=10).status_code == 403
    assert requests.get(f"{s3_endpoint}/{bucket}", timeout=10).status_code == 403  # no anonymous listing
    url = urlsplit(seaweedfs.presigned_get(bucket, "private"))
    tampered = urlunsplit(url._replace(path=url.path.replace("private", "privatf")))
    assert requests.get(tampered, timeout=10).status_code == 403
    put_url = seaweedfs.presigned_put(bucket, "signed-for-this-key")
    assert requests.put(put_url.replace("signed-for-this-key", "another-key"), data=b"x", timeout=10).status_code == 403
    assert [o.object_name for o in seaweedfs.client.list_objects(bucket)] == ["private"]


def test_a_store_that_is_down_is_named(storage_settings):
    closed = Storage.from_config(dict(storage_settings, endpoint=f"http://127.0.0.1:{devstack.free_port()}"))
    for attempt in (closed.check, lambda: closed.stat(closed.bucket("uploads"), "k"),
                    lambda: closed.put_in_parts(closed.bucket("uploads"), "k", io.BytesIO(bytes(10)).read, 10)):
        with pytest.raises(Unavailable, match="storage_unreachable") as error:
            attempt()
        assert error.value.status == 503


def test_seaweedfs_that_exits_at_start_is_started_again_on_other_ports(monkeypatch, capsys):
    """weed takes six inner ports chosen free just before; on a busy machine another process can take one
    first and weed exits at once (a CI run's `make run` did): it starts again, on new ones."""
    if not devstack.weed_binary().exists():
        pytest.skip("SeaweedFS is not installed here (make install)")
    real, made = devstack.seaweedfs_command, []

    def first_exits(port, data_dir, config_path, ports=None):
        made.append(port)
        if len(made) == 1:
            return [sys.executable, "-c", "raise SystemExit(255)"]
        return real(port, data_dir, config_path, ports)

    monkeypatch.setattr(devstack, "seaweedfs_command", first_exits)
    process = devstack.start_s3(devstack.free_port())
    try:
        assert len(made) == 2 and process.poll() is None
        assert "SeaweedFS exited with 255 before it served S3; starting it again" in capsys.readouterr().err
    finally:
        devstack.stop_s3(process)
    monkeypatch.setattr(devstack, "seaweedfs_command", lambda *args, **kwargs: [sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(devstack.MissingInfrastructure, match="exited with 3"):
        devstack.start_s3(devstack.free_port())
