"""The poster pre-check through the service: an activity submitted with its poster in storage is checked by the
job that takes activity_submitted (off the request path), and its checklist read over RPC by whoever may see
the activity's evidence. A poster the OCR cannot read leaves a checklist saying so, and the review goes on."""
import hashlib
import io
import time
import uuid
from datetime import datetime

import pytest

from kepu_common.interfaces.errors import Forbidden
from kepu_common.data.storage import Storage
from services.activities.rules import SHANGHAI
from services.activities.tests.conftest import ADMIN_A, ADMIN_B, call, form, sql
from services.activities.tests.posters import poster


def stored_poster(container, body):
    storage = Storage.from_config(container.config["STORAGE"])
    upload_id = str(uuid.uuid4())
    key = f"uploads/{upload_id}/poster.jpg"
    storage.client.put_object(storage.bucket("resources"), key, io.BytesIO(body), len(body), content_type="image/jpeg")
    return {"upload_id": upload_id, "bucket": "resources", "key": key, "content_type": "image/jpeg",
            "size": len(body), "sha256": hashlib.sha256(body).hexdigest(), "duration_seconds": None, "width": 1080, "height": 1920}


def poster_for(data, mark=True):
    start = datetime.fromisoformat(data["start_at"]).astimezone(SHANGHAI)
    return poster(([("2026全国科普日", 96)] if mark else [("气象嘉年华", 96)]) + [
        (data["name"], 56), (f"时间：{start.year}年{start.month}月{start.day}日{start:%H:%M}", 48),
        ("主办单位：" + data["hosts"][0]["name"], 44)])


def checked(container, user_id, activity_id, seconds=240):
    """The checklist once the job has made it (it reads posters one at a time, a few seconds each)."""
    deadline = time.monotonic() + seconds
    while True:
        found = call(container, "poster_check", user_id, activity_id)
        if found["state"] != "pending" or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def statuses(found):
    return {item["key"]: item["status"] for item in found["items"]}


def test_a_poster_without_the_mark_is_checked_by_the_job_and_shown_to_its_owner(activities, campaign):
    data = form(campaign)
    data["poster"] = stored_poster(activities, poster_for(data, mark=False))
    activity = call(activities, "submit", ADMIN_A, data)
    assert call(activities, "poster_check", ADMIN_A, activity["id"])["state"] in ("pending", "read")

    found = checked(activities, ADMIN_A, activity["id"])
    assert found["state"] == "read" and found["revision"] == 1, found["reason"]
    assert statuses(found) == {"mark": "not_found", "name": "found", "date": "found", "time": "found",
                               "host": "found"}
    mark = found["items"][0]
    assert (mark["label"], mark["status_label"]) == ("全国科普日文字", "未找到")
    assert found["state_label"] == "已识别" and found["checked_at"]

    # an edit keeping the poster is checked again against the new form, without reading the poster again
    edited = dict(data, name="走进天河：气象科普开放周")
    call(activities, "edit", ADMIN_A, activity["id"], edited)
    again = checked(activities, ADMIN_A, activity["id"])
    assert again["revision"] == 2 and statuses(again)["name"] == "partial"
    assert sql(activities, "SELECT count(*) FROM poster_texts WHERE poster_key = %s",
               (data["poster"]["sha256"],)) == [(1,)]
    # the first version's checklist stays as it was
    first = call(activities, "poster_check", ADMIN_A, activity["id"], {"revision": 1})
    assert statuses(first)["name"] == "found"


def test_a_poster_the_ocr_cannot_read_says_so_and_the_review_goes_on(activities, campaign):
    data = form(campaign)
    data["poster"] = stored_poster(activities, poster_for(data)[:3000])  # a JPEG cut short
    activity = call(activities, "submit", ADMIN_A, data)
    found = checked(activities, ADMIN_A, activity["id"])
    assert (found["state"], found["reason"], found["items"]) == ("unreadable", "image_unreadable", [])
    assert found["reason_label"] == "图片损坏或格式无法解码"
    assert sql(activities, "SELECT review_status FROM activities WHERE id = %s", (activity["id"],)) == \
        [("pending_provincial",)]


def test_a_missing_poster_file_is_unreadable_and_others_may_not_look(activities, campaign):
    activity = call(activities, "submit", ADMIN_A, form(campaign))  # its poster names a key nobody stored
    found = checked(activities, ADMIN_A, activity["id"])
    assert (found["state"], found["reason"]) == ("unreadable", "poster_missing")
    with pytest.raises(Forbidden) as refused:
        call(activities, "poster_check", ADMIN_B, activity["id"])
    assert "poster_check_not_allowed" in str(refused.value)


def test_the_same_picture_uploaded_again_is_not_read_again(activities, campaign):
    data = form(campaign)
    data["poster"] = stored_poster(activities, poster_for(data, mark=False))
    first = call(activities, "submit", ADMIN_A, data)
    assert checked(activities, ADMIN_A, first["id"])["state"] == "read"

    # a second upload of the same content (its own upload and key): its text comes from the first reading,
    # so even a file that storage no longer has is not read again
    again = dict(form(campaign), poster=dict(data["poster"], upload_id=str(uuid.uuid4()),
                                             key=f"uploads/{uuid.uuid4()}/gone.jpg"))
    second = call(activities, "submit", ADMIN_A, again)
    found = checked(activities, ADMIN_A, second["id"])
    assert found["state"] == "read" and statuses(found)["mark"] == "not_found"
    assert sql(activities, "SELECT count(*) FROM poster_texts WHERE poster_key = %s",
               (data["poster"]["sha256"],)) == [(1,)]
