"""Uploads against the real S3 endpoint: both ways, every rejection leaving nothing behind."""
import io
from datetime import timedelta

import pytest
import requests
from PIL import Image

from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, TooLarge
from services.resources.tests.conftest import (
    ADMIN_A, ADMIN_B, MB, NOBODY, call, video_of_size, objects, png_bytes, send_parts, sha256, sql, streamed,
    upload_form, uploaded,
)
from services.resources.thumbnails import UnreadableImage
from services.resources.uploads import Incomplete, part_plan


def test_part_plan_keeps_parts_whole_megabytes_and_under_the_s3_limit():
    assert part_plan(687 * MB, 16 * MB) == (16 * MB, 43)
    assert part_plan(1, 16 * MB) == (16 * MB, 1)
    size, count = part_plan(200 * 1024 * MB, 16 * MB)
    assert count <= 10_000 and size % MB == 0 and size * count >= 200 * 1024 * MB


def test_a_multipart_upload_goes_straight_to_storage_and_is_checked(resources, storage):
    data = video_of_size(11 * MB)
    upload = call(resources, "start_upload", ADMIN_A, upload_form(data))
    assert [p["size"] for p in upload["parts"]] == [5 * MB, 5 * MB, MB]
    assert upload["status"] == "pending" and upload["method"] == "multipart"
    send_parts(upload, data)
    done = call(resources, "complete_upload", ADMIN_A, upload["id"])
    assert (done["status"], done["content_type"], done["size"]) == ("complete", "video/mp4", 11 * MB)
    assert done["duration_seconds"] == pytest.approx(2.0, abs=0.11)  # read from the file, as is its poster
    stored, = objects(storage, "files/")
    assert storage.stat(storage.bucket("resources"), stored).size == 11 * MB
    assert objects(storage, "thumbnails/") == [f"thumbnails/{upload['id']}.jpg"]
    # asking again changes nothing
    assert call(resources, "complete_upload", ADMIN_A, upload["id"])["completed_at"] == done["completed_at"]


def test_completing_before_every_part_arrived_loses_nothing(resources):
    data = video_of_size(11 * MB)
    upload = call(resources, "start_upload", ADMIN_A, upload_form(data))
    send_parts(upload, data, only={1})
    with pytest.raises(Incomplete) as error:
        call(resources, "complete_upload", ADMIN_A, upload["id"])
    assert (error.value.status, error.value.code) == (409, "upload_incomplete")
    assert error.value.fields == {"parts": {"code": "parts_missing", "params": {"missing": "2, 3"}}}
    send_parts(upload, data, only={2, 3})
    assert call(resources, "complete_upload", ADMIN_A, upload["id"])["status"] == "complete"


def rejected(resources, storage, data, expected_fields, **form):
    upload = call(resources, "start_upload", ADMIN_A, upload_form(data, **form))
    send_parts(upload, data)
    with pytest.raises(InvalidInput) as error:
        call(resources, "complete_upload", ADMIN_A, upload["id"])
    assert set(error.value.fields) == expected_fields
    status, reason = sql(resources, "SELECT status, error FROM uploads WHERE id = %s", (upload["id"],))[0]
    assert status == "rejected" and reason.startswith(error.value.message)
    assert objects(storage) == []  # the assembled object is gone
    with pytest.raises(Conflict):  # and the upload cannot be completed after all
        call(resources, "complete_upload", ADMIN_A, upload["id"])
    return error.value


def test_a_checksum_mismatch_is_rejected_and_removed(resources, storage):
    data = video_of_size(6 * MB)
    rejected(resources, storage, data, {"sha256"}, sha256=sha256(b"something else"))


def test_an_executable_renamed_mp4_is_rejected_and_removed(resources, storage):
    data = b"MZ\x90\x00" + bytes(6 * MB)
    error = rejected(resources, storage, data, {"file"}, filename="video.mp4")
    assert error.fields["file"]["code"] == "executable_file"


def test_bytes_that_are_not_the_declared_type_are_rejected(resources, storage):
    webm = b"\x1a\x45\xdf\xa3" + bytes(MB)
    error = rejected(resources, storage, webm, {"content_type"})
    assert error.details == {"declared": "video/mp4", "found": "video/webm"}


def test_a_size_mismatch_is_rejected(resources, storage):
    data = video_of_size(6 * MB)
    upload = call(resources, "start_upload", ADMIN_A, upload_form(data, size=7 * MB))
    send_parts(upload, data + b"")  # the last planned part arrives short
    with pytest.raises(InvalidInput) as error:
        call(resources, "complete_upload", ADMIN_A, upload["id"])
    assert "size" in error.value.fields
    assert objects(storage) == []


def test_a_file_over_the_limit_is_refused_before_anything_is_stored(resources, storage):
    with pytest.raises(TooLarge):
        call(resources, "start_upload", ADMIN_A, upload_form(b"x", purpose="image", content_type="image/png",
                                                             size=3 * MB))
    assert sql(resources, "SELECT count(*) FROM uploads") == [(0,)]
    assert storage.client._list_multipart_uploads(storage.bucket("resources")).uploads == []


def test_only_organization_accounts_upload_and_only_their_own(resources):
    data = video_of_size(MB)
    with pytest.raises(Forbidden) as error:
        call(resources, "start_upload", NOBODY, upload_form(data))
    assert error.value.details == {"required_roles": ["org_admin"]}
    upload = call(resources, "start_upload", ADMIN_A, upload_form(data))
    send_parts(upload, data)
    with pytest.raises(Forbidden):
        call(resources, "complete_upload", ADMIN_B, upload["id"])
    assert sql(resources, "SELECT status FROM uploads") == [("pending",)]


def test_images_get_a_thumbnail(resources, storage):
    data = png_bytes(1200, 800)
    done = uploaded(resources, data, purpose="image", content_type="image/png", filename="海报.png")
    assert done["thumbnail_url"] and (done["width"], done["height"]) == (1200, 800)
    thumbnail = Image.open(io.BytesIO(requests.get(done["thumbnail_url"], timeout=10).content))
    assert thumbnail.format == "JPEG" and thumbnail.size == (480, 320)


def test_a_damaged_image_is_rejected(resources, storage):
    data = b"\x89PNG\r\n\x1a\n" + bytes(2000)
    upload = call(resources, "start_upload", ADMIN_A, upload_form(data, purpose="image", content_type="image/png"))
    send_parts(upload, data)
    with pytest.raises(UnreadableImage) as error:
        call(resources, "complete_upload", ADMIN_A, upload["id"])
    assert (error.value.status, error.value.code) == (400, "image_unreadable")
    assert objects(storage) == []


def test_a_streamed_upload_is_checked_the_same_way(resources, storage):
    data = video_of_size(3 * MB)
    done = streamed(resources, storage, data)
    assert done["status"] == "complete" and done["method"] == "stream"
    with pytest.raises(InvalidInput) as error:
        streamed(resources, storage, data, sha256=sha256(b"other"))
    assert set(error.value.fields) == {"sha256"}
    assert len(objects(storage, "files/")) == 1  # only the first, accepted file (and its poster)


def test_abandoned_uploads_expire_with_their_parts(resources, storage):
    data = video_of_size(11 * MB)
    upload = call(resources, "start_upload", ADMIN_A, upload_form(data))
    send_parts(upload, data, only={1, 2})
    done = uploaded(resources, video_of_size(MB))
    sql(resources, "UPDATE uploads SET expires_at = now() - interval '1 minute' WHERE id = %s", (upload["id"],))
    sql(resources, "UPDATE uploads SET completed_at = now() - %s WHERE id = %s", (timedelta(days=8), done["id"]))
    call(resources, "expire_uploads")
    assert sorted(sql(resources, "SELECT status FROM uploads")) == [("expired",), ("expired",)]
    assert objects(storage) == []
    assert storage.client._list_multipart_uploads(storage.bucket("resources")).uploads == []


def test_two_racing_streams_leave_one_checked_file(resources, storage):
    data = video_of_size(MB)
    upload = call(resources, "start_upload", ADMIN_A, upload_form(data, method="stream"))
    first, second = (call(resources, "stream_target", ADMIN_A, upload["id"]) for _ in range(2))
    assert first["key"] != second["key"]
    for target in (first, second):
        storage.put_stream(target["bucket"], target["key"], io.BytesIO(data), len(data))
    received = {"size": len(data), "sha256": sha256(data)}
    done = call(resources, "complete_upload", ADMIN_A, upload["id"], {"received": dict(received, object_key=first["key"])})
    again = call(resources, "complete_upload", ADMIN_A, upload["id"], {"received": dict(received, object_key=second["key"])})
    assert again["completed_at"] == done["completed_at"]
    assert objects(storage, "files/") == [first["key"]]
    with pytest.raises(InvalidInput):  # another upload's object is never touched
        call(resources, "complete_upload", ADMIN_A, upload["id"],
             {"received": dict(received, object_key="files/elsewhere/x")})


def test_a_docx_that_is_not_a_word_file_is_rejected_and_removed(resources, storage):
    from services.resources.formats import DOCX
    from services.resources.tests.conftest import docx_bytes
    workbook = docx_bytes(without=("word/document.xml",), extra=[("xl/workbook.xml", b"<workbook/>")])
    error = rejected(resources, storage, workbook, {"file"}, purpose="article", content_type=DOCX,
                     filename="雾霾的成因.docx")
    assert error.fields["file"]["code"] == "docx_not_word"
    macros = docx_bytes(extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(100))])
    error = rejected(resources, storage, macros, {"file"}, purpose="article", content_type=DOCX, filename="宏.docx")
    assert error.fields["file"]["code"] == "docx_has_macros"


def test_a_pdf_that_does_not_parse_is_rejected_and_removed(resources, storage):
    broken = b"%PDF-1.7\n" + b"not a pdf at all " * 1000
    error = rejected(resources, storage, broken, {"file"}, purpose="wallchart", content_type="application/pdf",
                     filename="挂图.pdf")
    assert error.fields["file"]["code"] == "pdf_unreadable"
