"""A publication retried with the client's key (a time-out, a second press of 保存) is one activity."""
import eventlet
import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.errors import Conflict
from kepu_common.interfaces.validation import field_errors
from services.activities.tests.conftest import ADMIN_A, ADMIN_B, call, form, outbox, sql


def _activities(container):
    return sql(container, "SELECT count(*) FROM activities")[0][0]


def test_the_same_form_with_the_same_key_answers_the_first_activity_and_requests_one_review(activities, campaign):
    data = form(campaign, client_key="publish-7f3a")
    first = call(activities, "submit", ADMIN_A, data)
    again = call(activities, "submit", ADMIN_A, data)
    assert again["id"] == first["id"] and again["revision"] == 1
    assert _activities(activities) == 1
    assert len(outbox(activities, "review_requested")) == 1 and len(outbox(activities, "activity_submitted")) == 1


def test_without_a_key_each_publication_is_new(activities, campaign):
    data = form(campaign)
    assert call(activities, "submit", ADMIN_A, data)["id"] != call(activities, "submit", ADMIN_A, data)["id"]
    assert _activities(activities) == 2


def test_a_key_sent_again_with_another_form_is_refused_and_nothing_changes(activities, campaign):
    data = form(campaign, client_key="k1")
    call(activities, "submit", ADMIN_A, data)
    with pytest.raises(Conflict) as refused:
        call(activities, "submit", ADMIN_A, {**data, "name": "另一个活动"})
    assert refused.value.fields["client_key"]["code"] == "client_key_reused"
    assert _activities(activities) == 1 and len(outbox(activities, "review_requested")) == 1


def test_keys_belong_to_their_user(activities, campaign):
    data = form(campaign, client_key="shared-key")
    assert call(activities, "submit", ADMIN_A, data)["id"] != call(activities, "submit", ADMIN_B, data)["id"]


def test_a_retry_after_an_edit_still_finds_the_activity_as_first_published(activities, campaign):
    data = form(campaign, client_key="k-edit")
    first = call(activities, "submit", ADMIN_A, data)
    edit = {key: value for key, value in data.items() if key != "client_key"}  # a key is for publishing only
    call(activities, "edit", ADMIN_A, first["id"], {**edit, "name": "气象科普开放日（改期）"})
    again = call(activities, "submit", ADMIN_A, data)
    assert again["id"] == first["id"] and again["revision"] == 2 and _activities(activities) == 1


def test_two_presses_at_the_same_moment_make_one_activity(activities, campaign):
    data = form(campaign, client_key="double-click")
    threads = [eventlet.spawn(call, activities, "submit", ADMIN_A, data) for _ in range(4)]
    ids = {thread.wait()["id"] for thread in threads}
    assert len(ids) == 1 and _activities(activities) == 1
    assert len(outbox(activities, "review_requested")) == 1


@pytest.mark.parametrize("key", ["", "has space", "全角键", "a" * 101, "nul\x00", "tab\tkey", "\u202eevil"])
def test_a_malformed_key_is_refused_by_name(activities, campaign, key):
    with pytest.raises(ValidationError) as refused:
        call(activities, "submit", ADMIN_A, form(campaign, client_key=key))
    assert field_errors(refused.value.messages)["client_key"]["code"] == "client_key_invalid"
    assert _activities(activities) == 0
