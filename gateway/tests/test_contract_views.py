"""What the OpenAPI contract changed at run time (issue 28, docs/api-clients.md), with a fake RPC client: an
activity's sub-objects pass through their named components whole, and one activity's calendar answers at the
non-colliding path and at the old one alike."""
import pytest

from gateway import create_app
from gateway.tests.fakes import FakeRpc

ACTIVITY_ID = "0c9d4a53-3c1e-4b0a-9f4e-2a6d2f1b7c11"
ACTIVITY = {
    "id": ACTIVITY_ID, "name": "海珠气象开放日", "mode": "offline",
    "region": {"code": "440105", "name": "海珠区", "level": "county", "full_name": "广东省广州市海珠区",
               "province": "440000"},
    "supervising_unit": {"category": "county_cast", "category_label": "区县科协", "org_id": ACTIVITY_ID,
                         "name": "海珠区科学技术协会", "region_code": "440105", "province": "440000"},
    "joint_action": {"included": True, "categories": ["science_museums"]},
    "special_action": {"included": False, "categories": []},
    "hosts": [{"org_id": ACTIVITY_ID, "name": "海珠区科学技术协会"}], "organizers": [{"org_id": None, "name": "气象馆"}],
    "partner_agencies": [], "partner_societies": [],
    "reservation": {"enabled": True, "url": "https://booking.example.cn/haizhu"},
    "venue": {"address": "气象观测场", "region": {"code": "440105", "name": "海珠区", "level": "county",
                                                "full_name": "广东省广州市海珠区", "province": "440000"}},
    "details": {"content": "参观气象观测场。", "audience": "中小学生", "scientists": "预报员", "contact_person": "陈老师",
                "contact_phone": "020-38881234", "highlights": "", "participation_channel": "", "promotion": ""},
    "pictures": [{"part": "content", "caption": "", "content_type": "image/png", "width": 10, "height": 10,
                  "url": "https://s3.example.cn/p.png"}],
}


@pytest.fixture(scope="module")
def gateway_app(jwt_keys):
    return create_app({"AMQP_URI": "amqp://guest:guest@127.0.0.1:9//", "JWT_PUBLIC_KEYS": [jwt_keys["public"]],
                       "TESTING": True})


@pytest.fixture
def rpc(gateway_app):
    gateway_app.extensions["rpc"] = FakeRpc()
    return gateway_app.extensions["rpc"]


def test_an_activitys_sub_objects_pass_through_their_components_whole(gateway_app, rpc):
    rpc.answer("activities", "get_activity", ACTIVITY)
    answer = gateway_app.test_client().get(f"/api/v1/activities/{ACTIVITY_ID}")
    assert answer.status_code == 200, answer.text
    assert answer.get_json() == ACTIVITY


@pytest.mark.parametrize("path", [f"/api/v1/activities/{ACTIVITY_ID}/calendar.ics",
                                  f"/api/v1/activities/{ACTIVITY_ID}.ics"])
def test_one_activitys_calendar_answers_at_both_paths(gateway_app, rpc, path):
    rpc.answer("activities", "calendar_feed", {"text": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                                               "last_modified": "2026-09-01T00:00:00+00:00"})
    answer = gateway_app.test_client().get(path)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/calendar")
    assert answer.data == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    assert rpc.called("activities", "calendar_feed")[0][3] == {"activity_id": ACTIVITY_ID}
