"""Membership that cannot be gamed or lost, townships, area admins and their evidence, re-verification."""
import uuid

import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.errors import Conflict, InvalidInput
from services.identity.service import IdentityService
from services.identity.tests.test_accounts import call, codes, register, sql
from services.identity.tests.test_organizations import (
    communicator, decide_org, membership_events, org_form, upload_letter, upload_licence,
)
from services.identity.tests.test_roles import id_number
from services.identity.tests.test_verification import decide, form


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


def approved_org(container, amqp_uri, registrant, name):
    org = call(container, "register_org", registrant, org_form(upload_licence(container, registrant), name=name))
    decide_org(container, amqp_uri, org["id"], "approved")
    return org


def test_joining_a_second_organization_needs_the_move_said_and_says_it(identity, amqp_uri):
    first_admin = communicator(identity, amqp_uri, "13800150001", id_number=id_number("110105", 1))
    second_admin = communicator(identity, amqp_uri, "13800150002", id_number=id_number("110105", 2))
    first = approved_org(identity, amqp_uri, first_admin, "北京市朝阳区第一科普协会")
    second = approved_org(identity, amqp_uri, second_admin, "北京市朝阳区第二科普协会")
    member = communicator(identity, amqp_uri, "13800150003", id_number=id_number("110105", 3), org_id=first["id"])
    before = membership_events(identity)
    with pytest.raises(Conflict) as error:
        call(identity, "join_org", member, second["id"])
    assert error.value.message == "already_in_another_org"
    assert codes(error) == {"move": "move_to_join"}
    assert error.value.details["current_org"] == {"id": first["id"], "name": "北京市朝阳区第一科普协会"}
    assert call(identity, "me", member)["organization"]["id"] == first["id"]  # nothing changed
    assert membership_events(identity) == before
    moved = call(identity, "join_org", member, second["id"], {"move": True})
    assert moved["id"] == second["id"] and moved["moved_from"]["id"] == first["id"]
    assert call(identity, "me", member)["organization"]["id"] == second["id"]
    assert membership_events(identity)[len(before):] == [("member_left", member, first["id"], member),
                                                         ("member_joined", member, second["id"], member)]
    again = call(identity, "join_org", member, second["id"])  # the same one again: nothing moves
    assert again["moved_from"] is None


def test_leaving_a_named_organization_leaves_that_one_or_answers_409(identity, amqp_uri):
    admin = communicator(identity, amqp_uri, "13800150011", id_number=id_number("110105", 11))
    org = approved_org(identity, amqp_uri, admin, "北京市朝阳区科普中心")
    member = communicator(identity, amqp_uri, "13800150012", id_number=id_number("110105", 12), org_id=org["id"])
    before = membership_events(identity)
    for other in (str(uuid.uuid4()), admin):  # an unknown id; a real id that is not an organization
        with pytest.raises(Conflict) as error:
            call(identity, "leave_org", member, {"org_id": other})
        assert (error.value.message, codes(error)) == ("not_a_member_of_org", {"org_id": "not_a_member"})
    assert membership_events(identity) == before
    assert call(identity, "me", member)["organization"]["id"] == org["id"]


def test_the_registrant_is_member_and_admin_even_when_they_belonged_elsewhere(identity, amqp_uri):
    other_admin = communicator(identity, amqp_uri, "13800150021", id_number=id_number("110105", 21))
    other = approved_org(identity, amqp_uri, other_admin, "北京市朝阳区老科协")
    registrant = communicator(identity, amqp_uri, "13800150022", id_number=id_number("110105", 22),
                              org_id=other["id"])
    org = approved_org(identity, amqp_uri, registrant, "北京市朝阳区青少年科普站")
    me = call(identity, "me", registrant)
    assert me["organization"]["id"] == org["id"] and [o["id"] for o in me["administers"]] == [org["id"]]
    assert [a["name"] for a in me["org_applications"]] == ["北京市朝阳区青少年科普站"]
    members = call(identity, "org_members", registrant, org["id"])["items"]
    assert [m["user_id"] for m in members] == [registrant] and members[0]["joined_at"]


def test_me_lists_organization_applications_with_status_and_reason(identity, amqp_uri):
    user = communicator(identity, amqp_uri, "13800150031", id_number=id_number("110105", 31))
    rejected = call(identity, "register_org", user, org_form(upload_licence(identity, user), name="某某科普馆"))
    decide_org(identity, amqp_uri, rejected["id"], "rejected", "营业执照模糊")
    pending = call(identity, "register_org", user, org_form(upload_licence(identity, user), name="某某科普馆二馆"))
    applications = call(identity, "me", user)["org_applications"]
    assert [(a["id"], a["status"], a["status_label"], a["review_comment"]) for a in applications] == [
        (pending["id"], "pending", "审核中", ""), (rejected["id"], "rejected", "未通过", "营业执照模糊")]


def test_a_communicator_gives_a_township_under_the_chosen_county(identity, amqp_uri):
    user = communicator(identity, amqp_uri, "13800150041", id_number=id_number("110105", 41),
                        township_code="110105001")
    verification = call(identity, "me", user)["verification"]
    assert (verification["region_code"], verification["township_code"]) == ("110105", "110105001")
    street = communicator(identity, amqp_uri, "13800150042", id_number=id_number("110105", 42),
                          region_code="110105", township_code="110105001", communicator_type="street_admin")
    seen = call(identity, "region_communicators", street, "110105001")
    assert {c["user_id"] for c in seen["items"]} == {user, street} and seen["total"] == 2


@pytest.mark.parametrize("changes,field,code", [
    ({"region_code": "110105", "township_code": "110106001"}, "township_code", "township_outside_region"),
    ({"region_code": "110000", "township_code": "110105001"}, "township_code", "township_needs_county"),
    ({"region_code": "110105", "township_code": "110105999"}, "township_code", "not_a_township"),
])
def test_a_township_outside_the_chosen_county_is_refused_and_nothing_is_stored(identity, changes, field, code):
    user_id = register(identity, "13800150043")["user"]["id"]
    with pytest.raises(InvalidInput) as error:
        call(identity, "submit_verification", user_id, form(**changes))
    assert codes(error) == {field: code}
    with pytest.raises(ValidationError) as error:  # the schema (the gateway answers it as validation_failed)
        call(identity, "submit_verification", user_id, form(township_code="11010500"))
    assert error.value.messages == {"township_code": ["township_code_format"]}
    assert sql(identity, "SELECT count(*) FROM verifications") == [(0,)]
    assert sql(identity, "SELECT count(*) FROM outbox WHERE event_type = 'review_requested'") == [(0,)]


@pytest.mark.parametrize("city,township", [("441900", "441900003"), ("442000", "442000001"), ("620200", "620200001"),
                                           ("460400", "460400100")])
def test_cities_without_counties_have_area_admins(identity, amqp_uri, city, township):
    district = communicator(identity, amqp_uri, "13800150051", id_number=id_number(city, 51), region_code=city,
                            communicator_type="district_admin")
    street = communicator(identity, amqp_uri, "13800150052", id_number=id_number(city, 52), region_code=city,
                          township_code=township, communicator_type="street_admin")
    person = communicator(identity, amqp_uri, "13800150053", id_number=id_number(city, 53), region_code=township)
    assert {"role": "district_admin", "scope": city} in call(identity, "me", district)["roles"]
    assert {"role": "street_admin", "scope": township} in call(identity, "me", street)["roles"]
    assert {c["user_id"] for c in call(identity, "region_communicators", street, township)["items"]} == {street, person}
    assert call(identity, "region_communicators", district, city)["total"] == 3


def test_the_area_list_has_a_total_a_sort_and_a_period(identity, amqp_uri):
    district = communicator(identity, amqp_uri, "13800150061", id_number=id_number("320106", 61), region_code="320106",
                            communicator_type="district_admin")
    people = [communicator(identity, amqp_uri, f"1380015006{i}", id_number=id_number("320106", 60 + i),
                           region_code="320106") for i in (2, 3, 4)]
    sql(identity, "UPDATE users SET created_at = '2026-03-01T16:30:00Z' WHERE id = %s", (people[0],))  # 3-02 in Beijing
    sql(identity, "UPDATE users SET created_at = '2026-03-02T15:59:00Z' WHERE id = %s", (people[1],))  # 3-02 23:59
    sql(identity, "UPDATE users SET created_at = '2026-03-02T16:00:00Z' WHERE id = %s", (people[2],))  # 3-03 00:00
    first = call(identity, "region_communicators", district, "320106", {"page_size": 2})
    assert first["total"] == 4 and first["has_more"] and len(first["items"]) == 2
    newest = call(identity, "region_communicators", district, "320106", {"sort": "-registered_at"})["items"]
    assert [c["user_id"] for c in newest] == [district, people[2], people[1], people[0]]
    period = call(identity, "region_communicators", district, "320106",
                  {"registered_from": "2026-03-02", "registered_to": "2026-03-02"})
    assert period["total"] == 2 and {c["user_id"] for c in period["items"]} == {people[0], people[1]}
    ids = call(identity, "region_communicator_ids", district, "320106", {"registered_from": "2026-03-03"})
    assert set(ids) == {people[2], district}
    chosen = call(identity, "region_communicators", district, "320106", {"user_ids": [people[1], people[0]]})
    assert [c["user_id"] for c in chosen["items"]] == [people[1], people[0]] and chosen["total"] == 4
    with pytest.raises(ValidationError) as error:
        call(identity, "region_communicators", district, "320106", {"sort": "name"})
    assert error.value.messages == {"sort": ["not_one_of"]}


def test_an_area_admin_claim_needs_its_letter_and_the_reviewer_sees_what_it_grants(identity, amqp_uri):
    communicator(identity, amqp_uri, "13800150071", id_number=id_number("110105", 71), township_code="110105001")
    user_id = register(identity, "13800150072")["user"]["id"]
    claim = form(id_number=id_number("110105", 72), communicator_type="street_admin", township_code="110105001")
    with pytest.raises(InvalidInput) as error:
        call(identity, "submit_verification", user_id, claim)
    assert codes(error) == {"appointment_letter_key": "appointment_letter_required"}
    someone_elses = upload_letter(identity, str(uuid.uuid4()))
    with pytest.raises(InvalidInput) as error:
        call(identity, "submit_verification", user_id, {**claim, "appointment_letter_key": someone_elses})
    assert codes(error) == {"appointment_letter_key": "not_your_upload"}
    not_an_image = upload_letter(identity, user_id, body=b"%PDF-1.4 not an image")
    with pytest.raises(InvalidInput) as error:
        call(identity, "submit_verification", user_id, {**claim, "appointment_letter_key": not_an_image})
    assert (error.value.message, codes(error)) == ("appointment_letter_not_an_image",
                                                    {"appointment_letter_key": "not_an_image"})
    assert sql(identity, "SELECT count(*) FROM verifications WHERE user_id = %s", (user_id,)) == [(0,)]
    letter = upload_letter(identity, user_id)
    call(identity, "submit_verification", user_id, {**claim, "appointment_letter_key": letter})
    snapshot = sql(identity, "SELECT payload->'snapshot' FROM outbox WHERE event_type = 'review_requested' "
                             "AND payload->'snapshot'->>'communicator_type' = 'street_admin'")[0][0]
    assert snapshot["grants"] == {"grants_role": "乡镇街道管理员", "grants_area": "北京市朝阳区建外街道",
                                  "grants_people": 1}
    assert snapshot["files"] == [{"label": "任命文件", "purpose": "licences", "key": letter,
                                  "content_type": "image/png"}]
    individual = sql(identity, "SELECT payload->'snapshot' FROM outbox WHERE event_type = 'review_requested' "
                               "AND payload->'snapshot'->>'communicator_type' = 'individual'")[0][0]
    assert "grants" not in individual and "files" not in individual


def test_re_verification_keeps_the_old_one_until_decided(identity, amqp_uri):
    admin = communicator(identity, amqp_uri, "13800150081", id_number=id_number("110105", 81))
    org = approved_org(identity, amqp_uri, admin, "北京市朝阳区科技馆")
    user = communicator(identity, amqp_uri, "13800150082", id_number=id_number("110105", 82))
    # adding the township one did not give applies at once
    added = call(identity, "request_verification_change", user, {"township_code": "110105002"})
    assert added["status"] == "approved" and added["township_code"] == "110105002"
    assert call(identity, "me", user)["verification"]["township_code"] == "110105002"
    # a new unit and organization wait for review; the old ones stay in force
    change = call(identity, "request_verification_change", user, {"unit_name": "朝阳区第二中学", "org_id": org["id"]})
    assert change["status"] == "pending"
    me = call(identity, "me", user)
    assert me["verification"]["unit_name"] == "朝阳区科协" and me["organization"] is None
    assert me["verification_change"]["id"] == change["id"]
    with pytest.raises(Conflict) as error:
        call(identity, "request_verification_change", user, {"unit_name": "朝阳区第三中学"})
    assert error.value.message == "verification_change_pending"
    review = sql(identity, "SELECT payload FROM outbox WHERE event_type = 'review_requested' "
                           "AND payload->>'subject_type' = 'verification_change'")[0][0]
    assert review["subject_id"] == change["id"] and review["snapshot"]["previous_unit_name"] == "朝阳区科协"
    decide(identity, amqp_uri, change["id"], "approved", subject_type="verification_change")
    me = call(identity, "me", user)
    assert me["verification"]["unit_name"] == "朝阳区第二中学" and me["organization"]["id"] == org["id"]
    assert me["verification_change"]["status"] == "approved"
    # a rejected change changes nothing
    refused = call(identity, "request_verification_change", user, {"township_code": "110105001"})
    decide(identity, amqp_uri, refused["id"], "rejected", "街道证明不符", subject_type="verification_change")
    me = call(identity, "me", user)
    assert me["verification"]["township_code"] == "110105002"
    assert (me["verification_change"]["status"], me["verification_change"]["review_comment"]) == (
        "rejected", "街道证明不符")


def test_a_street_admin_who_moves_township_administers_the_new_one(identity, amqp_uri):
    street = communicator(identity, amqp_uri, "13800150091", id_number=id_number("110105", 91),
                          region_code="110105001", communicator_type="street_admin")
    change = call(identity, "request_verification_change", street, {"township_code": "110105002"})
    assert change["status"] == "pending"  # an area admin's area is reviewed, never changed at once
    decide(identity, amqp_uri, change["id"], "approved", subject_type="verification_change")
    roles = call(identity, "me", street)["roles"]
    assert {"role": "street_admin", "scope": "110105002"} in roles
    assert {"role": "street_admin", "scope": "110105001"} not in roles


@pytest.mark.parametrize("body,field,code", [
    ({}, "_schema", "nothing_to_change"),
    ({"township_code": "110106001"}, "township_code", "township_outside_region"),
    ({"org_id": str(uuid.uuid4())}, "org_id", "org_not_verified"),
])
def test_bad_changes_are_named_and_store_nothing(identity, amqp_uri, body, field, code):
    user = communicator(identity, amqp_uri, "13800150101", id_number=id_number("110105", 101))
    with pytest.raises(InvalidInput) as error:
        call(identity, "request_verification_change", user, body)
    assert codes(error) == {field: code}
    assert sql(identity, "SELECT count(*) FROM verification_changes") == [(0,)]


def test_an_unverified_account_cannot_ask_for_a_change(identity):
    user = register(identity, "13800150111")["user"]["id"]
    with pytest.raises(Conflict) as error:
        call(identity, "request_verification_change", user, {"unit_name": "某单位"})
    assert error.value.message == "verification_change_needs_verified"
