from datetime import date, datetime, timedelta, timezone

import pytest

from kepu_common.domain import regions, supervising
from kepu_common.interfaces.contracts import ORG_CATEGORIES, SUPERVISING_CATEGORIES
from kepu_common.interfaces.errors import RuleBroken
from services.activities import rules

NOW = datetime(2023, 9, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
CAMPAIGN = {"name": "2023年全国科普日", "window_start": date(2023, 8, 21), "window_end": date(2023, 9, 30)}


def org(category, region="440106", status="verified"):
    return {"id": "o", "name": "单位", "category": category, "region_code": region, "status": status}


def test_a_start_in_the_past_is_refused():
    errors, _ = rules.check_schedule(NOW - timedelta(minutes=1), NOW + timedelta(hours=2), NOW)
    assert errors == {"start_at": "start_not_in_future"}


def test_an_end_before_the_start_is_refused():
    errors, _ = rules.check_schedule(NOW + timedelta(days=10), NOW + timedelta(days=9), NOW)
    assert errors == {"end_at": "end_not_after_start"}


def test_a_start_less_than_a_week_ahead_is_accepted_with_a_warning():
    errors, warnings = rules.check_schedule(NOW + timedelta(days=6), NOW + timedelta(days=6, hours=2), NOW)
    assert errors == {} and [w["code"] for w in warnings] == ["start_within_a_week"]
    errors, warnings = rules.check_schedule(NOW + timedelta(days=8), NOW + timedelta(days=8, hours=2), NOW)
    assert errors == {} and warnings == []


def test_the_campaign_window_is_in_shanghai_dates():
    rules.check_window(CAMPAIGN, datetime(2023, 8, 20, 16, 0, tzinfo=timezone.utc))  # 21 Aug 00:00 in Shanghai
    with pytest.raises(RuleBroken) as refused:
        rules.check_window(CAMPAIGN, datetime(2023, 8, 20, 15, 59, tzinfo=timezone.utc))
    assert refused.value.details == {"window_start": "2023-08-21", "window_end": "2023-09-30",
                                     "campaign": "2023年全国科普日"}
    with pytest.raises(RuleBroken):
        rules.check_window(CAMPAIGN, datetime(2023, 9, 30, 16, 0, tzinfo=timezone.utc))  # 1 Oct in Shanghai


def test_an_unknown_region_is_refused():
    assert rules.check_region("440106") == {}
    assert rules.check_region("999999")["region_code"][0] == "region_unknown"


def test_the_supervising_unit_must_be_a_verified_organization_of_its_category():
    assert rules.check_supervising("county_cast", org("county_cast")) == {}
    assert rules.check_supervising("county_cast", None) == {"supervising_org_id": "org_not_in_directory"}
    assert rules.check_supervising("county_cast", org("county_cast", status="pending")) == {
        "supervising_org_id": "org_not_in_directory"}
    assert rules.check_supervising("ministry", org("county_cast"))["supervising_org_id"][0] == \
        "supervising_category_mismatch"


def test_a_district_of_a_municipality_is_chosen_under_city_cast():
    district = org("county_cast", region="110105")  # 北京市朝阳区
    assert rules.check_supervising("county_cast", district) == {
        "supervising_category": "municipal_district_is_city_cast"}
    assert rules.check_supervising("city_cast", district) == {}
    assert rules.check_supervising("city_cast", org("county_cast", region="440106"))["supervising_org_id"][0] == \
        "supervising_category_mismatch"


MUNICIPAL_DISTRICTS = {"110000": "110105", "120000": "120101", "310000": "310115", "500000": "500101"}


@pytest.mark.parametrize("municipality", sorted(MUNICIPAL_DISTRICTS))
@pytest.mark.parametrize("chosen", SUPERVISING_CATEGORIES)
def test_every_municipality_and_category_district_unit_accepted_only_under_city_cast(municipality, chosen):
    """A district CAST of any municipality, chosen under any category: accepted under 市科协 only, refused
    under 区县科协 with the rule's own code, refused elsewhere as a category mismatch; the unit at the
    municipality itself keeps its own category."""
    district = org("county_cast", region=MUNICIPAL_DISTRICTS[municipality])
    result = rules.check_supervising(chosen, district)
    if chosen == "city_cast":
        assert result == {}
    elif chosen == "county_cast":
        assert result == {"supervising_category": "municipal_district_is_city_cast"}
    else:
        assert result["supervising_org_id"][0] == "supervising_category_mismatch"
    for category in ORG_CATEGORIES:
        unit = org(category, region=municipality)
        expected = category == chosen
        assert (rules.check_supervising(chosen, unit) == {}) is expected, (category, chosen)
        # the rule and the directory's suggestions say the same (kepu_common.domain.supervising)
        path = regions.path(unit["region_code"])
        assert (supervising.chosen_under(category, path) == chosen) is expected


def test_a_unit_of_another_province_is_accepted_with_a_warning():
    assert rules.supervising_warnings("county_cast", "440106", "440305") == []
    warned = rules.supervising_warnings("provincial_cast", "440000", "110105")  # Beijing activity, Guangdong unit
    assert warned == [{"code": "supervising_unit_other_province", "field": "supervising_org_id",
                       "params": {"unit_province": "广东省", "region_province": "北京市"}}]
    assert rules.supervising_warnings("city_cast", "110105", "110108") == []
    assert rules.supervising_warnings("ministry", "110000", "440106") == []  # national units supervise anywhere
    assert rules.supervising_warnings("national_society", "110000", "440106") == []


def test_partners_named_by_id_must_be_in_the_directory():
    data = {"partner_agencies": [{"org_id": "a"}, {"name": "某某研究所"}], "partner_societies": [{"org_id": "b"}],
            "hosts": [], "organizers": [{"org_id": "c"}]}
    directory = {"a": org("ministry"), "c": org("other", status="rejected")}
    assert rules.check_partners(data, directory) == {"partner_societies.0.org_id": "org_not_in_directory",
                                                     "organizers.0.org_id": "org_not_in_directory"}


def test_time_status():
    start, end = NOW + timedelta(hours=1), NOW + timedelta(hours=3)
    assert rules.time_status(start, end, NOW) == "not_started"
    assert rules.time_status(start, end, start) == "ongoing"
    assert rules.time_status(start, end, end) == "ended"


# --- follow-up --------------------------------------------------------------------------------------
END = datetime(2023, 9, 16, 9, 0, tzinfo=timezone.utc)  # 17:00 on 16 Sep in Shanghai
SUMMARY = {part: "内容" for part in rules.SUMMARY_PARTS}


def complete(**changes):
    followup = {"media_links": ["https://news.example.cn/a"],
                "photos": [{"upload_id": str(n), "evidence": n == 0} for n in range(3)],
                "videos": [{"duration_seconds": 179.9}], "participants": 50, "summary": dict(SUMMARY)}
    followup.update(changes)
    return followup


def failing(followup, mode="offline", today=date(2023, 9, 20)):
    checklist = rules.followup_checklist(followup, mode, END, rules.DEFAULT_FOLLOWUP_RULES, today)
    return {item["rule"]: item["code"] for item in checklist if not item["ok"]}


def test_complete_materials_pass_every_rule():
    assert failing(complete()) == {}


@pytest.mark.parametrize("changes, rule, code", [
    ({"media_links": []}, "media_reports", "followup_media_links_too_few"),
    ({"photos": [{"upload_id": "1", "evidence": True}] * 2}, "photo_count", "followup_photo_count"),
    ({"photos": [{"upload_id": "1", "evidence": True}] * 11}, "photo_count", "followup_photo_count"),
    ({"videos": [{"duration_seconds": 60}] * 4}, "video_count", "followup_too_many_videos"),
    ({"videos": [{"duration_seconds": 181}]}, "video_duration.0", "followup_video_too_long"),
    ({"participants": 49}, "participants", "followup_participants_too_few"),
    ({"photos": [{"upload_id": str(n)} for n in range(3)]}, "participants_evidence",
     "followup_participants_no_evidence"),
    ({"summary": {**SUMMARY, "lessons": " "}}, "summary.lessons", "followup_summary_part_missing"),
])
def test_each_follow_up_rule_broken_alone_is_named(changes, rule, code):
    assert failing(complete(**changes)) == {rule: code}


def test_no_video_is_fine_and_a_3_minute_one_too():
    assert failing(complete(videos=[])) == {}
    assert failing(complete(videos=[{"duration_seconds": 180.0}])) == {}


def test_online_and_both_need_100_participants():
    assert failing(complete(participants=99), mode="online") == {"participants": "followup_participants_too_few"}
    assert failing(complete(participants=99), mode="both") == {"participants": "followup_participants_too_few"}
    assert failing(complete(participants=100), mode="both") == {}


def test_the_summary_is_due_within_10_days_after_the_end_in_shanghai_dates():
    assert failing(complete(), today=date(2023, 9, 26)) == {}  # day 10
    assert failing(complete(), today=date(2023, 9, 27)) == {"summary_deadline": "followup_summary_too_late"}
    late_evening = datetime(2023, 9, 16, 17, 0, tzinfo=timezone.utc)  # 17 Sep 01:00 in Shanghai
    assert rules.summary_deadline(late_evening, rules.DEFAULT_FOLLOWUP_RULES) == date(2023, 9, 27)


# --- issue 22 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, others, similar", [
    ("走进天河：气象科普开放日", ["走进天河：气象科普开放日"], "走进天河：气象科普开放日"),
    ("走进天河 气象科普开放日", ["走进天河：气象科普开放日！"], "走进天河：气象科普开放日！"),  # spacing, punctuation
    ("走进天河：气象科普开放日（第二场）", ["走进天河：气象科普开放日（第一场）"], "走进天河：气象科普开放日（第一场）"),
    ("走进天河：气象科普开放日", ["天河区青少年机器人大赛", "流动科技馆进校园"], None),
    ("Science Day Open House", ["science day open house"], "science day open house"),  # case
])
def test_a_name_close_to_another_in_the_campaign_and_region_is_warned(name, others, similar):
    assert rules.similar_name(name, others) == similar
    warned = rules.name_warnings(name, others)
    assert warned == ([] if similar is None else [{"code": "activity_name_similar", "field": "name",
                                                   "params": {"name": similar}}])


def test_every_follow_up_rule_keeps_its_own_entry():
    followup = complete(photos=[{"upload_id": "1"}] * 2, videos=[{"duration_seconds": 200}] * 4, participants=10,
                        summary={}, media_links=[])
    checklist = rules.followup_checklist(followup, "offline", END, rules.DEFAULT_FOLLOWUP_RULES, date(2023, 9, 17))
    broken = rules.broken(checklist)
    assert len(broken) == len([item for item in checklist if not item["ok"]])  # none hides another
    assert broken["photos"][0] == "followup_photo_count"
    assert broken["photos.evidence"][0] == "followup_participants_no_evidence"
    assert broken["videos"][0] == "followup_too_many_videos" and broken["videos.3"][0] == "followup_video_too_long"


def test_a_missing_summary_part_is_named():
    from kepu_common.interfaces.messages import text

    checklist = rules.followup_checklist(complete(summary={**SUMMARY, "reusable_resources": ""}), "offline", END,
                                         rules.DEFAULT_FOLLOWUP_RULES, date(2023, 9, 17))
    item = next(i for i in checklist if not i["ok"])
    assert text(item["code"], **item["params"]) == "总结的“形成可复用的科普资源情况”部分必填。"
    assert text(item["code"], "en", **item["params"]) == 'The summary\'s part "reusable resources" is required.'


def test_nominations_close_after_the_deadline_day_in_shanghai():
    campaign = {"nomination_deadline": date(2023, 10, 20)}
    rules.check_nomination_deadline(campaign, datetime(2023, 10, 20, 15, 59, tzinfo=timezone.utc))  # 23:59 Shanghai
    with pytest.raises(RuleBroken) as refused:
        rules.check_nomination_deadline(campaign, datetime(2023, 10, 20, 16, 0, tzinfo=timezone.utc))
    assert refused.value.fields["activity_id"]["code"] == "nomination_deadline_passed"
    rules.check_nomination_deadline({"nomination_deadline": None}, datetime(2030, 1, 1, tzinfo=timezone.utc))


def test_a_nominated_or_ended_activity_is_not_edited():
    rules.check_editable(False, NOW + timedelta(days=1), NOW)
    with pytest.raises(RuleBroken) as refused:
        rules.check_editable(True, NOW + timedelta(days=1), NOW)
    assert refused.value.fields == {"activity_id": {"code": "activity_nominated", "params": {}}}
    with pytest.raises(RuleBroken) as refused:
        rules.check_editable(False, NOW, NOW)
    assert refused.value.fields["end_at"]["code"] == "activity_ended"
