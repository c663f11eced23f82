"""Files for activities: posters, follow-up photos and videos uploaded like any other, a video's duration
read from the file at completion, then taken up by another service with attach_uploads."""
from datetime import timedelta

import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.errors import Forbidden, InvalidInput, TooLarge
from services.resources.media import UnreadableVideo
from services.resources.tests.conftest import (
    ADMIN_A, ADMIN_B, MB, MP4_HEAD, ORG_A, ORG_B, call, objects, png_bytes, sql, streamed, uploaded, video_bytes,
)

VIDEO = dict(purpose="followup_video", content_type="video/mp4", filename="活动现场.mp4")
PHOTO = dict(purpose="followup_photo", content_type="image/png", filename="现场照片.png")
POSTER = dict(purpose="activity_poster", content_type="image/png", filename="海报.png")


def test_a_followup_video_gets_its_duration_from_the_file_not_the_declaration(resources, storage):
    data = video_bytes(seconds=2, size=(96, 64))
    done = uploaded(resources, data, **VIDEO)
    assert done["status"] == "complete" and done["duration_seconds"] == pytest.approx(2.0, abs=0.11)
    assert (done["width"], done["height"]) == (96, 64)
    again = streamed(resources, storage, video_bytes(seconds=3), **VIDEO)  # streamed through the gateway
    assert again["duration_seconds"] == pytest.approx(3.0, abs=0.11)


def test_a_video_whose_duration_cannot_be_read_is_refused_and_removed(resources, storage):
    data = MP4_HEAD + bytes(64 * 1024)  # an MP4's first bytes, and nothing a demuxer can read
    with pytest.raises(UnreadableVideo) as error:
        uploaded(resources, data, **VIDEO)
    assert (error.value.status, error.value.code) == (400, "video_unreadable")
    assert sql(resources, "SELECT status FROM uploads") == [("rejected",)]
    assert objects(storage) == []


def test_activity_images_keep_their_size_and_limits(resources):
    poster = uploaded(resources, png_bytes(600, 900), **POSTER)
    assert (poster["width"], poster["height"], poster["duration_seconds"]) == (600, 900, None)
    with pytest.raises(TooLarge):
        call(resources, "start_upload", ADMIN_A, {"purpose": "activity_poster", "filename": "p.png", "size": 11 * MB,
                                                  "content_type": "image/png", "sha256": "0" * 64})
    with pytest.raises(InvalidInput):
        call(resources, "start_upload", ADMIN_A, {"purpose": "followup_photo", "filename": "p.mp4", "size": MB,
                                                  "content_type": "video/mp4", "sha256": "0" * 64})


def test_attached_uploads_come_back_described_and_outlive_the_cleanup(resources, storage):
    video = uploaded(resources, video_bytes(seconds=2), **VIDEO)
    attached, = call(resources, "attach_uploads", ADMIN_A, ORG_A, [video["id"]], "followup_video")
    assert attached == {
        "upload_id": video["id"], "bucket": "resources", "key": attached["key"], "content_type": "video/mp4",
        "size": video["size"], "sha256": video["sha256"], "duration_seconds": pytest.approx(2.0, abs=0.11),
        "width": 64, "height": 48, "filename": "活动现场.mp4",
        "thumbnail_key": f"thumbnails/{video['id']}.jpg"}  # its poster frame
    assert attached["key"] in objects(storage)
    # asked again (a redelivered request): the same answer, nothing changes
    assert call(resources, "attach_uploads", ADMIN_A, ORG_A, [video["id"]], "followup_video") == [attached]
    unused = uploaded(resources, video_bytes(seconds=1), **VIDEO)
    sql(resources, "UPDATE uploads SET completed_at = now() - %s", (timedelta(days=30),))
    call(resources, "expire_uploads")
    assert dict(sql(resources, "SELECT id::text, status FROM uploads")) == {video["id"]: "complete",
                                                                            unused["id"]: "expired"}
    assert attached["key"] in objects(storage)


def test_photos_come_back_in_the_order_asked(resources):
    first, second = (uploaded(resources, png_bytes(40 + n, 30), **PHOTO) for n in range(2))
    found = call(resources, "attach_uploads", ADMIN_A, ORG_A, [second["id"], first["id"]], "followup_photo")
    assert [(f["upload_id"], f["width"], f["thumbnail_key"] is not None) for f in found] == [
        (second["id"], 41, True), (first["id"], 40, True)]


def test_each_upload_that_cannot_be_attached_is_named_and_none_is_taken(resources):
    photo = uploaded(resources, png_bytes(40, 30), **PHOTO)
    poster = uploaded(resources, png_bytes(40, 30), **POSTER)
    theirs = uploaded(resources, png_bytes(40, 30), user=ADMIN_B, **PHOTO)
    pending = call(resources, "start_upload", ADMIN_A, {"purpose": "followup_photo", "filename": "p.png",
                                                        "size": 100, "content_type": "image/png", "sha256": "0" * 64})
    unknown = "00000000-0000-4000-8000-000000000000"
    asked = [photo["id"], unknown, poster["id"], theirs["id"], pending["id"], "not-a-uuid"]
    with pytest.raises(InvalidInput) as error:
        call(resources, "attach_uploads", ADMIN_A, ORG_A, asked, "followup_photo")
    assert {name: value["code"] for name, value in error.value.fields.items()} == {
        "upload_ids.1": "upload_unknown", "upload_ids.2": "upload_of_another_purpose",
        "upload_ids.3": "upload_of_another_org", "upload_ids.4": "upload_not_complete",
        "upload_ids.5": "upload_unknown"}
    assert error.value.fields["upload_ids.3"]["params"] == {"upload_id": theirs["id"]}
    assert sql(resources, "SELECT count(*) FROM uploads WHERE used_at IS NOT NULL") == [(0,)]


def test_only_an_admin_of_the_organization_attaches_its_uploads(resources):
    photo = uploaded(resources, png_bytes(40, 30), **PHOTO)
    with pytest.raises(Forbidden):
        call(resources, "attach_uploads", ADMIN_B, ORG_A, [photo["id"]], "followup_photo")
    with pytest.raises(InvalidInput) as error:  # an admin of another organization asking for its own org
        call(resources, "attach_uploads", ADMIN_B, ORG_B, [photo["id"]], "followup_photo")
    assert error.value.fields["upload_ids.0"]["code"] == "upload_of_another_org"
    with pytest.raises(ValidationError) as error:  # resource files are not for activities
        call(resources, "attach_uploads", ADMIN_A, ORG_A, [photo["id"]], "image")
    assert error.value.messages == {"purpose": ["not_one_of"]}
