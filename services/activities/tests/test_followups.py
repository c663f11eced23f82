"""Follow-up materials and nominations against the running service: the checklist, drafts, the 10-day
summary deadline, and quotas that concurrent nominations never exceed."""
import uuid
from datetime import datetime, timedelta, timezone

import eventlet
import pytest

from kepu_common.interfaces.errors import Forbidden, RuleBroken, problem_of_remote
from kepu_common.bus.rpc_client import RemoteError, RpcClient
from services.activities.tests.conftest import (
    ADMIN_A, ADMIN_B, PLATFORM_ADMIN, TIANHE_ADMIN, TIANHE_CAST, call, decide, form, open_campaign, outbox, sql,
)


def attached(content_type="image/jpeg", seconds=None, **extra):
    upload_id = str(uuid.uuid4())
    return {"upload_id": upload_id, "bucket": "t-resources", "key": f"uploads/{upload_id}", "content_type": content_type,
            "size": 4096, "sha256": "0" * 64, "duration_seconds": seconds, "width": 800, "height": 600, **extra}


def materials(**changes):
    body = {"media_links": ["https://news.example.cn/tianhe-open-day"],
            "photos": [attached(evidence=n == 0, caption=f"现场{n}") for n in range(3)],
            "videos": [attached("video/mp4", 95.0)], "participants": 120,
            "summary": {"basic_facts": "9月16日举办，参与120人。", "results": "学生完成雨量筒制作。",
                        "highlights": "预报员现场讲解。", "reusable_resources": "课程包一套。",
                        "lessons": "提前预约效果好。"}, "submit": True}
    body.update(changes)
    return body


def approved(container, amqp_uri, campaign, ended_days_ago=None, **changes):
    activity = call(container, "submit", ADMIN_A, form(campaign, **changes))
    decide(container, amqp_uri, activity["id"], "provincial")
    decide(container, amqp_uri, activity["id"], "national")
    if ended_days_ago is not None:
        move_to_past(container, activity["id"], ended_days_ago)
    return activity


def move_to_past(container, activity_id, days_ago):
    """The activity took place days_ago (the clock cannot be turned, the dates can)."""
    end = datetime.now(timezone.utc) - timedelta(days=days_ago)
    sql(container, "UPDATE activity_versions SET data = data || jsonb_build_object('start_at', %s::text, 'end_at', "
                   "%s::text) WHERE activity_id = %s",
        ((end - timedelta(hours=3)).isoformat(), end.isoformat(), activity_id))


@pytest.fixture
def campaign(activities):
    return open_campaign(activities, quotas={"county_cast": 1})


def test_follow_up_only_for_an_approved_activity_that_has_ended(activities, amqp_uri, campaign):
    pending = call(activities, "submit", ADMIN_A, form(campaign))
    with pytest.raises(RuleBroken) as refused:
        call(activities, "save_followup", ADMIN_A, pending["id"], materials())
    assert refused.value.fields == {"activity_id": {"code": "activity_not_approved", "params": {}}}
    upcoming = approved(activities, amqp_uri, campaign)
    with pytest.raises(RuleBroken) as refused:
        call(activities, "save_followup", ADMIN_A, upcoming["id"], materials())
    assert refused.value.fields["activity_id"]["code"] == "activity_not_ended"
    assert sql(activities, "SELECT count(*) FROM followups") == [(0,)]


def test_a_draft_is_saved_with_its_checklist_and_completed_later(activities, amqp_uri, campaign):
    activity = approved(activities, amqp_uri, campaign, ended_days_ago=2)
    draft = call(activities, "save_followup", ADMIN_A, activity["id"],
                 materials(photos=[attached()], summary={}, submit=False))
    assert draft["status"] == "draft" and not draft["complete"]
    failing = {item["rule"]: item["message"] for item in draft["checklist"] if not item["ok"]}
    assert set(failing) == {"photo_count", "participants_evidence", "summary.basic_facts", "summary.results",
                            "summary.highlights", "summary.reusable_resources", "summary.lessons"}
    assert failing["photo_count"] == "请上传 3–10 张照片（当前 1 张）。"
    assert call(activities, "get_followup", ADMIN_A, activity["id"])["status"] == "draft"
    done = call(activities, "save_followup", ADMIN_A, activity["id"], materials())
    assert done["status"] == "submitted" and done["complete"]
    assert outbox(activities, "activity_followup_submitted")[-1]["activity_id"] == activity["id"]


@pytest.mark.parametrize("changes, field, code", [
    ({"media_links": []}, "media_links", "followup_media_links_too_few"),
    ({"photos": [attached(evidence=True)] * 2}, "photos", "followup_photo_count"),
    ({"photos": [attached(evidence=True)] * 11}, "photos", "followup_photo_count"),
    ({"videos": [attached("video/mp4", 181.0)]}, "videos.0", "followup_video_too_long"),
    ({"participants": 49}, "participants", "followup_participants_too_few"),
])
def test_each_broken_follow_up_rule_alone_refuses_the_submission(activities, amqp_uri, campaign, changes, field,
                                                                  code):
    activity = approved(activities, amqp_uri, campaign, ended_days_ago=1)
    with pytest.raises(RuleBroken) as refused:
        call(activities, "save_followup", ADMIN_A, activity["id"], materials(**changes))
    assert {name: value["code"] for name, value in refused.value.fields.items()} == {field: code}
    assert sql(activities, "SELECT count(*) FROM followups") == [(0,)]


def test_a_summary_on_day_11_is_too_late(activities, amqp_uri, campaign):
    activity = approved(activities, amqp_uri, campaign, ended_days_ago=11)
    with pytest.raises(RuleBroken) as refused:
        call(activities, "save_followup", ADMIN_A, activity["id"], materials())
    assert refused.value.fields["summary"]["code"] == "followup_summary_too_late"


def test_follow_up_of_another_organizations_activity_is_refused(activities, amqp_uri, campaign):
    activity = approved(activities, amqp_uri, campaign, ended_days_ago=1)
    with pytest.raises(Forbidden):
        call(activities, "save_followup", ADMIN_B, activity["id"], materials())


def test_nomination_needs_complete_follow_up_and_stays_within_the_quota_under_concurrency(
        activities, amqp_uri, campaign):
    first = approved(activities, amqp_uri, campaign, ended_days_ago=1)
    second = approved(activities, amqp_uri, campaign, ended_days_ago=1)
    with pytest.raises(RuleBroken) as refused:
        call(activities, "nominate", PLATFORM_ADMIN, first["id"])
    assert refused.value.fields["activity_id"]["code"] == "followup_not_submitted"
    for activity in (first, second):
        call(activities, "save_followup", ADMIN_A, activity["id"], materials())
    with pytest.raises(Forbidden):
        call(activities, "nominate", ADMIN_B, first["id"])  # neither platform admin nor the supervising unit

    def nominate(activity_id, user_id):
        # each over its own RPC connection, as two gateway requests would (entrypoint hooks share a result)
        client = RpcClient(amqp_uri, timeout=20)
        try:
            return client.call("activities", "nominate", user_id, activity_id)
        except RemoteError as refused:
            return refused
        finally:
            client.close()

    pool = eventlet.GreenPool()
    outcomes = list(pool.imap(nominate, (first["id"], second["id"]), (PLATFORM_ADMIN, TIANHE_ADMIN)))
    granted = [o for o in outcomes if isinstance(o, dict)]
    refused = [problem_of_remote(o.exc_type, o.exc_args, o.service) for o in outcomes if isinstance(o, RemoteError)]
    assert len(granted) == 1 and len(refused) == 1
    assert (refused[0].status, refused[0].fields["activity_id"]["code"]) == (422, "nomination_quota_full")
    assert refused[0].details == {"channel": "county_cast", "quota": 1, "supervising_org_id": TIANHE_CAST}
    assert (granted[0]["channel"], granted[0]["quota"], granted[0]["used"]) == ("county_cast", 1, 1)
    # the category's quota is each supervising unit's default: one counter per unit
    assert sql(activities, "SELECT org_id::text, used, quota FROM unit_quotas") == [(TIANHE_CAST, 1, None)]
    audit = sql(activities, "SELECT activity_id::text, nominated_by::text FROM nominations")
    assert audit == [(granted[0]["activity_id"], granted[0]["nominated_by"])]
    assert outbox(activities, "activity_nominated")[-1]["channel"] == "county_cast"
