"""Follow-up evidence people look at (view URLs for the owner, the supervising unit, the route's reviewers and
platform admins; a stranger refused), the nominated list, withdrawal before the nomination deadline, and an
approved activity under edit that stays nominatable as approved (issue 22)."""
import io
import uuid
from datetime import date, timedelta
from urllib.request import urlopen

import pytest

from kepu_common.interfaces.contracts import make_event
from kepu_common.interfaces.errors import Conflict, Forbidden, RuleBroken
from kepu_common.data.storage import ObjectStorage  # noqa: F401  (the service's storage, used through its config)
from kepu_common.data.storage import Storage
from services.activities.tests.conftest import (
    ADMIN_A, ADMIN_B, PLATFORM_ADMIN, TIANHE_ADMIN, call, form, open_campaign, outbox, publish, sql,
)
from services.activities.tests.test_followups import approved, attached, materials

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 60
PROVINCIAL_GD, PROVINCIAL_BJ, NATIONAL, STRANGER = (str(uuid.uuid4()) for _ in range(4))


@pytest.fixture
def campaign(activities, amqp_uri):
    for user_id, scope in ((PROVINCIAL_GD, "provincial:440000"), (PROVINCIAL_BJ, "provincial:110000"),
                           (NATIONAL, "national")):
        publish(activities, amqp_uri, "on_role_granted",
                make_event("role_granted", "identity", user_id=user_id, role="reviewer", scope=scope, actor_id=None))
    return open_campaign(activities, quotas={"county_cast": 2})


def stored(container, body, content_type, thumbnail=False):
    """A file in the bucket the way an attached upload names it (and a photo's thumbnail)."""
    storage = Storage.from_config(container.config["STORAGE"])
    bucket = storage.bucket("resources")
    upload = attached(content_type)
    upload.update(bucket="resources", key=f"uploads/{upload['upload_id']}", size=len(body))
    storage.client.put_object(bucket, upload["key"], io.BytesIO(body), len(body), content_type=content_type)
    if thumbnail:
        upload["thumbnail_key"] = f"thumbnails/{upload['upload_id']}.jpg"
        storage.client.put_object(bucket, upload["thumbnail_key"], io.BytesIO(JPEG), len(JPEG),
                                  content_type="image/jpeg")
    return upload


def with_real_files(container):
    photos = [dict(stored(container, JPEG, "image/jpeg", thumbnail=True), evidence=n == 0, caption=f"现场{n}")
              for n in range(3)]
    video = stored(container, MP4, "video/mp4")
    video["duration_seconds"] = 95.0
    return materials(photos=photos, videos=[video])


def test_evidence_is_viewed_through_short_lived_urls_by_everyone_who_judges_it(activities, amqp_uri, campaign):
    activity = approved(activities, amqp_uri, campaign, ended_days_ago=1)
    call(activities, "save_followup", ADMIN_A, activity["id"], with_real_files(activities))
    for user_id, viewer in ((ADMIN_A, "owner"), (TIANHE_ADMIN, "supervising_unit"), (PROVINCIAL_GD, "reviewer"),
                            (NATIONAL, "reviewer"), (PLATFORM_ADMIN, "platform_admin")):
        seen = call(activities, "get_followup", user_id, activity["id"])
        assert seen["viewer"] == viewer
        photo, video = seen["photos"][0], seen["videos"][0]
        assert "key" not in photo and "bucket" not in photo and photo["url_expires_in"] == 600
        with urlopen(photo["url"]) as answer:
            assert answer.read() == JPEG
        with urlopen(photo["thumbnail_url"]) as answer:
            assert answer.read() == JPEG
        with urlopen(video["url"]) as answer:
            assert answer.read() == MP4
        assert video["thumbnail_url"] is None and video["duration_seconds"] == 95.0


@pytest.mark.parametrize("who", [ADMIN_B, PROVINCIAL_BJ, STRANGER])
def test_a_stranger_is_refused_the_evidence_with_its_own_code(activities, amqp_uri, campaign, who):
    activity = approved(activities, amqp_uri, campaign, ended_days_ago=1)
    call(activities, "save_followup", ADMIN_A, activity["id"], materials())
    with pytest.raises(Forbidden) as refused:
        call(activities, "get_followup", who, activity["id"])
    assert refused.value.message == "followup_view_not_allowed"
    assert refused.value.fields == {"activity_id": {"code": "followup_not_yours_to_view", "params": {}}}


def nominated_pair(container, amqp_uri, campaign):
    first = approved(container, amqp_uri, campaign, ended_days_ago=1)
    second = approved(container, amqp_uri, campaign, ended_days_ago=1)
    for activity in (first, second):
        call(container, "save_followup", ADMIN_A, activity["id"], materials())
    return first, second


def test_the_nominated_list_shows_who_nominated_and_when_per_unit(activities, amqp_uri, campaign):
    first, second = nominated_pair(activities, amqp_uri, campaign)
    call(activities, "nominate", TIANHE_ADMIN, first["id"])
    call(activities, "nominate", PLATFORM_ADMIN, second["id"])
    listed = call(activities, "nominations", TIANHE_ADMIN, {"campaign_id": campaign["id"]})
    assert [(i["activity_id"], i["nominated_by"]) for i in listed["items"]] == [
        (first["id"], TIANHE_ADMIN), (second["id"], PLATFORM_ADMIN)]
    item = listed["items"][0]
    assert item["name"] == "走进天河：气象科普开放日" and item["followup_submitted"] and item["nominated_at"]
    assert item["supervising_unit"]["name"] == "广州市天河区科学技术协会" and item["channel_label"] == "区县科协"
    assert listed["quotas"] == {"county_cast": 2} and listed["nominated"] == {"county_cast": 2}
    assert len(call(activities, "nominations", PLATFORM_ADMIN, {"campaign_id": campaign["id"]})["items"]) == 2
    for who in (ADMIN_B, STRANGER):  # an organization that supervises nothing here sees nothing of others
        with pytest.raises(Forbidden) as refused:
            call(activities, "nominations", who, {"campaign_id": campaign["id"],
                                                  "unit": first["supervising_unit"]["org_id"]})
        assert refused.value.fields["unit"]["code"] == "not_your_unit"


def test_a_nomination_is_withdrawn_before_the_deadline_and_its_quota_released(activities, amqp_uri, campaign):
    first, second = nominated_pair(activities, amqp_uri, campaign)
    call(activities, "nominate", TIANHE_ADMIN, first["id"])
    with pytest.raises(Forbidden) as refused:
        call(activities, "withdraw_nomination", ADMIN_A, first["id"], {"reason": "不是我推的"})
    assert refused.value.fields["activity_id"]["code"] == "not_your_nomination"
    with pytest.raises(Conflict) as refused:
        call(activities, "withdraw_nomination", TIANHE_ADMIN, second["id"])
    assert refused.value.fields["activity_id"]["code"] == "not_nominated"
    assert sql(activities, "SELECT coalesce(sum(used), 0)::int FROM unit_quotas") == [(1,)]
    call(activities, "withdraw_nomination", TIANHE_ADMIN, first["id"], {"reason": "改推另一项"})
    assert sql(activities, "SELECT coalesce(sum(used), 0)::int FROM unit_quotas") == [(0,)]
    assert sql(activities, "SELECT count(*) FROM nominations") == [(0,)]
    assert sql(activities, "SELECT action, actor_id::text, reason FROM nomination_log ORDER BY id") == [
        ("nominated", TIANHE_ADMIN, ""), ("withdrawn", TIANHE_ADMIN, "改推另一项")]
    assert outbox(activities, "activity_nomination_withdrawn")[-1]["reason"] == "改推另一项"
    assert call(activities, "get_activity", first["id"], ADMIN_A)["nominated"] is False


def test_after_the_nomination_deadline_nothing_is_nominated_or_withdrawn(activities, amqp_uri):
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    campaign = open_campaign(activities, quotas={"county_cast": 2}, nomination_deadline=yesterday)
    first, second = nominated_pair(activities, amqp_uri, campaign)
    with pytest.raises(RuleBroken) as refused:
        call(activities, "nominate", TIANHE_ADMIN, first["id"])
    assert refused.value.fields["activity_id"] == {"code": "nomination_deadline_passed",
                                                   "params": {"deadline": yesterday}}
    assert sql(activities, "SELECT count(*) FROM nominations") == [(0,)]
    assert sql(activities, "SELECT coalesce(sum(used), 0)::int FROM unit_quotas") == [(0,)]
    # one nominated before the deadline (stored as it was) cannot be withdrawn after it
    sql(activities, "UPDATE campaigns SET nomination_deadline = NULL")
    call(activities, "nominate", TIANHE_ADMIN, second["id"])
    sql(activities, "UPDATE campaigns SET nomination_deadline = %s", (yesterday,))
    with pytest.raises(RuleBroken) as refused:
        call(activities, "withdraw_nomination", TIANHE_ADMIN, second["id"])
    assert refused.value.fields["activity_id"]["code"] == "nomination_deadline_passed"
    assert sql(activities, "SELECT count(*) FROM nominations") == [(1,)]


def test_a_nominated_activity_stays_what_was_nominated(activities, amqp_uri, campaign):
    first, _ = nominated_pair(activities, amqp_uri, campaign)
    call(activities, "nominate", TIANHE_ADMIN, first["id"])
    with pytest.raises(RuleBroken) as refused:
        call(activities, "edit", ADMIN_A, first["id"], form(campaign, name="换成另一个活动"))
    assert refused.value.fields == {"activity_id": {"code": "activity_nominated", "params": {}}}
    assert sql(activities, "SELECT max(revision) FROM activity_versions WHERE activity_id = %s", (first["id"],)) == [
        (1,)]


def test_an_activity_that_has_ended_is_not_rewritten(activities, amqp_uri, campaign):
    activity = approved(activities, amqp_uri, campaign, ended_days_ago=1)
    with pytest.raises(RuleBroken) as refused:
        call(activities, "edit", ADMIN_A, activity["id"], form(campaign, name="事后改名"))
    assert refused.value.fields["end_at"]["code"] == "activity_ended"


def test_an_approved_activity_under_edit_is_followed_up_and_nominated_as_approved(activities, amqp_uri, campaign):
    activity = approved(activities, amqp_uri, campaign)
    call(activities, "edit", ADMIN_A, activity["id"], form(campaign, name="走进天河：气象科普开放日（改）"))
    # the approved version ends while its edit waits for review
    from services.activities.tests.test_followups import move_to_past

    move_to_past(activities, activity["id"], 1)
    followup = call(activities, "save_followup", ADMIN_A, activity["id"], materials())
    assert followup["complete"]
    nomination = call(activities, "nominate", TIANHE_ADMIN, activity["id"])
    assert nomination["channel"] == "county_cast"
    announced = outbox(activities, "activity_nominated")[-1]
    assert (announced["review_status"], announced["revision"], announced["current_review_status"]) == (
        "approved", 1, "pending_provincial")
    listed = call(activities, "nominations", TIANHE_ADMIN, {"campaign_id": campaign["id"]})["items"]
    assert [item["name"] for item in listed] == ["走进天河：气象科普开放日"]  # as approved
