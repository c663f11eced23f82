import pytest

from kepu_common.interfaces.contracts import ACTIVITY_REVIEW_STATUSES, SUPERVISING_CATEGORIES
from services.activities import routing

CAST = ("provincial_cast", "city_cast", "county_cast")
NATIONAL = ("ministry", "national_society")


@pytest.mark.parametrize("category", CAST)
def test_a_cast_goes_through_its_province_then_national_review(category):
    status = routing.first_status(category)
    assert status == "pending_provincial"
    assert routing.review_request(status, category, "440000") == ("provincial", "440000")
    status = routing.after_decision(status, category, "provincial", "approved")
    assert status == "pending_national"
    assert routing.review_request(status, category, "440000") == ("national", None)
    assert routing.after_decision(status, category, "national", "approved") == "approved"


@pytest.mark.parametrize("category", NATIONAL)
def test_a_ministry_or_national_society_goes_to_national_review_only(category):
    status = routing.first_status(category)
    assert status == "pending_national"
    assert routing.review_request(status, category, "110000") == ("national", None)
    assert routing.after_decision(status, category, "national", "approved") == "approved"
    assert routing.after_decision(status, category, "provincial", "approved") is None


@pytest.mark.parametrize("category, stage, status, rejected", [
    ("county_cast", "provincial", "pending_provincial", "provincial_rejected"),
    ("county_cast", "national", "pending_national", "national_rejected"),
    ("ministry", "national", "pending_national", "national_rejected"),
])
def test_each_stage_rejects_into_its_own_status(category, stage, status, rejected):
    assert routing.after_decision(status, category, stage, "rejected") == rejected
    assert routing.review_request(rejected, category, "440000") is None


@pytest.mark.parametrize("status", ["provincial_rejected", "national_rejected", "approved", "pending_national"])
def test_a_decision_on_a_stage_not_awaited_is_stale(status):
    assert routing.after_decision(status, "city_cast", "provincial", "approved") is None


def test_a_redelivered_approval_after_the_final_one_is_stale():
    assert routing.after_decision("approved", "ministry", "national", "approved") is None


@pytest.mark.parametrize("category", SUPERVISING_CATEGORIES)
def test_an_edit_goes_back_to_the_first_stage_of_its_chain(category):
    assert routing.after_edit(category) == routing.PENDING[routing.chain(category)[0]]


def test_an_edit_that_changes_the_category_takes_the_new_chain():
    assert routing.after_edit("ministry") == "pending_national"
    assert routing.after_edit("county_cast") == "pending_provincial"


def test_every_status_is_a_contract_status():
    reachable = set(routing.PENDING.values()) | set(routing.REJECTED.values()) | {"approved"}
    assert reachable == set(ACTIVITY_REVIEW_STATUSES)
