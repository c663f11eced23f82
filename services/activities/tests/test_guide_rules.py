"""Seed 004's rules as the running service applies them (issue 22): the venue in the listing, the detail,
the review snapshot and iCalendar; details pictures shown to reviewers and in the detail; the similar-name
and other-province warnings; the municipal district under 市科协."""
from icalendar import Calendar

import pytest

from kepu_common.errors import InvalidInput
from services.activities.tests.conftest import (
    ADMIN_A, ADMIN_B, CHAOYANG_CAST, GUANGDONG_CAST, call, decide, form, outbox, sql,
)
from services.activities.tests.forms import poster


def test_the_venue_is_shown_in_the_listing_detail_snapshot_and_calendar(activities, amqp_uri, campaign):
    activity = call(activities, "submit", ADMIN_A, form(campaign))
    assert outbox(activities, "review_requested")[-1]["snapshot"]["venue"] == "广东省广州市天河区天河路 2 号气象观测场"
    decide(activities, amqp_uri, activity["id"], "provincial")
    decide(activities, amqp_uri, activity["id"], "national")
    card = call(activities, "list_public", {})["items"][0]
    assert card["venue"] == {"address": "天河路 2 号气象观测场",
                             "region": {"code": "440106", "name": "天河区", "level": "county",
                                        "full_name": "广东省广州市天河区", "province": "440000"}}
    assert card["hosts"] == [{"org_id": None, "name": "天河区科协"}]
    assert call(activities, "get_activity", activity["id"])["venue"]["address"] == "天河路 2 号气象观测场"
    event = Calendar.from_ical(call(activities, "calendar", activity_id=activity["id"])).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == "广东省广州市天河区天河路 2 号气象观测场"


def test_an_unknown_venue_division_is_refused_and_nothing_stored(activities, campaign):
    with pytest.raises(InvalidInput) as refused:
        call(activities, "submit", ADMIN_A, form(campaign, venue={"address": "天河路2号", "region_code": "449999"}))
    assert refused.value.fields["venue.region_code"]["code"] == "region_unknown"
    assert sql(activities, "SELECT count(*) FROM activities") == [(0,)]


def test_details_pictures_reach_the_reviewer_and_the_detail(activities, campaign):
    picture = {**poster("image/jpeg"), "part": "participation_channel", "caption": "报名二维码"}
    activity = call(activities, "submit", ADMIN_A, form(campaign, pictures=[picture]))
    assert [(p["part"], p["caption"]) for p in activity["pictures"]] == [("participation_channel", "报名二维码")]
    assert activity["pictures"][0]["url"].startswith("http")
    files = outbox(activities, "review_requested")[-1]["snapshot"]["files"]
    assert [(f["label"], f["kind"]) for f in files] == [("活动宣传图", "image"), ("详情图片（参与渠道）：报名二维码", "image")]


def test_a_name_close_to_another_in_the_same_campaign_and_region_is_warned(activities, campaign):
    call(activities, "submit", ADMIN_A, form(campaign))
    second = call(activities, "submit", ADMIN_A, form(campaign, name="走进天河 气象科普开放日！"))
    assert [(w["code"], w["field"]) for w in second["warnings"]] == [("activity_name_similar", "name")]
    assert "走进天河：气象科普开放日" in second["warnings"][0]["message"]
    elsewhere = call(activities, "submit", ADMIN_A, form(campaign, region_code="440305",
                                                         venue={"address": "南山区科技园"}))
    assert elsewhere["warnings"] == []  # another county of the same province: neither warning


def test_a_beijing_district_publishes_under_city_cast_and_not_under_county_cast(activities, campaign):
    beijing = form(campaign, supervisor=CHAOYANG_CAST, category="city_cast", region_code="110105",
                   venue={"address": "朝阳公园南门"})
    with pytest.raises(InvalidInput) as refused:
        call(activities, "submit", ADMIN_B, {**beijing, "supervising_category": "county_cast"})
    assert refused.value.fields == {"supervising_category": {"code": "municipal_district_is_city_cast", "params": {}}}
    assert sql(activities, "SELECT count(*) FROM activities") == [(0,)]
    activity = call(activities, "submit", ADMIN_B, beijing)
    assert activity["warnings"] == [] and activity["review_status"] == "pending_provincial"
    assert outbox(activities, "review_requested")[-1]["scope"] == "110000"


def test_a_unit_of_another_province_is_accepted_with_a_warning(activities, campaign):
    beijing = form(campaign, supervisor=GUANGDONG_CAST, category="provincial_cast", region_code="110105",
                   venue={"address": "朝阳公园南门"})
    activity = call(activities, "submit", ADMIN_B, beijing)
    assert [(w["code"], w["field"]) for w in activity["warnings"]] == [
        ("supervising_unit_other_province", "supervising_org_id")]
    assert "广东省" in activity["warnings"][0]["message"] and "北京市" in activity["warnings"][0]["message"]
    assert outbox(activities, "review_requested")[-1]["scope"] == "440000"
