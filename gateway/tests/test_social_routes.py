"""The social routes' own work in the gateway (services stubbed at the RPC boundary): an activity is asked
for before a comment or favorite on it, the verified name goes to resources, and an unverified account is
refused before anything is asked or stored."""
import uuid

import pytest

from gateway import rpc
from gateway.tests.conftest import error_of
from kepu_common.interfaces.errors import NotFound
from kepu_common.bus.rpc_client import RemoteError

ACTIVITY = str(uuid.uuid4())
USER = str(uuid.uuid4())


class Calls(list):
    answers = None


@pytest.fixture
def calls(monkeypatch):
    made = Calls()
    answers = {
        ("identity", "me"): {"id": USER, "verification": {"status": "approved", "real_name": "王小明"},
                             "administers": []},
        ("activities", "get_activity"): {"id": ACTIVITY, "name": "全国科普日·朝阳区主场"},
        ("resources", "add_comment"): {"id": str(uuid.uuid4()), "target_type": "activity", "target_id": ACTIVITY,
                                       "parent_id": None, "author_name": "王*明", "body": "很好", "status": "published",
                                       "likes": 0, "replies": 0, "latest_replies": []},
        ("resources", "add_favorite"): {"favorited": True},
    }

    def fake(service, method, *args, **kwargs):
        made.append((service, method, args))
        answer = answers[(service, method)]
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(rpc, "call", fake)
    made.answers = answers
    return made


def _missing(service):
    error = NotFound("activity_not_found", {"activity_id": "activity_unknown"})
    return RemoteError(service, "NotFound", list(error.args), str(error))


def test_a_comment_on_an_activity_asks_activities_then_resources_with_the_verified_name(client, make_token, calls):
    token = make_token(["communicator"], sub=USER)
    answer = client.post(f"/api/v1/comments/activity/{ACTIVITY}", json={"body": "很好"},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.get_json()
    assert [(s, m) for s, m, _ in calls] == [("activities", "get_activity"), ("identity", "me"),
                                             ("resources", "add_comment")]
    _, _, (user, roles, target_type, target_id, payload) = calls[-1]
    assert (user, roles, target_type, target_id) == (USER, ["communicator"], "activity", ACTIVITY)
    assert payload["author_name"] == "王小明" and payload["body"] == "很好"


def test_an_unverified_account_is_refused_in_chinese_before_anything_is_asked(client, make_token, calls):
    token = make_token([], sub=USER)
    answer = client.post(f"/api/v1/comments/activity/{ACTIVITY}", json={"body": "很好"},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    error = error_of(answer)
    assert error["code"] == "forbidden" and "实名认证" in error["message"]
    assert calls == []


def test_an_unknown_activity_is_404_and_resources_is_not_asked(client, make_token, calls):
    calls.answers[("activities", "get_activity")] = _missing("activities")
    token = make_token(["communicator"], sub=USER)
    answer = client.post(f"/api/v1/comments/activity/{ACTIVITY}", json={"body": "很好"},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404
    favorite = client.put(f"/api/v1/me/favorites/activity/{ACTIVITY}", headers={"Authorization": f"Bearer {token}"})
    assert favorite.status_code == 404
    assert all(service != "resources" for service, _, _ in calls)


def test_a_favorite_activity_keeps_its_name(client, make_token, calls):
    token = make_token([], sub=USER)  # favorites need no verification
    answer = client.put(f"/api/v1/me/favorites/activity/{ACTIVITY}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_json()
    assert calls[-1] == ("resources", "add_favorite", (USER, "activity", ACTIVITY, {"title": "全国科普日·朝阳区主场"}))


def test_a_second_level_reply_and_a_long_comment_are_refused_by_the_schema_first(client, make_token, calls):
    token = make_token(["communicator"], sub=USER)
    long = client.post(f"/api/v1/comments/post/{uuid.uuid4()}", json={"body": "长" * 10_000},
                       headers={"Authorization": f"Bearer {token}"})
    assert long.status_code == 400 and error_of(long)["fields"]["body"]["code"] == "length_between"
    assert calls == []
