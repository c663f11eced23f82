"""Campaigns edited by platform admins (audited), a follow-up deadline extended for one activity, nomination
quotas per supervising unit, the per-unit statistics and who sees them, and real-name-verified publishers
(issue 22)."""
import uuid
from datetime import date, timedelta

import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.contracts import make_event
from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, RuleBroken
from services.activities.tests.conftest import (
    ADMIN_A, ADMIN_B, GUANGDONG_CAST, PLATFORM_ADMIN, TIANHE_ADMIN, TIANHE_CAST, call, form, open_campaign, outbox,
    publish, sql,
)
from services.activities.tests.test_followups import approved, materials

GUANGDONG_ADMIN, UNVERIFIED_ADMIN = str(uuid.uuid4()), str(uuid.uuid4())


@pytest.fixture
def campaign(activities, amqp_uri):
    publish(activities, amqp_uri, "on_role_granted",
            make_event("role_granted", "identity", user_id=GUANGDONG_ADMIN, role="org_admin", scope=GUANGDONG_CAST,
                       actor_id=None))
    return open_campaign(activities, quotas={"county_cast": 1, "provincial_cast": 1})


def test_a_platform_admin_edits_extends_and_closes_a_campaign_audited(activities, campaign):
    end = date.fromisoformat(campaign["window_end"])
    extended = call(activities, "update_campaign", PLATFORM_ADMIN, campaign["id"],
                    {"window_end": (end + timedelta(days=10)).isoformat(), "nomination_deadline":
                     (end + timedelta(days=30)).isoformat(), "reason": "延长填报"})
    assert extended["window_end"] == (end + timedelta(days=10)).isoformat() and extended["open"]
    closed = call(activities, "update_campaign", PLATFORM_ADMIN, campaign["id"],
                  {"window_end": (date.today() - timedelta(days=1)).isoformat(), "reason": "提前结束"})
    assert closed["open"] is False
    with pytest.raises(RuleBroken) as refused:
        call(activities, "submit", ADMIN_A, form(campaign))
    assert refused.value.fields["campaign_id"]["code"] == "campaign_window_closed"
    changes = call(activities, "campaign_changes", PLATFORM_ADMIN, campaign["id"])
    assert [c["reason"] for c in changes] == ["提前结束", "延长填报"] and changes[0]["changed_by"] == PLATFORM_ADMIN
    assert changes[1]["changes"]["nomination_deadline"] == [None, (end + timedelta(days=30)).isoformat()]
    with pytest.raises(Forbidden):
        call(activities, "update_campaign", ADMIN_A, campaign["id"], {"window_end": end.isoformat(), "reason": "x"})
    with pytest.raises(Conflict):
        call(activities, "update_campaign", PLATFORM_ADMIN, campaign["id"], {"name": campaign["name"], "reason": "x"})
    with pytest.raises(InvalidInput) as refused:
        call(activities, "update_campaign", PLATFORM_ADMIN, campaign["id"], {"window_end": "2000-01-01", "reason": "x"})
    assert refused.value.fields["window_end"]["code"] == "window_end_before_start"
    with pytest.raises(ValidationError) as refused:
        call(activities, "update_campaign", PLATFORM_ADMIN, campaign["id"], {"name": "无理由"})
    assert refused.value.messages == {"reason": ["required"]}
    assert len(sql(activities, "SELECT 1 FROM campaign_changes")) == 2


def test_a_follow_up_deadline_is_extended_for_one_activity_with_a_reason(activities, amqp_uri, campaign):
    late = approved(activities, amqp_uri, campaign, ended_days_ago=12)
    with pytest.raises(RuleBroken):
        call(activities, "save_followup", ADMIN_A, late["id"], materials())
    with pytest.raises(Forbidden):
        call(activities, "extend_followup", ADMIN_A, late["id"], {"deadline": date.today().isoformat(), "reason": "x"})
    with pytest.raises(RuleBroken) as refused:
        call(activities, "extend_followup", TIANHE_ADMIN, late["id"], {"deadline": "2000-01-01", "reason": "台风停课"})
    assert refused.value.fields["deadline"]["code"] == "extension_not_later"
    granted = call(activities, "extend_followup", TIANHE_ADMIN, late["id"],
                   {"deadline": (date.today() + timedelta(days=3)).isoformat(), "reason": "台风停课，推迟总结"})
    assert granted["reason"] == "台风停课，推迟总结" and granted["granted_by"] == TIANHE_ADMIN
    done = call(activities, "save_followup", ADMIN_A, late["id"], materials())
    assert done["complete"] and done["deadline"] == (date.today() + timedelta(days=3)).isoformat()
    assert outbox(activities, "activity_followup_extended")[-1]["reason"] == "台风停课，推迟总结"
    other = approved(activities, amqp_uri, campaign, ended_days_ago=12)  # only the one activity
    with pytest.raises(RuleBroken):
        call(activities, "save_followup", ADMIN_A, other["id"], materials())


def test_quotas_are_per_supervising_unit_with_a_default_per_category(activities, amqp_uri, campaign):
    call(activities, "update_campaign", PLATFORM_ADMIN, campaign["id"],
         {"unit_quotas": {TIANHE_CAST: 2}, "reason": "天河动员成效突出"})
    tianhe = [approved(activities, amqp_uri, campaign, ended_days_ago=1) for _ in range(3)]
    guangdong = [approved(activities, amqp_uri, campaign, ended_days_ago=1, supervising_org_id=GUANGDONG_CAST,
                          supervising_category="provincial_cast") for _ in range(2)]
    for activity in tianhe + guangdong:
        call(activities, "save_followup", ADMIN_A, activity["id"], materials())
    for activity in tianhe[:2]:
        call(activities, "nominate", TIANHE_ADMIN, activity["id"])
    with pytest.raises(RuleBroken) as refused:
        call(activities, "nominate", TIANHE_ADMIN, tianhe[2]["id"])
    assert refused.value.fields["activity_id"] == {"code": "nomination_quota_full", "params": {"quota": 2}}
    call(activities, "nominate", GUANGDONG_ADMIN, guangdong[0]["id"])  # the category default: 1
    with pytest.raises(RuleBroken):
        call(activities, "nominate", GUANGDONG_ADMIN, guangdong[1]["id"])
    assert sql(activities, "SELECT count(*) FROM nominations") == [(3,)]

    figures = call(activities, "unit_stats", PLATFORM_ADMIN, {"campaign_id": campaign["id"]})
    units = {u["name"]: u for u in figures["units"]}
    assert {k: units["广州市天河区科学技术协会"][k] for k in ("approved", "followups_complete", "nominated", "quota",
                                                        "quota_left", "category_label", "province_name")} == {
        "approved": 3, "followups_complete": 3, "nominated": 2, "quota": 2, "quota_left": 0,
        "category_label": "区县科协", "province_name": "广东省"}
    assert (units["广东省科学技术协会"]["quota"], units["广东省科学技术协会"]["nominated"]) == (1, 1)
    assert figures["provinces"] == [{"province": "440000", "province_name": "广东省", "approved": 5,
                                     "followups_complete": 5, "nominated": 3, "quota": 3}]
    assert figures["labels"]["followups_complete"] == "补充信息已提交" and figures["scope"] == "all"
    own = call(activities, "unit_stats", TIANHE_ADMIN, {"campaign_id": campaign["id"]})
    assert [u["name"] for u in own["units"]] == ["广州市天河区科学技术协会"] and own["provinces"] == []
    with pytest.raises(Forbidden):
        call(activities, "unit_stats", str(uuid.uuid4()), {"campaign_id": campaign["id"]})


def test_only_real_name_verified_people_publish(activities, amqp_uri, campaign):
    publish(activities, amqp_uri, "on_role_granted",
            make_event("role_granted", "identity", user_id=UNVERIFIED_ADMIN, role="org_admin",
                       scope=sql(activities, "SELECT org_id::text FROM org_admins WHERE user_id = %s", (ADMIN_B,))[0][0],
                       actor_id=None))
    with pytest.raises(Forbidden) as refused:
        call(activities, "submit", UNVERIFIED_ADMIN, form(campaign))
    assert refused.value.fields == {"user_id": {"code": "real_name_not_verified", "params": {}}}
    assert sql(activities, "SELECT count(*) FROM activities") == [(0,)]
    publish(activities, amqp_uri, "on_user_verified",
            make_event("user_verified", "identity", verification_id=str(uuid.uuid4()), user_id=UNVERIFIED_ADMIN))
    assert call(activities, "submit", UNVERIFIED_ADMIN, form(campaign))["review_status"] == "pending_provincial"
