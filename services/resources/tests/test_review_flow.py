import pytest

from kepu_common.interfaces.errors import Conflict
from services.resources.review_flow import (
    after_decision, after_revision, after_withdrawal, stage_to_request,
)


@pytest.mark.parametrize("status,stage,decision,expected", [
    ("pending_initial", "initial", "approved", "pending_scientific"),
    ("pending_initial", "initial", "rejected", "initial_rejected"),
    ("pending_scientific", "scientific", "approved", "published"),
    ("pending_scientific", "scientific", "rejected", "scientific_rejected"),
])
def test_decisions_move_the_resource_along(status, stage, decision, expected):
    assert after_decision(status, stage, decision) == expected


@pytest.mark.parametrize("status,stage", [
    ("pending_scientific", "initial"),   # a redelivered initial decision
    ("published", "scientific"),         # decided already
    ("pending_initial", "scientific"),   # revised after the scientific request went out
    ("withdrawn", "initial"),
])
def test_stale_decisions_change_nothing(status, stage):
    assert after_decision(status, stage, "approved") is None


def test_each_pending_status_waits_for_its_stage():
    assert stage_to_request("pending_initial") == "initial"
    assert stage_to_request("pending_scientific") == "scientific"
    assert stage_to_request("published") is None


@pytest.mark.parametrize("status", ["pending_initial", "initial_rejected", "pending_scientific", "scientific_rejected",
                                    "withdrawn"])
def test_revision_goes_back_to_initial_review(status):
    # a withdrawn resource comes back only this way: revised, then reviewed again from the start
    assert after_revision(status) == "pending_initial"


def test_a_published_resource_cannot_be_revised_in_place():
    with pytest.raises(Conflict) as error:
        after_revision("published")
    assert error.value.fields == {"status": {"code": "resource_is_published", "params": {}}}


def test_only_published_is_withdrawn():
    assert after_withdrawal("published") == "withdrawn"
    for status in ("pending_initial", "withdrawn", "initial_rejected"):
        with pytest.raises(Conflict):
            after_withdrawal(status)
