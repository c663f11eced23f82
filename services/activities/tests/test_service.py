"""The activities service against real RabbitMQ and PostgreSQL: submission, routed review, edits,
the shelf, the public listing and the calendar."""
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from marshmallow import ValidationError
from nameko.testing.services import entrypoint_hook

from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken
from kepu_common.interfaces.validation import field_errors
from services.activities.tests.conftest import (
    ADMIN_A, ADMIN_B, CHAOYANG_CAST, GUANGDONG_CAST, MINISTRY, PLATFORM_ADMIN, SOCIETY, TIANHE_CAST, UNVERIFIED, call,
    decide, form, open_campaign, outbox, sql,
)
from services.activities import catalogue, rules
from services.activities.tests.forms import poster


def test_health_answers_with_its_database_and_storage(activities):
    with entrypoint_hook(activities, "health") as health:
        report = health()
    assert report["service"] == "activities" and report["database"] == "ok" and report["storage"] == "ok"


def test_only_a_platform_admin_creates_campaigns(activities, campaign):
    assert campaign["open"] and campaign["quotas"] == {"county_cast": 1} and campaign["followup_rules"]["min_photos"] == 3
    with pytest.raises(Forbidden):
        call(activities, "create_campaign", ADMIN_A, {"name": "冒充", "year": 2023, "window_start": "2023-08-21",
                                                     "window_end": "2023-09-30"})
    listed = call(activities, "list_campaigns")["items"]
    assert [c["name"] for c in listed] == ["2023年全国科普日"]


def test_a_county_cast_activity_waits_for_its_provinces_review(activities, campaign):
    data = form(campaign)
    activity = call(activities, "submit", ADMIN_A, data)
    assert (activity["review_status"], activity["review_status_label"]) == ("pending_provincial", "省管理员审批中")
    assert activity["shelf"] == "off" and activity["warnings"] == [] and activity["time_status"] == "not_started"
    request = outbox(activities, "review_requested")[-1]
    assert (request["subject_type"], request["stage"], request["scope"]) == ("activity", "provincial", "440000")
    snapshot = request["snapshot"]
    assert snapshot["files"][0]["kind"] == "image" and snapshot["files"][0]["content_type"] == "image/png"
    assert snapshot["route"] == "省级科协审核 → 中国科协审核"
    assert snapshot["supervising_unit"] == "广州市天河区科学技术协会（区县科协，广东省）"
    assert snapshot["joint_action"] == ["科技馆联合行动"] and snapshot["special_action"] == "否"
    assert snapshot["start_at"] == datetime.fromisoformat(data["start_at"]).astimezone(
        rules.SHANGHAI).strftime("%Y-%m-%d %H:%M")  # the organizers' wall-clock time
    assert snapshot["details"]["contact_person"] == "陈老师" and snapshot["changes"] == []
    submitted = outbox(activities, "activity_submitted")[-1]
    assert (submitted["region_code"], submitted["campaign_id"], submitted["channel"]) == (
        "440106", campaign["id"], "county_cast")


def test_times_sent_in_beijing_time_are_stored_and_answered_in_utc(activities, campaign):
    data = form(campaign)
    start = datetime.fromisoformat(data["start_at"]).astimezone(rules.SHANGHAI)
    data.update(start_at=start.isoformat(), end_at=(start + timedelta(hours=3)).isoformat())
    assert data["start_at"].endswith("+08:00")
    activity = call(activities, "submit", ADMIN_A, data)
    assert activity["start_at"] == start.astimezone(timezone.utc).isoformat()
    assert activity["end_at"] == (start + timedelta(hours=3)).astimezone(timezone.utc).isoformat()
    stored = sql(activities, "SELECT data->>'start_at' FROM activity_versions WHERE activity_id = %s",
                 (activity["id"],))[0][0]
    assert stored == start.astimezone(timezone.utc).isoformat()


def test_a_start_within_a_week_is_accepted_with_a_warning(activities, campaign):
    data = form(campaign)
    start = datetime.now(timezone.utc) + timedelta(days=3)
    data.update(start_at=start.isoformat(), end_at=(start + timedelta(hours=2)).isoformat())
    with entrypoint_hook(activities, "submit") as submit:
        activity = submit(ADMIN_A, data, locale="en")
    assert [w["code"] for w in activity["warnings"]] == ["start_within_a_week"]
    assert "7 days" in activity["warnings"][0]["message"]


def _refused(activities, error, data, user=ADMIN_A):
    # a schema's ValidationError reaches an RPC caller as InvalidInput (kepu_common.bus.rpc); a hook sees it raw
    with pytest.raises((error, ValidationError) if error is InvalidInput else error) as refused:
        call(activities, "submit", user, data)
    assert sql(activities, "SELECT count(*) FROM activities") == [(0,)]
    fields = (field_errors(refused.value.messages) if isinstance(refused.value, ValidationError)
              else refused.value.fields)
    return {name: value["code"] for name, value in fields.items()}


def test_each_broken_rule_alone_is_refused_by_name_and_nothing_is_stored(activities, campaign):
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    later = datetime.now(timezone.utc) + timedelta(days=20)
    cases = [
        ({"name": "科" * 51}, {"name": "activity_name_too_long"}),
        ({"start_at": past.isoformat()}, {"start_at": "start_not_in_future"}),
        ({"start_at": later.isoformat(), "end_at": (later - timedelta(hours=1)).isoformat()},
         {"end_at": "end_not_after_start"}),
        ({"region_code": "990000"}, {"region_code": "region_unknown"}),
        ({"supervising_category": "ministry"}, {"supervising_org_id": "supervising_category_mismatch"}),
        ({"supervising_org_id": UNVERIFIED}, {"supervising_org_id": "org_not_in_directory"}),
        ({"partner_societies": [{"org_id": UNVERIFIED}]}, {"partner_societies.0.org_id": "org_not_in_directory"}),
        ({"reservation": {"enabled": True, "url": None}}, {"reservation.url": "reservation_url_required"}),
        ({"reservation": {"enabled": True, "url": "javascript:alert(1)"}}, {"reservation.url": "reservation_url_not_web"}),
    ]
    for changes, expected in cases:
        assert _refused(activities, InvalidInput, {**form(campaign), **changes}) == expected, changes
    data = form(campaign)
    data["poster"] = dict(data["poster"], content_type="application/pdf")
    assert _refused(activities, InvalidInput, data) == {"poster": "poster_not_an_image"}
    assert _refused(activities, InvalidInput, form(campaign, supervisor=CHAOYANG_CAST, region_code="110105")) == {
        "supervising_category": "municipal_district_is_city_cast"}
    assert _refused(activities, Forbidden, form(campaign), user=PLATFORM_ADMIN) == {}  # not an organization account


def test_outside_the_campaign_window_a_422_names_the_window(activities):
    closed = open_campaign(activities, window_start="2023-08-21", window_end="2023-09-30")
    with pytest.raises(RuleBroken) as refused:
        call(activities, "submit", ADMIN_A, form(closed))
    assert refused.value.details["window_start"] == "2023-08-21" and refused.value.details["window_end"] == "2023-09-30"
    assert refused.value.payload["params"]["start"] == "2023-08-21"


def test_county_cast_route_provincial_then_national_then_public(activities, amqp_uri, campaign):
    activity = call(activities, "submit", ADMIN_A, form(campaign))
    decide(activities, amqp_uri, activity["id"], "national")  # not the stage it waits for: stale
    assert call(activities, "get_activity", activity["id"], ADMIN_A)["review_status"] == "pending_provincial"
    decide(activities, amqp_uri, activity["id"], "provincial")
    assert call(activities, "get_activity", activity["id"], ADMIN_A)["review_status"] == "pending_national"
    request = outbox(activities, "review_requested")[-1]
    assert (request["stage"], request["scope"]) == ("national", None)
    with pytest.raises(NotFound):
        call(activities, "get_activity", activity["id"])  # not public yet
    decide(activities, amqp_uri, activity["id"], "national")
    public = call(activities, "get_activity", activity["id"])
    assert public["shelf"] == "on" and "review_status" not in public
    approved = outbox(activities, "activity_approved")[-1]
    assert (approved["stage"], approved["channel"], approved["review_status"]) == ("national", "county_cast", "approved")
    page = call(activities, "list_public", {"region": "440000"})
    assert [a["id"] for a in page["items"]] == [activity["id"]] and page["total"] == 1 and not page["has_more"]


def test_a_ministry_activity_goes_to_national_review_only(activities, amqp_uri, campaign):
    activity = call(activities, "submit", ADMIN_A, form(campaign, supervisor=MINISTRY, category="ministry"))
    assert activity["review_status"] == "pending_national"
    assert (outbox(activities, "review_requested")[-1]["stage"], outbox(activities, "review_requested")[-1]["scope"]) \
        == ("national", None)
    decide(activities, amqp_uri, activity["id"], "national")
    assert call(activities, "get_activity", activity["id"], ADMIN_A)["review_status"] == "approved"


def test_a_rejection_carries_the_reason_and_an_edit_resubmits(activities, amqp_uri, campaign):
    data = form(campaign)
    activity = call(activities, "submit", ADMIN_A, data)
    decide(activities, amqp_uri, activity["id"], "provincial", "rejected", "海报缺少全国科普日标识")
    mine = call(activities, "my_activities", ADMIN_A)["items"][0]
    assert (mine["review_status"], mine["review_status_label"], mine["review_comment"], mine["rejected_stage"]) == (
        "provincial_rejected", "省管理员审批拒绝", "海报缺少全国科普日标识", "provincial")
    assert outbox(activities, "activity_rejected")[-1]["reason"] == "海报缺少全国科普日标识"
    edited = call(activities, "edit", ADMIN_A, activity["id"], {**data, "poster": poster()})
    assert (edited["review_status"], edited["review_comment"], edited["revision"]) == ("pending_provincial", "", 2)
    assert outbox(activities, "review_requested")[-1]["snapshot"]["changes"] == ["活动宣传图"]


def test_an_edit_of_an_approved_activity_re_enters_review_and_the_public_keeps_the_approved_version(
        activities, amqp_uri, campaign):
    data = form(campaign, supervisor=SOCIETY, category="national_society")
    activity = call(activities, "submit", ADMIN_A, data)
    decide(activities, amqp_uri, activity["id"], "national")
    edited = call(activities, "edit", ADMIN_A, activity["id"], {**data, "name": "气象科普开放日（第二场）",
                                                                 "supervising_org_id": TIANHE_CAST,
                                                                 "supervising_category": "county_cast"})
    assert edited["review_status"] == "pending_provincial"  # the new chain's first stage
    assert outbox(activities, "review_requested")[-1]["scope"] == "440000"
    # while the edit is reviewed, the approved version still counts (statistics, sharing, nomination)
    announced = outbox(activities, "activity_edited")[-1]
    assert (announced["channel"], announced["review_status"], announced["shelf"], announced["revision"]) == (
        "national_society", "approved", "on", 1)
    assert (announced["current_review_status"], announced["current_revision"]) == ("pending_provincial", 2)
    public = call(activities, "get_activity", activity["id"])
    assert public["name"] == data["name"] and public["supervising_unit"]["category"] == "national_society"
    decide(activities, amqp_uri, activity["id"], "provincial")
    between = outbox(activities, "activity_approved")
    assert len(between) == 1  # the provincial step of the edit is no approval yet
    decide(activities, amqp_uri, activity["id"], "national")
    approved = outbox(activities, "activity_approved")[-1]
    assert (approved["channel"], approved["review_status"], approved["revision"], approved["current_revision"]) == (
        "county_cast", "approved", 2, 2)
    assert call(activities, "get_activity", activity["id"])["name"] == "气象科普开放日（第二场）"
    calendar = Calendar.from_ical(call(activities, "calendar", activity_id=activity["id"]))
    assert calendar.walk("VEVENT")[0]["SEQUENCE"] == 1
    versions = call(activities, "versions", ADMIN_A, activity["id"])
    assert [(v["revision"], sorted(v["changes"])) for v in versions] == [
        (2, ["name", "supervising_unit"]), (1, [])]


def test_a_decision_taken_before_the_latest_edit_is_stale(activities, amqp_uri, campaign):
    activity = call(activities, "submit", ADMIN_A, form(campaign))
    before = datetime.now(timezone.utc).isoformat()
    call(activities, "edit", ADMIN_A, activity["id"], form(campaign, name="改过的名称"))
    decide(activities, amqp_uri, activity["id"], "provincial", decided_at=before)
    assert call(activities, "get_activity", activity["id"], ADMIN_A)["review_status"] == "pending_provincial"


def test_another_organization_cannot_edit_or_shelve(activities, amqp_uri, campaign):
    activity = call(activities, "submit", ADMIN_A, form(campaign))
    with pytest.raises(Forbidden):
        call(activities, "edit", ADMIN_B, activity["id"], form(campaign, name="别人的"))
    with pytest.raises(Forbidden):
        call(activities, "set_shelf", ADMIN_B, activity["id"], {"shelf": "off", "reason": "x"})
    assert sql(activities, "SELECT count(*) FROM activity_versions") == [(1,)]


def test_off_the_shelf_leaves_the_listing_and_is_cancelled_in_the_calendar(activities, amqp_uri, campaign):
    activity = call(activities, "submit", ADMIN_A, form(campaign, supervisor=MINISTRY, category="ministry"))
    with pytest.raises(Conflict):
        call(activities, "set_shelf", ADMIN_A, activity["id"], {"shelf": "off", "reason": "场地变更"})
    decide(activities, amqp_uri, activity["id"], "national")
    off = call(activities, "set_shelf", PLATFORM_ADMIN, activity["id"], {"shelf": "off", "reason": "场地变更"})
    assert (off["shelf"], off["shelf_label"], off["shelf_reason"]) == ("off", "下架", "场地变更")
    assert outbox(activities, "activity_shelved")[-1]["reason"] == "场地变更"
    assert call(activities, "list_public", {})["items"] == []
    with pytest.raises(NotFound):
        call(activities, "get_activity", activity["id"])
    event = Calendar.from_ical(call(activities, "calendar", {"region": "440000"})).walk("VEVENT")[0]
    assert event["STATUS"] == "CANCELLED"
    back = call(activities, "set_shelf", ADMIN_A, activity["id"], {"shelf": "on"})
    assert back["shelf"] == "on" and len(call(activities, "list_public", {})["items"]) == 1


def test_the_calendar_feed_names_its_organizer_links_back_and_says_when_it_changed(activities, amqp_uri, campaign):
    data = form(campaign, supervisor=MINISTRY, category="ministry")
    data["details"] = {**data["details"], "contact_email": "kepu@tianhe.example.cn"}
    activity = call(activities, "submit", ADMIN_A, data)
    decide(activities, amqp_uri, activity["id"], "national")
    feed = call(activities, "calendar_feed", activity_id=activity["id"])
    event = Calendar.from_ical(feed["text"]).walk("VEVENT")[0]
    assert str(event["ORGANIZER"]) == "mailto:kepu@tianhe.example.cn" and event["ORGANIZER"].params["CN"] == "天河区科协"
    assert "URL" not in event  # no web portal configured: no link
    rendered = datetime.fromisoformat(feed["last_modified"])
    assert rendered == event.decoded("DTSTAMP")  # the time the event was rendered, to the second
    listing = call(activities, "calendar_feed", {"region": "440000"})
    assert datetime.fromisoformat(listing["last_modified"]) >= rendered
    assert call(activities, "calendar_feed", {"time_status": "not_started"})["last_modified"] is None
    assert call(activities, "calendar", activity_id=activity["id"]) == feed["text"]  # the text alone, as before
    call(activities, "set_shelf", ADMIN_A, activity["id"], {"shelf": "off", "reason": "场地变更"})
    again = call(activities, "calendar_feed", activity_id=activity["id"])
    assert again["text"] != feed["text"] and datetime.fromisoformat(again["last_modified"]) >= rendered
    activities.config["ACTIVITIES"] = {"web_url": "https://www.kepu.example.cn/"}  # read by each worker
    linked = Calendar.from_ical(call(activities, "calendar", activity_id=activity["id"])).walk("VEVENT")[0]
    assert str(linked["URL"]) == f"https://www.kepu.example.cn/activities/{activity['id']}"


def test_the_migration_renders_every_stored_event_again_with_its_organizer(activities, amqp_uri, campaign):
    """0006 on a database that has events rendered with the placeholder organizer and no rendered_at."""
    import runpy
    from pathlib import Path

    import psycopg2
    import yoyo

    activity = call(activities, "submit", ADMIN_A, form(campaign, supervisor=MINISTRY, category="ministry"))
    decide(activities, amqp_uri, activity["id"], "national")
    step, yoyo.step = yoyo.step, (lambda apply: apply)  # the step's function, outside yoyo's collector
    try:
        migration = runpy.run_path(str(Path(catalogue.__file__).with_name("migrations") / "0007_calendar_organizer.py"))
    finally:
        yoyo.step = step
    with psycopg2.connect(activities.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("ALTER TABLE activity_calendar DROP COLUMN rendered_at")  # as before 0006
        cur.execute("UPDATE activity_calendar SET vevent = replace(vevent, 'tel:', 'mailto:noreply@x.')")
        migration["render_again"](conn)
        cur.execute("SELECT vevent, rendered_at FROM activity_calendar WHERE activity_id = %s", (activity["id"],))
        vevent, rendered_at = cur.fetchone()
    assert "noreply" not in vevent and "ORGANIZER;CN=天河区科协:tel:020-38881234" in vevent
    assert rendered_at is not None


def test_listing_filters_and_pages(activities, amqp_uri, campaign, monkeypatch):
    made = []
    for supervisor, category, region, days, youth in (
            (TIANHE_CAST, "county_cast", "440106", 12, True), (GUANGDONG_CAST, "provincial_cast", "440303", 10, False),
            (MINISTRY, "ministry", "110105", 11, False)):
        data = form(campaign, supervisor=supervisor, category=category, region_code=region, youth_festival=youth)
        start = datetime.now(timezone.utc) + timedelta(days=days)
        data.update(start_at=start.isoformat(), end_at=(start + timedelta(hours=2)).isoformat())
        activity = call(activities, "submit", ADMIN_A, data)
        for stage in (("provincial", "national") if category != "ministry" else ("national",)):
            decide(activities, amqp_uri, activity["id"], stage)
        made.append(activity["id"])

    def ids(**query):
        return [a["id"] for a in call(activities, "list_public", query)["items"]]

    assert ids() == [made[1], made[2], made[0]]  # by start
    assert ids(region="440000") == [made[1], made[0]]  # the province includes its cities and counties
    assert ids(region="440100") == [made[0]] and ids(region="440106") == [made[0]]
    assert ids(region="110000") == [made[2]]
    assert ids(supervising_category="ministry") == [made[2]] and ids(youth_festival=True) == [made[0]]
    assert ids(time_status="not_started") == [made[1], made[2], made[0]] and ids(time_status="ended") == []
    assert ids(campaign=campaign["id"], type="open_day", mode="offline") == [made[1], made[2], made[0]]
    page = call(activities, "list_public", {"page": 2, "page_size": 2})
    assert [a["id"] for a in page["items"]] == [made[0]] and page["total"] == 3 and not page["has_more"]
    assert page["total_exact"] and "details" not in page["items"][0]  # cards; the detail page has everything
    monkeypatch.setattr(catalogue, "EXACT_TOTAL_UP_TO", 2)  # beyond it, the planner's estimate, said so
    page = call(activities, "list_public", {})
    assert not page["total_exact"] and page["total"] >= 3
    with pytest.raises(InvalidInput):
        call(activities, "list_public", {"region": "990000"})
