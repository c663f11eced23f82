"""Communicator verification with the review round trip driven by review_decided events."""
import json
import logging
import uuid
from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError
from nameko.testing.services import entrypoint_waiter

from kepu_common.interfaces.contracts import make_event
from kepu_common.interfaces.errors import Conflict, InvalidInput
from kepu_common.devtools.testing import publish_events
from services.identity.service import IdentityService
from services.identity.tests.test_accounts import call, codes, register, sql

ID_NUMBER = "11010519491231002X"  # the standard's own example: valid check digit


def form(**changes):
    data = {"real_name": "张科普", "id_number": ID_NUMBER, "unit_name": "朝阳区科协", "unit_address": "北京市朝阳区",
            "communicator_type": "individual", "region_code": "110105"}
    data.update(changes)
    return data


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


@pytest.fixture
def user_id(identity):
    return register(identity, "13800139000")["user"]["id"]


def decide(container, amqp_uri, subject_id, decision, comment="", subject_type="communicator_verification",
           stage="realname"):
    """Publish the review service's decision, as it would, and wait until identity has applied it."""
    event = make_event("review_decided", "review", task_id=str(uuid.uuid4()), subject_type=subject_type,
                       subject_id=str(subject_id), stage=stage, decision=decision, comment=comment,
                       reviewer_id="reviewer-1", decided_at=datetime.now(timezone.utc).isoformat())
    with entrypoint_waiter(container, "on_review_decided"):
        publish_events(amqp_uri, [event])
    return event


def test_submission_is_pending_and_requests_review_with_a_masked_snapshot(identity, user_id):
    result = call(identity, "submit_verification", user_id, form())
    assert result["status"] == "pending" and result["id_number"] == "1101**********002X"
    events = dict(sql(identity, "SELECT event_type, payload FROM outbox WHERE event_type IN "
                                "('verification_submitted', 'review_requested')"))
    review = events["review_requested"]
    assert (review["stage"], review["scope"], review["subject_id"]) == ("realname", "110000", result["id"])
    assert review["snapshot"]["id_number"] == "1101**********002X"
    assert review["snapshot"]["region"] == "北京市朝阳区"
    assert ID_NUMBER not in json.dumps(events, ensure_ascii=False)


def test_id_number_is_not_stored_in_clear(identity, user_id):
    call(identity, "submit_verification", user_id, form())
    dump = sql(identity, "SELECT v::text FROM verifications v")[0][0]
    assert ID_NUMBER not in dump and ID_NUMBER[:17] not in dump


def test_id_number_never_reaches_the_logs(identity, user_id, caplog):
    with caplog.at_level(logging.DEBUG):
        call(identity, "submit_verification", user_id, form())
        with pytest.raises(Conflict):
            call(identity, "submit_verification", user_id, form())
    assert ID_NUMBER[:17] not in caplog.text


def test_approval_by_event_makes_a_communicator_once(identity, user_id, amqp_uri):
    submitted = call(identity, "submit_verification", user_id, form())
    event = decide(identity, amqp_uri, submitted["id"], "approved")
    me = call(identity, "me", user_id)
    assert me["verification"]["status"] == "approved"
    assert {"role": "communicator", "scope": ""} in me["roles"]
    # the same decision redelivered changes nothing
    with entrypoint_waiter(identity, "on_review_decided"):
        publish_events(amqp_uri, [event])
    assert sql(identity, "SELECT count(*) FROM outbox WHERE event_type = 'user_verified'") == [(1,)]
    assert sql(identity, "SELECT count(*) FROM role_audit WHERE role = 'communicator'") == [(1,)]


def test_rejection_carries_the_reason_and_allows_resubmission(identity, user_id, amqp_uri):
    submitted = call(identity, "submit_verification", user_id, form())
    decide(identity, amqp_uri, submitted["id"], "rejected", "姓名与证件不符")
    me = call(identity, "me", user_id)
    assert (me["verification"]["status"], me["verification"]["review_comment"]) == ("rejected", "姓名与证件不符")
    assert me["roles"] == []
    again = call(identity, "submit_verification", user_id, form(real_name="张科普员"))
    assert again["status"] == "pending"


def test_one_id_number_one_account(identity, user_id):
    call(identity, "submit_verification", user_id, form())
    other = register(identity, "13800139001")["user"]["id"]
    with pytest.raises(Conflict) as error:
        call(identity, "submit_verification", other, form(id_number=ID_NUMBER.lower()))
    assert (error.value.message, codes(error)) == ("id_number_taken", {"id_number": "id_number_taken"})


def test_one_id_number_one_account_whatever_digits_it_is_typed_with(identity, user_id):
    full_width = ID_NUMBER.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert call(identity, "submit_verification", user_id, form(id_number=full_width))["id_number"] == \
        "1101**********002X"
    other = register(identity, "13800139002")["user"]["id"]
    with pytest.raises(Conflict) as error:
        call(identity, "submit_verification", other, form(
            id_number=ID_NUMBER.translate(str.maketrans("0123456789", "०१२३४५६७८९")), region_code="११०१०५"))
    assert codes(error) == {"id_number": "id_number_taken"}


def test_second_submission_while_pending_is_refused(identity, user_id):
    call(identity, "submit_verification", user_id, form())
    with pytest.raises(Conflict) as error:
        call(identity, "submit_verification", user_id, form())
    assert error.value.message == "verification_exists"


@pytest.mark.parametrize("number,reason", [
    ("1101051949123100", "id_format"), ("11010519491231002Y", "id_format"),
    ("11010519491231003X", "id_checksum"), ("99010519491231002X", "id_province"),
    ("11010519491332002X", "id_birth_date"), ("11010521491231002X", "id_birth_implausible"),
])
def test_invalid_id_numbers_say_why(identity, user_id, number, reason):
    with pytest.raises(InvalidInput) as error:
        call(identity, "submit_verification", user_id, form(id_number=number))
    assert (error.value.message, codes(error)) == ("id_number_invalid", {"id_number": reason})
    assert sql(identity, "SELECT count(*) FROM verifications") == [(0,)]


def test_unknown_division_code_is_refused(identity, user_id):
    with pytest.raises(InvalidInput) as error:
        call(identity, "submit_verification", user_id, form(region_code="110199"))
    assert codes(error) == {"region_code": "region_unknown"}


def test_organization_must_be_verified(identity, user_id):
    with pytest.raises(InvalidInput) as error:
        call(identity, "submit_verification", user_id, form(org_id=str(uuid.uuid4())))
    assert codes(error) == {"org_id": "org_not_verified"}


def test_form_errors_name_the_fields(identity, user_id):
    with pytest.raises(ValidationError) as error:
        call(identity, "submit_verification", user_id, form(real_name="张", communicator_type="boss"))
    assert set(error.value.messages) == {"real_name", "communicator_type"}
