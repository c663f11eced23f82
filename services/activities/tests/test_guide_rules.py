"""Seed 004's rules as the running service applies them (issue 22): the venue in the listing, the detail,
the review snapshot and iCalendar; details pictures shown to reviewers and in the detail; the similar-name
and other-province warnings; the municipal district under 市科协."""
from icalendar import Calendar

import pytest

from kepu_common.interfaces.errors import InvalidInput
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


def _approved(container, amqp_uri, campaign, **changes):
    activity = call(container, "submit", ADMIN_A, form(campaign, **changes))
    stages = ("national",) if changes.get("supervising_category") in ("ministry", "national_society") else (
        "provincial", "national")
    for stage in stages:
        decide(container, amqp_uri, activity["id"], stage)
    return activity


def test_the_listing_searches_name_hosts_and_venue_by_two_characters(activities, amqp_uri, campaign):
    weather = _approved(activities, amqp_uri, campaign, name="走进天河：气象科普开放日")
    robots = _approved(activities, amqp_uri, campaign, name="青少年机器人大赛", hosts=[{"name": "广州市少年宫"}],
                       venue={"address": "体育西路体育馆"})
    found = lambda **query: [item["id"] for item in call(activities, "list_public", query)["items"]]  # noqa: E731
    assert found(q="气象") == [weather["id"]]
    assert found(q="机器") == [robots["id"]]
    assert found(q="少年宫") == [robots["id"]]  # a host
    assert found(q="体育") == [robots["id"]]  # the venue's address
    assert sorted(found(q="天河")) == sorted([weather["id"], robots["id"]])  # a name, and a venue's division
    assert found(q="天河 机器人") == [robots["id"]]  # every word
    assert found(q="气象", region="440000") == [weather["id"]] and found(q="气象", region="110000") == []
    assert found(q="象气") == [] and found(q="，") == []


def test_the_listing_puts_upcoming_and_ongoing_first_then_ended_and_splits_official_and_local(
        activities, amqp_uri, campaign):
    from services.activities.tests.conftest import MINISTRY
    from services.activities.tests.test_followups import move_to_past

    from services.activities.tests.forms import activity_form

    later_form = activity_form(campaign["id"], MINISTRY, days_ahead=20)
    later = _approved(activities, amqp_uri, campaign, name="二十天后的活动", start_at=later_form["start_at"],
                      end_at=later_form["end_at"])
    soon_form = activity_form(campaign["id"], MINISTRY, "ministry", days_ahead=8)
    soon = call(activities, "submit", ADMIN_A, {**form(campaign, supervisor=MINISTRY, category="ministry"),
                                               "start_at": soon_form["start_at"], "end_at": soon_form["end_at"],
                                               "name": "部委主办的活动"})
    decide(activities, amqp_uri, soon["id"], "national")
    ended_long_ago = _approved(activities, amqp_uri, campaign, name="很早结束的活动")
    ended_lately = _approved(activities, amqp_uri, campaign, name="刚刚结束的活动")
    move_to_past(activities, ended_long_ago["id"], 5)
    move_to_past(activities, ended_lately["id"], 1)
    sql(activities, "UPDATE activity_listing l SET start_at = (v.data->>'start_at')::timestamptz, "
                    "end_at = (v.data->>'end_at')::timestamptz FROM activity_versions v "
                    "WHERE v.activity_id = l.activity_id AND v.revision = l.revision")
    page = call(activities, "list_public", {})
    assert [item["id"] for item in page["items"]] == [soon["id"], later["id"], ended_lately["id"],
                                                      ended_long_ago["id"]]
    assert [item["id"] for item in call(activities, "list_public", {"page_size": 3, "page": 2})["items"]] == [
        ended_long_ago["id"]]
    assert [item["id"] for item in call(activities, "list_public", {"sort": "start"})["items"]] == [
        ended_long_ago["id"], ended_lately["id"], soon["id"], later["id"]]
    official = call(activities, "list_public", {"level": "official"})["items"]
    assert [(i["id"], i["level"], i["level_label"]) for i in official] == [(soon["id"], "official", "官方活动")]
    local = call(activities, "list_public", {"level": "local"})["items"]
    assert {i["level_label"] for i in local} == {"地方活动"} and len(local) == 3


def test_my_activities_show_the_follow_up_state_and_deadline(activities, amqp_uri, campaign):
    from services.activities.tests.test_followups import materials, move_to_past

    pending = call(activities, "submit", ADMIN_A, form(campaign, name="待审核的活动"))
    done = _approved(activities, amqp_uri, campaign, name="已提交补充信息的活动")
    move_to_past(activities, done["id"], 2)
    call(activities, "save_followup", ADMIN_A, done["id"], materials())
    mine = {item["id"]: item for item in call(activities, "my_activities", ADMIN_A)["items"]}
    assert (mine[pending["id"]]["followup_status"], mine[pending["id"]]["followup_deadline"]) == ("none", None)
    from datetime import datetime, timedelta

    from services.activities import rules

    end = call(activities, "get_activity", done["id"], ADMIN_A)["end_at"]
    expected = (rules.shanghai_date(datetime.fromisoformat(end)) + timedelta(days=10)).isoformat()
    assert (mine[done["id"]]["followup_status"], mine[done["id"]]["followup_deadline"]) == ("submitted", expected)
