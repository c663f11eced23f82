"""The SMS channel's rules: quiet hours across midnight (Asia/Shanghai), the daily ceiling, preferences,
back-off, follow-up reminders; and who is told what for each event (fanout)."""
import uuid
from datetime import date, datetime, timezone

import pytest

from kepu_common.interfaces.errors import InvalidInput
from services.identity.notifications import fanout, kinds, rules

UTC = timezone.utc


def shanghai(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=rules.SHANGHAI)


QUIET = rules.QuietHours()


@pytest.mark.parametrize("moment, quiet", [
    (shanghai(2026, 9, 20, 21, 59), False),
    (shanghai(2026, 9, 20, 22, 0), True),
    (shanghai(2026, 9, 20, 23, 59), True),
    (shanghai(2026, 9, 21, 0, 0), True),
    (shanghai(2026, 9, 21, 7, 59), True),
    (shanghai(2026, 9, 21, 8, 0), False),
    (shanghai(2026, 9, 21, 12, 0), False),
])
def test_quiet_hours_span_midnight_in_shanghai_time(moment, quiet):
    assert QUIET.is_quiet(moment) is quiet
    assert QUIET.is_quiet(moment.astimezone(UTC)) is quiet  # the same moment stored in UTC


def test_an_sms_due_in_the_evening_waits_for_the_next_morning_and_one_after_midnight_for_the_same_morning():
    evening = shanghai(2026, 9, 20, 23, 30).astimezone(UTC)
    assert QUIET.release_at(evening) == shanghai(2026, 9, 21, 8, 0)
    assert QUIET.release_at(evening).tzinfo == UTC  # stays in the caller's zone
    night = shanghai(2026, 9, 21, 2, 15).astimezone(UTC)
    assert QUIET.release_at(night) == shanghai(2026, 9, 21, 8, 0)
    day = shanghai(2026, 9, 21, 9, 0).astimezone(UTC)
    assert QUIET.release_at(day) == day


def test_a_utc_evening_is_a_shanghai_morning():
    # 23:30 UTC is 07:30 the next day in Shanghai: quiet; 00:30 UTC is 08:30: not
    assert QUIET.is_quiet(datetime(2026, 9, 20, 23, 30, tzinfo=UTC))
    assert not QUIET.is_quiet(datetime(2026, 9, 21, 0, 30, tzinfo=UTC))


def test_quiet_hours_parse_a_daytime_window_and_off():
    lunch = rules.QuietHours.parse("12:00-13:30")
    assert lunch.is_quiet(shanghai(2026, 1, 1, 12, 45)) and not lunch.is_quiet(shanghai(2026, 1, 1, 13, 30))
    assert lunch.release_at(shanghai(2026, 1, 1, 12, 45)) == shanghai(2026, 1, 1, 13, 30)
    off = rules.QuietHours.parse("off")
    assert not any(off.is_quiet(shanghai(2026, 1, 1, h)) for h in range(24))
    assert rules.QuietHours.parse("22:00-08:00") == QUIET


def test_the_daily_window_is_the_shanghai_day():
    day, start = rules.shanghai_day(datetime(2026, 9, 20, 17, 0, tzinfo=UTC))  # 01:00 on the 21st in Shanghai
    assert day == date(2026, 9, 21)
    assert start == shanghai(2026, 9, 21, 0, 0)


@pytest.mark.parametrize("sent, ceiling, allowed", [(0, 5, True), (4, 5, True), (5, 5, False), (9, 5, False),
                                                    (0, 0, False)])
def test_the_daily_ceiling(sent, ceiling, allowed):
    assert rules.under_ceiling(sent, ceiling) is allowed


def test_retries_back_off_exponentially_up_to_a_cap_and_give_up():
    assert [rules.retry_delay(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert rules.retry_delay(20, 30) == 3600
    assert not rules.gives_up(7, 8) and rules.gives_up(8, 8)


def test_preferences_turn_sms_off_per_kind_and_the_rest_stay_on():
    assert rules.sms_wanted("verification_rejected", {})
    assert not rules.sms_wanted("verification_rejected", {"verification_rejected": False})
    assert rules.sms_wanted("org_rejected", {"verification_rejected": False})
    assert not rules.sms_wanted("verification_approved", {})  # an approval needs no action: never SMS
    effective = rules.effective_preferences({"org_rejected": False})
    assert set(effective) == set(kinds.SMS_KINDS) and effective["org_rejected"] is False
    assert all(v for k, v in effective.items() if k != "org_rejected")


def test_a_preference_for_an_unknown_kind_or_a_kind_that_never_goes_by_sms_is_refused():
    with pytest.raises(InvalidInput) as unknown:
        rules.check_preferences({"verification_rejected": False, "no_such_kind": False})
    assert unknown.value.fields["sms.no_such_kind"]["code"] == "notification_kind_unknown"
    with pytest.raises(InvalidInput) as never:
        rules.check_preferences({"verification_approved": True})
    assert never.value.fields["sms.verification_approved"]["code"] == "notification_sms_not_offered"
    # turning off a kind that never goes by SMS is harmless and accepted
    assert rules.check_preferences({"verification_approved": False}) == {"verification_approved": False}


@pytest.mark.parametrize("today, due", [
    (date(2026, 10, 1), []),
    (date(2026, 10, 6), []),
    (date(2026, 10, 7), ["activity_followup_due_3d"]),
    (date(2026, 10, 8), ["activity_followup_due_3d"]),
    (date(2026, 10, 9), ["activity_followup_due_1d"]),
    (date(2026, 10, 10), ["activity_followup_due_1d"]),
    (date(2026, 10, 11), ["activity_followup_missed"]),
])
def test_follow_up_reminders_three_days_and_one_day_before_then_missed(today, due):
    assert rules.followup_reminders_due(date(2026, 10, 10), today) == due


# --- fanout --------------------------------------------------------------------------------------------------

def event(event_type, **fields):
    return {"event_id": uuid.uuid4(), "event_type": event_type, **fields}


def test_a_verification_tells_its_person_with_the_reason():
    user = uuid.uuid4()
    [notice] = fanout.notices(event("user_verification_rejected", user_id=user, comment="照片不清晰"))
    assert (notice.kind, notice.user_id, notice.params) == ("verification_rejected", str(user), {"reason": "照片不清晰"})
    [approved] = fanout.notices(event("user_verified", user_id=user, comment=""))
    assert approved.kind == "verification_approved"


def test_an_organization_decision_tells_its_registrant_and_names_the_organization():
    org, registrant = uuid.uuid4(), uuid.uuid4()
    [notice] = fanout.notices(event("org_rejected", org_id=org, registrant_id=registrant, comment="执照过期"))
    assert notice.kind == "org_rejected" and notice.user_id == str(registrant)
    assert notice.params["reason"] == "执照过期" and notice.needs == (("org_name", "organization", str(org)),)


def test_only_area_admin_roles_are_told():
    user = uuid.uuid4()
    [notice] = fanout.notices(event("role_granted", user_id=user, role="street_admin", scope="110108001"),
                              area_name=lambda code: "北京市海淀区某街道")
    assert notice.kind == "area_admin_granted" and notice.params["area_name"] == "北京市海淀区某街道"
    assert fanout.notices(event("role_granted", user_id=user, role="communicator", scope="")) == []
    assert fanout.notices(event("role_granted", user_id=user, role="org_admin", scope=str(uuid.uuid4()))) == []


@pytest.mark.parametrize("previous, status, kind", [
    ("pending_initial", "pending_scientific", "resource_initial_passed"),
    ("pending_initial", "initial_rejected", "resource_initial_rejected"),
    ("pending_scientific", "scientific_rejected", "resource_scientific_rejected"),
    ("pending_scientific", "published", "resource_published"),
    (None, "pending_initial", None),  # a submission tells nobody
    ("published", "withdrawn", None),  # nor does the organization's own withdrawal
    ("initial_rejected", "pending_initial", None),
])
def test_resource_transitions(previous, status, kind):
    org, resource = uuid.uuid4(), uuid.uuid4()
    found = fanout.notices(event("resource_status_changed", resource_id=resource, org_id=org, type="article",
                                 status=status, previous_status=previous))
    assert [n.kind for n in found] == ([kind] if kind else [])
    for notice in found:
        assert notice.org_id == str(org) and notice.needs == (("title", "resource", str(resource)),)


def activity_event(event_type, **fields):
    return event(event_type, activity_id=uuid.uuid4(), org_id=uuid.uuid4(), shelf="on", **fields)


@pytest.mark.parametrize("event_type, stage, kind", [
    ("activity_approved", "national", "activity_national_approved"),
    ("activity_rejected", "provincial", "activity_provincial_rejected"),
    ("activity_rejected", "national", "activity_national_rejected"),
])
def test_activity_decisions_at_each_stage(event_type, stage, kind):
    [notice] = fanout.notices(activity_event(event_type, stage=stage, reason="时间填写有误",
                                             review_status=fanout.DECIDED_STATUSES[(event_type, stage)]))
    assert notice.kind == kind
    assert ("reason" in notice.params) == kind.endswith("rejected")


def test_a_provincial_approval_is_read_from_reviews_decision_and_told_to_the_activitys_organization():
    activity = uuid.uuid4()
    decided = event("review_decided", subject_type="activity", subject_id=str(activity), stage="provincial",
                    decision="approved", comment="")
    [notice] = fanout.notices(decided)
    assert notice.kind == "activity_provincial_approved" and notice.org_of == ("activity", str(activity))
    assert notice.user_id is None and notice.org_id is None
    for other in ({"stage": "national"}, {"decision": "rejected"}, {"subject_type": "resource"}):
        assert fanout.notices(dict(decided, **other)) == []
    # activities publishes activity_approved only at the end of the route: no second provincial notice from it
    assert fanout.notices(activity_event("activity_approved", stage="provincial")) == []


def test_shelving_off_tells_unless_the_organization_did_it_and_on_tells_nobody():
    actor = uuid.uuid4()
    [notice] = fanout.notices(dict(activity_event("activity_shelved", reason="内容违规", actor_id=str(actor)),
                                   shelf="off"))
    assert notice.kind == "activity_shelved_by_admin" and notice.skip_actor == str(actor)
    assert fanout.notices(activity_event("activity_shelved", reason="")) == []


@pytest.mark.parametrize("event_type, stage, review_status, current, kind", [
    # a first version: both fields say the same
    ("activity_approved", "national", "approved", "approved", "activity_national_approved"),
    ("activity_rejected", "provincial", "provincial_rejected", "provincial_rejected", "activity_provincial_rejected"),
    # an edit of an approved activity: review_status stays "approved" (the public version), the decision is the
    # edit's (current_review_status); a rejected edit is told as the rejection it is
    ("activity_rejected", "provincial", "approved", "provincial_rejected", "activity_provincial_rejected"),
    ("activity_rejected", "national", "approved", "national_rejected", "activity_national_rejected"),
    ("activity_approved", "national", "approved", "approved", "activity_national_approved"),
    # an event from before current_review_status existed reads review_status
    ("activity_rejected", "national", "national_rejected", None, "activity_national_rejected"),
    # an approval event whose submitted version is not approved, a rejection whose version is not rejected at
    # that stage: no decision on what the owner submitted, nobody told (never "approved" for a rejected edit)
    ("activity_approved", "national", "approved", "national_rejected", None),
    ("activity_approved", "national", "approved", "pending_national", None),
    ("activity_rejected", "provincial", "approved", "national_rejected", None),
    ("activity_rejected", "national", "approved", "approved", None),
])
def test_activity_decisions_read_the_submitted_versions_status(event_type, stage, review_status, current, kind):
    fields = {"current_review_status": current} if current else {}
    found = fanout.notices(activity_event(event_type, stage=stage, review_status=review_status, reason="时间有误",
                                          **fields))
    assert [n.kind for n in found] == ([kind] if kind else [])
    assert all(n.params["reason"] == "时间有误" for n in found if n.kind.endswith("rejected"))


def test_a_withdrawn_nomination_tells_the_activitys_organization():
    withdrawn = activity_event("activity_nomination_withdrawn", review_status="approved", reason="材料不全")
    [notice] = fanout.notices(withdrawn)
    assert notice.kind == "activity_nomination_withdrawn" and notice.org_id == str(withdrawn["org_id"])
    assert notice.needs == (("title", "activity", str(withdrawn["activity_id"])),)


def redemption(event_type, **fields):
    base = {"redemption_id": uuid.uuid4(), "user_id": uuid.uuid4(), "item_id": uuid.uuid4(), "item_name": "科普望远镜",
            "quantity": 1, "points": 500, "method": None, "pickup_site_id": None, "pickup_site_name": None,
            "carrier": None, "tracking_number": None, "pickup_code": None, "cancelled_by": None, "reason": None}
    return event(event_type, **dict(base, **fields))


def test_a_posted_prize_tells_its_person_the_carrier_and_tracking_number():
    posted = redemption("redemption_fulfilled", method="delivery", carrier="顺丰", tracking_number="SF123456789")
    [notice] = fanout.notices(posted)
    assert notice.kind == "redemption_fulfilled_delivery" and notice.user_id == str(posted["user_id"])
    assert notice.params == {"redemption_id": str(posted["redemption_id"]), "item": "科普望远镜", "carrier": "顺丰",
                             "tracking_number": "SF123456789"}
    assert kinds.KINDS[notice.kind].sms


def test_a_prize_to_collect_tells_the_code_and_the_site_and_a_site_without_a_name_reads_its_fallback():
    ready = redemption("redemption_fulfilled", method="pickup", pickup_code="K7Q2M9", pickup_site_name="科技馆服务台")
    [notice] = fanout.notices(ready)
    assert notice.kind == "redemption_fulfilled_pickup" and kinds.KINDS[notice.kind].sms
    assert (notice.params["pickup_code"], notice.params["pickup_place"]) == ("K7Q2M9", "科技馆服务台")
    [unnamed] = fanout.notices(redemption("redemption_fulfilled", method=None, pickup_code="K7Q2M9"))
    assert unnamed.kind == "redemption_fulfilled_pickup" and unnamed.params["pickup_place"] == ""
    from services.identity.notifications import texts
    assert "兑换详情所示的领取点" in texts.render(unnamed.kind, unnamed.params)["body"]
    # fulfilled with neither a tracking number nor a code: nothing the person could act on
    assert fanout.notices(redemption("redemption_fulfilled", method="delivery")) == []


def test_a_cancellation_by_an_admin_tells_the_reason_and_one_by_the_owner_tells_nobody():
    [notice] = fanout.notices(redemption("redemption_cancelled", cancelled_by="admin", reason="库存不足"))
    assert notice.kind == "redemption_cancelled" and notice.params["reason"] == "库存不足"
    [silent_admin] = fanout.notices(redemption("redemption_cancelled", cancelled_by="admin", reason=None))
    assert silent_admin.params["reason"] == ""
    assert fanout.notices(redemption("redemption_cancelled", cancelled_by="owner")) == []


def test_consumed_kinds_wait_for_nothing():
    consumed = {"activity_nomination_withdrawn", "redemption_fulfilled_delivery", "redemption_fulfilled_pickup",
                "redemption_cancelled"}
    assert all(kinds.KINDS[name].waiting_for == "" for name in consumed)
    assert {"activity_nomination_withdrawn", "redemption_fulfilled", "redemption_cancelled"} <= set(fanout.CONSUMED)


def test_a_community_decision_tells_its_creator_by_name():
    creator, community = uuid.uuid4(), uuid.uuid4()
    for event_type in ("community_approved", "community_rejected"):
        [notice] = fanout.notices(event(event_type, community_id=community, creator_id=creator, name="天文爱好者",
                                        topic="astronomy", region_code="110108", status="approved"))
        assert (notice.kind, notice.user_id, notice.params) == (
            event_type, str(creator), {"community_id": str(community), "name": "天文爱好者"})
        assert not kinds.KINDS[notice.kind].sms
        assert kinds.link(kinds.KINDS[notice.kind], notice.params)["path"] == f"/communities/{community}"
    assert fanout.notices(event("community_submitted", community_id=community, creator_id=creator, name="x",
                                topic="t", region_code="110108", status="pending")) == []


def post_event(event_type, **fields):
    return event(event_type, **dict({"post_id": uuid.uuid4(), "community_id": uuid.uuid4(),
                                     "author_id": uuid.uuid4(), "status": "rejected", "pinned": False,
                                     "actor_id": str(uuid.uuid4())}, **fields))


def comment_event(event_type, **fields):
    return event(event_type, **dict({"comment_id": uuid.uuid4(), "target_type": "resource",
                                     "target_id": uuid.uuid4(), "parent_id": None, "author_id": uuid.uuid4(),
                                     "status": "rejected", "actor_id": str(uuid.uuid4())}, **fields))


@pytest.mark.parametrize("event_type", ["post_rejected", "post_hidden"])
def test_a_rejected_or_hidden_post_tells_its_author_naming_the_community(event_type):
    post = post_event(event_type)
    [notice] = fanout.notices(post)
    assert notice.kind == event_type and notice.user_id == str(post["author_id"]) and not kinds.KINDS[event_type].sms
    assert notice.needs == (("community_name", "community", str(post["community_id"])),)
    assert kinds.link(kinds.KINDS[event_type], notice.params) == {
        "target": "post", "id": str(post["post_id"]),
        "path": f"/communities/{post['community_id']}/posts/{post['post_id']}"}


@pytest.mark.parametrize("target_type, path", [("resource", "/resources/{}"), ("activity", "/activities/{}"),
                                               ("post", "/posts/{}")])
@pytest.mark.parametrize("event_type", ["comment_rejected", "comment_hidden"])
def test_a_rejected_or_hidden_comment_tells_its_author_and_links_the_page_it_is_on(event_type, target_type, path):
    comment = comment_event(event_type, target_type=target_type)
    [notice] = fanout.notices(comment)
    assert notice.kind == event_type and notice.user_id == str(comment["author_id"])
    assert kinds.link(kinds.KINDS[event_type], notice.params) == {
        "target": "comment", "id": str(comment["comment_id"]), "path": path.format(comment["target_id"])}


def test_an_author_who_hid_their_own_post_or_comment_is_not_told_and_other_social_events_tell_nobody():
    author = uuid.uuid4()
    assert fanout.notices(post_event("post_hidden", author_id=author, actor_id=str(author))) == []
    assert fanout.notices(comment_event("comment_hidden", author_id=author, actor_id=str(author))) == []
    for event_type in ("post_published", "post_held", "post_restored", "post_pinned"):
        assert fanout.notices(post_event(event_type)) == []
    for event_type in ("comment_published", "comment_held", "comment_restored"):
        assert fanout.notices(comment_event(event_type)) == []


def test_events_that_tell_nobody():
    assert fanout.notices(activity_event("activity_submitted")) == []
    assert fanout.notices(activity_event("activity_followup_submitted")) == []
    assert fanout.notices(activity_event("activity_followup_extended", review_status="approved")) == []
    assert fanout.notices(event("user_registered", user_id=uuid.uuid4())) == []


def test_every_consumed_event_maps_to_kinds_that_exist():
    assert set(fanout.RESOURCE_KINDS.values()) <= set(kinds.KINDS)
    assert set(fanout.ACTIVITY_DECISIONS.values()) <= set(kinds.KINDS)


def test_names_come_from_review_snapshots_of_resources_and_activities_only():
    assert fanout.subject_name({"subject_type": "resource", "subject_id": "r1", "snapshot": {"title": "防溺水"}}) \
        == ("resource", "r1", "防溺水", None)
    assert fanout.subject_name({"subject_type": "activity", "subject_id": "a1",
                                "snapshot": {"name": "科普日", "org_id": "o1"}}) == ("activity", "a1", "科普日", "o1")
    assert fanout.subject_name({"subject_type": "organization", "subject_id": "o", "snapshot": {"name": "x"}}) is None



def test_the_file_sender_is_refused_in_production_and_fails_while_its_outage_switch_is_on(tmp_path):
    from services.identity.notifications.channels import NotificationConfig

    with pytest.raises(ValueError):
        NotificationConfig({"environment": "production"}, {"sms_sender": "file", "sms_file_dir": str(tmp_path)})
    sender = NotificationConfig({"environment": "development"},
                                {"sms_sender": "file", "sms_file_dir": str(tmp_path)}).sender
    (tmp_path / "OUTAGE").touch()
    with pytest.raises(ConnectionError):
        sender.send_notice("13800000000", "KEPU_X", {}, "【科普中国】x", "1")
    (tmp_path / "OUTAGE").unlink()
    sender.send_notice("13800000000", "KEPU_X", {}, "【科普中国】x", "1")
    assert (tmp_path / "sms.jsonl").read_text(encoding="utf-8").count("\n") == 1


def test_a_reviewers_overdue_or_reassigned_task_tells_the_claimant():
    reviewer, task = uuid.uuid4(), uuid.uuid4()
    for event_type in ("review_task_overdue", "review_task_released"):
        [notice] = fanout.notices(event(event_type, task_id=str(task), user_id=str(reviewer), subject="越秀科普开放日",
                                        stage="provincial", stage_label="省级审批", sla_hours=8.0))
        assert (notice.kind, notice.user_id, notice.params) == (event_type, str(reviewer), {
            "task_id": str(task), "subject": "越秀科普开放日", "stage_label": "省级审批", "sla_hours": 8})
        assert kinds.KINDS[event_type].waiting_for == "" and event_type in fanout.CONSUMED
