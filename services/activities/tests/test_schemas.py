"""The form's field rules: each broken alone gives its own field code (and nothing else)."""
import uuid

import pytest
from marshmallow import ValidationError

from kepu_common.validation import field_errors
from services.activities.schemas import ActivityRequest, ActivityCampaignRequest, FollowupForm, ActivityShelfRequest
from services.activities.tests.forms import activity_form, poster


def form(**changes):
    return {**activity_form(uuid.uuid4(), uuid.uuid4()), "poster": poster(), **changes}


def codes(schema, data):
    with pytest.raises(ValidationError) as refused:
        schema.load(data)
    return {field: value["code"] for field, value in field_errors(refused.value.messages).items()}


def test_a_valid_form_loads():
    loaded = ActivityRequest().load(form())
    assert loaded["name"] == "走进天河：气象科普开放日" and loaded["poster"]["content_type"] == "image/png"


def test_a_50_character_name_is_fine_51_is_not():
    ActivityRequest().load(form(name="科" * 50))
    assert codes(ActivityRequest(), form(name="科" * 51)) == {"name": "activity_name_too_long"}


@pytest.mark.parametrize("changes, expected", [
    ({"name": "   "}, {"name": "activity_name_blank"}),
    ({"mode": "hybrid"}, {"mode": "not_one_of"}),
    ({"type": "party"}, {"type": "not_one_of"}),
    ({"region_code": "44010"}, {"region_code": "invalid_format"}),
    ({"supervising_category": "enterprise"}, {"supervising_category": "not_one_of"}),
    ({"joint_action": {"included": True, "categories": []}}, {"joint_action.categories": "action_categories_required"}),
    ({"special_action": {"included": False, "categories": ["health"]}},
     {"special_action.categories": "action_categories_without_yes"}),
    ({"joint_action": {"included": True, "categories": ["circus"]}}, {"joint_action.categories.0": "not_one_of"}),
    ({"partner_agencies": [{}]}, {"partner_agencies.0.name": "party_id_or_name"}),
    ({"hosts": [{"org_id": str(uuid.uuid4()), "name": "两者都填"}]}, {"hosts.0.name": "party_id_or_name"}),
    ({"reservation": {"enabled": True, "url": None}}, {"reservation.url": "reservation_url_required"}),
    ({"reservation": {"enabled": True, "url": "javascript:alert(1)"}}, {"reservation.url": "reservation_url_not_web"}),
    ({"expected_participants": -1}, {"expected_participants": "out_of_range"}),
    ({"poster": poster(content_type="application/pdf")}, {"poster": "poster_not_an_image"}),
])
def test_each_broken_field_rule_has_its_own_code(changes, expected):
    assert codes(ActivityRequest(), form(**changes)) == expected


@pytest.mark.parametrize("part", ["content", "audience", "scientists", "contact_person", "contact_phone"])
def test_each_required_detail_part(part):
    data = form()
    del data["details"][part]
    assert codes(ActivityRequest(), data) == {f"details.{part}": "required"}


def test_the_contact_phone_is_a_phone_number():
    data = form()
    data["details"]["contact_phone"] = "call me"
    assert codes(ActivityRequest(), data) == {"details.contact_phone": "activity_contact_phone_invalid"}
    data["details"]["contact_phone"] = "13800138000"
    ActivityRequest().load(data)


def test_a_start_that_is_not_a_time_is_refused_alone():
    assert set(codes(ActivityRequest(), form(start_at="20 Sep"))) == {"start_at"}


def test_a_time_without_offset_is_shanghai_time():
    loaded = ActivityRequest().load(form(start_at="2023-09-20T10:00:00"))
    assert loaded["start_at"].isoformat() == "2023-09-20T10:00:00+08:00"


def test_the_poster_is_required():
    data = form()
    del data["poster"]
    assert codes(ActivityRequest(), data) == {"poster": "required"}


def test_a_campaign_window_ends_after_it_starts():
    data = {"name": "2023年全国科普日", "year": 2023, "window_start": "2023-09-30", "window_end": "2023-08-21"}
    assert codes(ActivityCampaignRequest(), data) == {"window_end": "window_end_before_start"}
    loaded = ActivityCampaignRequest().load(dict(data, window_start="2023-08-21", window_end="2023-09-30",
                                         quotas={"county_cast": 2}))
    assert loaded["followup_rules"]["summary_days"] == 10 and loaded["quotas"] == {"county_cast": 2}
    assert codes(ActivityCampaignRequest(), dict(data, window_start="2023-08-21", window_end="2023-09-30",
                                         quotas={"street": 2})) == {"quotas.street.key": "not_one_of"}


def test_media_links_are_web_links():
    assert codes(FollowupForm(), {"media_links": ["https://a.cn/1", "javascript:alert(1)"]}) == {
        "media_links.1": "media_link_not_web"}


def test_taking_off_the_shelf_needs_a_reason():
    assert codes(ActivityShelfRequest(), {"shelf": "off"}) == {"reason": "shelf_reason_required"}
    assert ActivityShelfRequest().load({"shelf": "on"})["reason"] == ""
