"""The form's field rules: each broken alone gives its own field code (and nothing else)."""
import uuid

import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.validation import field_errors
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
    loaded = ActivityRequest().load(form(start_at="2099-09-20T10:00:00", end_at="2099-09-20T12:00:00"))
    assert loaded["start_at"].isoformat() == "2099-09-20T10:00:00+08:00"


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


# --- issue 22: one round of feedback, one-line fields, hosts, venue, details pictures -------------------
def test_a_long_name_and_a_past_start_are_answered_in_one_round():
    past = {"start_at": "2020-09-16T09:00:00+08:00", "end_at": "2020-09-16T12:00:00+08:00"}
    assert codes(ActivityRequest(), form(name="科" * 51, **past)) == {
        "name": "activity_name_too_long", "start_at": "start_not_in_future"}
    assert codes(ActivityRequest(), form(name="科" * 51, hosts=[], venue=None, **past)) == {
        "name": "activity_name_too_long", "start_at": "start_not_in_future", "hosts": "activity_hosts_required",
        "venue": "venue_required_offline"}


@pytest.mark.parametrize("character", ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028"])
@pytest.mark.parametrize("place", ["name", "host", "venue", "contact_person", "audience"])
def test_control_characters_are_refused_in_names_and_one_line_fields(character, place):
    base = form()
    if place == "name":
        data, field = {**base, "name": f"气象{character}开放日"}, "name"
    elif place == "host":
        data, field = {**base, "hosts": [{"name": f"天河区{character}科协"}]}, "hosts.0.name"
    elif place == "venue":
        data, field = {**base, "venue": {"address": f"天河路{character}2号"}}, "venue.address"
    else:
        data = {**base, "details": {**base["details"], place: f"陈{character}老师"}}
        field = f"details.{place}"
    assert codes(ActivityRequest(), data) == {field: "control_character_refused"}


def test_line_breaks_stay_allowed_in_the_details_text_but_not_other_controls():
    base = form()
    ActivityRequest().load({**base, "details": {**base["details"], "content": "第一段。\n第二段。\r\n\t第三段。"}})
    assert codes(ActivityRequest(), {**base, "details": {**base["details"], "content": "坏\x00字"}}) == {
        "details.content": "control_character_refused"}


def test_hosts_are_required_organizers_are_not():
    assert codes(ActivityRequest(), form(hosts=[])) == {"hosts": "activity_hosts_required"}
    data = form(organizers=[])
    data.pop("hosts")
    assert codes(ActivityRequest(), data) == {"hosts": "required"}
    ActivityRequest().load(form(organizers=[]))


@pytest.mark.parametrize("mode", ["offline", "both"])
def test_an_offline_activity_needs_a_venue_with_an_address(mode):
    assert codes(ActivityRequest(), form(mode=mode, venue=None)) == {"venue": "venue_required_offline"}
    assert codes(ActivityRequest(), form(mode=mode, venue={"address": "  "})) == {
        "venue.address": "venue_address_required"}
    assert codes(ActivityRequest(), form(mode=mode, venue={"address": "天河路2号", "region_code": "4401"})) == {
        "venue.region_code": "invalid_format"}


def test_an_online_activity_needs_no_venue():
    ActivityRequest().load(form(mode="online", venue=None))


def test_a_details_picture_must_be_an_image():
    picture = {**poster("image/jpeg"), "part": "participation_channel", "caption": "报名二维码"}
    ActivityRequest().load(form(pictures=[picture]))
    pdf = {**poster("application/pdf"), "part": "promotion"}
    assert codes(ActivityRequest(), form(pictures=[pdf])) == {"pictures.0.content_type": "details_picture_not_an_image"}


@pytest.mark.parametrize("link", ["https://a.cn/1\r\nSet-Cookie: x=1", "http://127.0.0.1:8000/admin",
                                  "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://localhost/",
                                  "http://10.1.2.3/", "http://2130706433/"])
def test_stored_links_refuse_control_characters_and_inward_hosts(link):
    assert codes(FollowupForm(), {"media_links": [link]}) == {"media_links.0": "media_link_not_web"}
    form = {**activity_form(uuid.uuid4(), uuid.uuid4()), "poster": poster(), "reservation": {"enabled": True, "url": link}}
    assert codes(ActivityRequest(), form).get("reservation.url") == "reservation_url_not_web"


def test_stored_links_are_normalized():
    assert FollowupForm().load({"media_links": [" HTTPS://WWW.Kepu.GOV.cn/news/1 "]}, partial=True)["media_links"] == [
        "https://www.kepu.gov.cn/news/1"]
