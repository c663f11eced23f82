"""Notifications through the gateway, every service its own process (issue 24): a communicator is rejected,
reads the reason in her inbox and gets one SMS, resubmits and is approved; an organizer's activity is rejected
provincially (during an SMS provider outage: the SMS is delayed, not lost), then approved at both stages, and
its follow-up deadline approaches; events redelivered by hand give no duplicates.

The platform is this module's own: its SMS goes to a file (the `file` sender, with an OUTAGE switch) and its
quiet hours are off, so the journey does not depend on the hour it runs (quiet hours are tested with a fixed
clock in services/identity/tests)."""
import json
import time
from datetime import date, timedelta

import pytest

from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API, publish_events
from services.identity.cli import create_admin
from services.resources.tests.conftest import png_bytes
from tests.test_activities_journey import (
    GUANGDONG, activity_form, ended, organization, put, reviewer, status_of, uploaded,
)
from tests.test_identity_journey import PASSWORD, eventually, get, post, review_decides, sign_up
from tests.test_resources_journey import decide_in_review, id_number, login


@pytest.fixture(scope="module")
def platform(tmp_path_factory, jwt_keys, s3_endpoint):
    sms_dir = tmp_path_factory.mktemp("sms")
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("notify-logs"),
        jwt_keys["public_path"], components=devstack.SERVICES + ("gateway",),
        GATEWAY_WORKERS=1, GATEWAY_THREADS=8, OUTBOX_POLL_INTERVAL=0.2, GATEWAY_RPC_TIMEOUT=8, MAX_WORKERS=4,
        UPLOAD_PART_SIZE_MB=5, GATEWAY_UPLOAD_PART_MB=5,
        NOTIFY_QUIET_HOURS="off", NOTIFY_SMS_SENDER="file", NOTIFY_SMS_FILE_DIR=str(sms_dir),
        NOTIFY_SMS_RETRY_SECONDS="0.5", NOTIFY_FOLLOWUP_RECHECK_SECONDS="0",
    ) as platform:
        platform.sms_dir = sms_dir
        yield platform


def texts_to(platform, phone):
    path = platform.sms_dir / "sms.jsonl"
    if not path.exists():
        return []
    return [m for m in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if m["phone"] == phone]


def inbox(platform, token, **headers):
    answer = get(platform, "/me/notifications?page_size=50", token, headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def kinds_in(platform, token):
    return [item["kind"] for item in inbox(platform, token)["items"]]


def test_a_communicator_rejected_then_approved(platform):
    phone = "13600240001"
    account = sign_up(platform, phone)
    token = account["tokens"]["access_token"]
    body = {"real_name": "李科普", "id_number": id_number(241), "unit_name": "海淀区第二小学",
            "unit_address": "北京市海淀区", "communicator_type": "individual", "region_code": "110108"}
    submitted = post(platform, "/me/verification", body, token)
    assert submitted.status_code == 202, submitted.text
    review_decides(platform, "communicator_verification", submitted.json()["id"], "realname", "rejected",
                   "身份证照片反光，无法辨认")

    assert eventually(lambda: kinds_in(platform, token) == ["verification_rejected"])
    listed = inbox(platform, token)
    [item] = listed["items"]
    assert listed["unread"] == 1 and item["title"] == "实名认证未通过"
    assert "身份证照片反光，无法辨认" in item["body"] and "重新提交" in item["body"]
    assert item["link"]["path"] == "/me/verification"
    english = inbox(platform, token, **{"Accept-Language": "en"})["items"][0]
    assert english["title"] == "Real-name verification rejected" and "身份证照片反光" in english["body"]
    assert eventually(lambda: len(texts_to(platform, phone)) == 1)
    [sms] = texts_to(platform, phone)
    assert sms["text"].startswith("【科普中国】") and sms["template_code"] == "KEPU_VERIFICATION_REJECTED"

    # the rejection's event delivered again (as after a relay crash): nothing new
    [row] = platform.query("identity", "SELECT payload FROM outbox WHERE event_type = 'user_verification_rejected'")
    publish_events(platform.env["AMQP_URI"], [row[0], row[0]])

    read = post(platform, f"/me/notifications/{item['id']}/read", {}, token)
    assert read.status_code == 200 and read.json() == {"marked": 1, "unread": 0}
    again = post(platform, "/me/verification", body, token)
    assert again.status_code == 202, again.text
    review_decides(platform, "communicator_verification", again.json()["id"], "realname")
    assert eventually(lambda: kinds_in(platform, token) == ["verification_approved", "verification_rejected"])
    time.sleep(3)  # a duplicate SMS (dispatched every 2 s) would have been sent by now
    assert len(texts_to(platform, phone)) == 1  # approvals need no action: inbox only; the redelivery sent nothing
    assert inbox(platform, token)["total"] == 2


def test_an_organizers_activity_rejected_provincially_then_approved_at_both_stages(platform):
    create_admin(platform.database_url("identity"), "13600240100", PASSWORD)
    admin = login(platform, "13600240100")
    reviewers = {"provincial": reviewer(platform, admin, "13600240101", f"provincial:{GUANGDONG}"),
                 "national": reviewer(platform, admin, "13600240102", "national")}
    organizer_phone = "13600240110"
    publisher, _ = organization(platform, organizer_phone, 242, "番禺区青少年科技馆", "other", "440113")
    _, cast = organization(platform, "13600240111", 243, "广州市番禺区科学技术协会", "county_cast", "440113")
    assert eventually(lambda: "org_approved" in kinds_in(platform, publisher))

    today = date.today()
    campaign = post(platform, "/campaigns", {"name": "全国科普日（通知旅程）", "year": today.year,
                                             "window_start": (today - timedelta(days=5)).isoformat(),
                                             "window_end": (today + timedelta(days=40)).isoformat()}, admin)
    assert campaign.status_code == 201, campaign.text
    poster = uploaded(platform, publisher, png_bytes(), "activity_poster", "image/png", "海报.png")
    form = activity_form(campaign.json()["id"], cast, "county_cast", poster, "番禺青少年航模体验日", region="440113")
    submitted = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(
        post(platform, "/activities", form, publisher)))
    assert submitted, "activities never learned the directory"
    activity = submitted.json()["id"]

    # the SMS provider is down while the provincial reviewer rejects
    outage = platform.sms_dir / "OUTAGE"
    outage.touch()
    decide_in_review(platform, reviewers["provincial"], activity, "provincial", "rejected", "缺少安全预案说明")
    assert status_of(platform, publisher, activity, "provincial_rejected")
    assert eventually(lambda: "activity_provincial_rejected" in kinds_in(platform, publisher))
    item = next(i for i in inbox(platform, publisher)["items"] if i["kind"] == "activity_provincial_rejected")
    assert "番禺青少年航模体验日" in item["body"] and "缺少安全预案说明" in item["body"]
    assert item["link"] == {"target": "activity", "id": activity, "path": f"/my/activities/{activity}"}
    assert eventually(lambda: platform.query(
        "identity", "SELECT attempts FROM notification_sms WHERE kind = 'activity_provincial_rejected'")[0][0] >= 2)
    assert texts_to(platform, organizer_phone) == []  # inbox now, SMS delayed
    outage.unlink()
    assert eventually(lambda: len(texts_to(platform, organizer_phone)) == 1)
    assert "番禺青少年航模体验日" in texts_to(platform, organizer_phone)[0]["text"]

    resubmitted = put(platform, f"/activities/{activity}", {**form, "details": {**form["details"],
                                                                                "content": "含安全预案。"}}, publisher)
    assert resubmitted.status_code == 200, resubmitted.text
    decide_in_review(platform, reviewers["provincial"], activity, "provincial")
    assert eventually(lambda: "activity_provincial_approved" in kinds_in(platform, publisher))
    decide_in_review(platform, reviewers["national"], activity, "national")
    assert eventually(lambda: "activity_national_approved" in kinds_in(platform, publisher))
    kinds = kinds_in(platform, publisher)
    assert kinds.count("activity_provincial_rejected") == 1 and kinds.count("activity_national_approved") == 1
    # the supervising unit's admin submitted nothing of this activity and hears nothing of it
    cast_admin = login(platform, "13600240111")
    assert not [k for k in kinds_in(platform, cast_admin) if k.startswith("activity_")]
    time.sleep(3)
    assert len(texts_to(platform, organizer_phone)) == 1  # approvals: inbox only

    # it took place 8 days ago: its summary is due in 10 days from its end (activities' rule), 2 days from now
    ended(platform, activity, days_ago=8)
    assert eventually(lambda: "activity_followup_due_3d" in kinds_in(platform, publisher), timeout=90)
    reminder = next(i for i in inbox(platform, publisher)["items"] if i["kind"] == "activity_followup_due_3d")
    assert "番禺青少年航模体验日" in reminder["body"] and reminder["link"]["path"] == f"/activities/{activity}/followup"
    assert eventually(lambda: len(texts_to(platform, organizer_phone)) == 2)
    assert platform.query("identity", "SELECT count(*) FROM notification_sms WHERE status = 'dead'") == [(0,)]
