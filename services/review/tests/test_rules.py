"""The review rules and access, as plain functions (no broker, no database)."""
from datetime import datetime, timedelta, timezone

import pytest

from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput
from services.review import rules
from services.review.access import Access

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


def task(**changes):
    base = {"status": "open", "decision": None, "claimed_by": None, "claimed_until": None}
    base.update(changes)
    return base


def test_open_unclaimed_task_can_be_approved_by_anyone_allowed():
    rules.check_decision(task(), "r1", "approved", "", NOW)


def test_rejection_needs_a_reason():
    with pytest.raises(InvalidInput) as error:
        rules.check_decision(task(), "r1", "rejected", "   ", NOW)
    assert error.value.message == "rejection_needs_reason"
    assert error.value.fields == {"comment": {"code": "rejection_needs_reason", "params": {}}}


def test_unknown_decision_is_refused():
    with pytest.raises(InvalidInput):
        rules.check_decision(task(), "r1", "maybe", "", NOW)


@pytest.mark.parametrize("status", ["decided", "superseded"])
def test_closed_tasks_cannot_be_decided_or_claimed(status):
    with pytest.raises(Conflict):
        rules.check_decision(task(status=status, decision="approved"), "r1", "approved", "", NOW)
    with pytest.raises(Conflict):
        rules.check_claim(task(status=status, decision="approved"), "r1", NOW)


def test_only_the_claimant_decides_while_the_claim_lasts():
    claimed = task(claimed_by="r1", claimed_until=NOW + timedelta(minutes=5))
    rules.check_decision(claimed, "r1", "approved", "", NOW)
    with pytest.raises(Conflict) as error:
        rules.check_decision(claimed, "r2", "approved", "", NOW)
    assert error.value.fields == {"task": {"code": "task_claimed_by_other", "params": {}}}
    with pytest.raises(Conflict):
        rules.check_claim(claimed, "r2", NOW)


def test_a_claim_lapses_after_its_time_on_the_clock_it_was_set_with():
    until = rules.claimed_until(NOW, timedelta(minutes=15))
    claimed = task(claimed_by="r1", claimed_until=until)
    assert rules.claim_holds(claimed, NOW + timedelta(minutes=14, seconds=59))
    assert not rules.claim_holds(claimed, NOW + timedelta(minutes=15))
    with pytest.raises(Conflict):
        rules.check_claim(claimed, "r2", until - timedelta(seconds=1))
    rules.check_claim(claimed, "r2", until)


@pytest.mark.parametrize("status,code", [("decided", "task_already_decided"), ("superseded", "task_superseded")])
def test_each_closed_state_has_its_own_error(status, code):
    with pytest.raises(Conflict) as error:
        rules.check_claim(task(status=status, decision="approved"), "r1", NOW)
    assert error.value.message == code


def test_an_expired_claim_frees_the_task():
    expired = task(claimed_by="r1", claimed_until=NOW - timedelta(seconds=1))
    rules.check_claim(expired, "r2", NOW)
    rules.check_decision(expired, "r2", "approved", "", NOW)
    with pytest.raises(Conflict):
        rules.check_release(expired, "r1", NOW)


def test_release_only_ones_own_live_claim():
    claimed = task(claimed_by="r1", claimed_until=NOW + timedelta(minutes=5))
    rules.check_release(claimed, "r1", NOW)
    with pytest.raises(Conflict):
        rules.check_release(claimed, "r2", NOW)


def test_access_by_stage_and_province():
    reviewer = Access([("reviewer", "initial"), ("reviewer", "provincial:440000")])
    assert reviewer.can_review("initial", None)
    assert reviewer.can_review("provincial", "440000")
    assert not reviewer.can_review("provincial", "110000")
    assert not reviewer.can_review("national", None)
    with pytest.raises(Forbidden):
        reviewer.require("scientific", None)


def test_platform_admin_sees_everything_and_nobody_else_sees_anything():
    assert Access([("platform_admin", "")]).can_review("provincial", "650000")
    assert Access([]).filter_sql() == ("false", [])
    assert Access([("platform_admin", "")]).filter_sql() == ("true", [])
