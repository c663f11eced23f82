"""The effects of a review decision and of a membership change: pure rules, each broken alone."""
import uuid

from services.identity import effects

USER, ORG, REGISTRANT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def verification(org_id=None):
    return {"id": uuid.uuid4(), "user_id": USER, "org_id": org_id, "region_code": "110105",
            "communicator_type": "individual"}


def test_approved_verification_grants_communicator_and_says_who_the_communicator_is():
    pending = verification()
    outcome = effects.verification_decided(pending, "approved", "", "reviewer-1")
    assert outcome.status == "approved"
    assert [(g.user_id, g.role, g.scope) for g in outcome.grants] == [(USER, "communicator", "")]
    assert "reviewer-1" in outcome.grants[0].note
    assert outcome.placements == ()
    [(event_type, payload)] = outcome.events
    assert event_type == "user_verified"
    assert (payload["region_code"], payload["communicator_type"], payload["org_id"]) == ("110105", "individual", None)


def test_approved_verification_with_an_organization_makes_a_member():
    outcome = effects.verification_decided(verification(ORG), "approved", "", "reviewer-1")
    assert outcome.placements == (effects.Placement(USER, ORG, move=True),)
    assert outcome.events[0][1]["org_id"] == ORG


def test_rejected_verification_grants_nothing_and_keeps_the_reason():
    outcome = effects.verification_decided(verification(ORG), "rejected", "姓名与证件不符", "reviewer-1")
    assert (outcome.status, outcome.comment, outcome.grants, outcome.placements) == (
        "rejected", "姓名与证件不符", (), ())
    assert [event_type for event_type, _ in outcome.events] == ["user_verification_rejected"]
    assert outcome.events[0][1]["comment"] == "姓名与证件不符"


def org():
    return {"id": ORG, "registrant_id": REGISTRANT, "name": "某科协"}


def test_approving_an_organization_makes_its_registrant_org_admin_and_member():
    outcome = effects.org_decided(org(), "approved", "", "reviewer-2", name_taken=False)
    assert outcome.status == "approved"
    assert [(g.user_id, g.role, g.scope) for g in outcome.grants] == [(REGISTRANT, "org_admin", str(ORG))]
    # a registrant who belongs to another organization moves to the one they registered
    assert outcome.placements == (effects.Placement(REGISTRANT, ORG, move=True),)
    assert [event_type for event_type, _ in outcome.events] == ["org_verified"]


def test_approval_loses_to_an_organization_of_the_same_name_approved_first():
    outcome = effects.org_decided(org(), "approved", "", "reviewer-2", name_taken=True)
    assert (outcome.status, outcome.comment) == ("rejected", effects.NAME_TAKEN_COMMENT)
    assert outcome.grants == () and outcome.placements == ()
    assert outcome.events == (("org_rejected", {"org_id": ORG, "registrant_id": REGISTRANT,
                                                "comment": effects.NAME_TAKEN_COMMENT}),)


def test_rejecting_an_organization_grants_nothing():
    outcome = effects.org_decided(org(), "rejected", "营业执照不清晰", "reviewer-2", name_taken=False)
    assert (outcome.status, outcome.comment, outcome.grants, outcome.placements) == (
        "rejected", "营业执照不清晰", (), ())


def test_membership_events():
    other = uuid.uuid4()
    assert effects.membership_events(USER, None, ORG, USER) == [
        ("member_joined", {"user_id": USER, "org_id": ORG, "actor_id": USER})]
    assert [e for e, _ in effects.membership_events(USER, other, ORG)] == ["member_left", "member_joined"]
    assert effects.membership_events(USER, ORG, None, REGISTRANT) == [
        ("member_left", {"user_id": USER, "org_id": ORG, "actor_id": REGISTRANT})]
    assert effects.membership_events(USER, ORG, str(ORG)) == []  # no change, whatever the id's type


def test_an_approved_district_admin_gets_the_role_over_their_county():
    pending = {**verification(), "communicator_type": "district_admin"}
    outcome = effects.verification_decided(pending, "approved", "", "reviewer-1")
    assert [(g.role, g.scope) for g in outcome.grants] == [("communicator", ""), ("district_admin", "110105")]


def test_an_approved_street_admin_gets_the_role_over_their_township():
    pending = {**verification(), "communicator_type": "street_admin", "township_code": "110105001"}
    outcome = effects.verification_decided(pending, "approved", "", "reviewer-1")
    assert [(g.role, g.scope) for g in outcome.grants] == [("communicator", ""), ("street_admin", "110105001")]
    assert outcome.events[0][1]["region_code"] == "110105"  # events keep the county: every consumer reads 6 digits


def test_a_rejected_area_admin_gets_no_role():
    pending = {**verification(), "communicator_type": "street_admin", "township_code": "110105001"}
    assert effects.verification_decided(pending, "rejected", "不在该街道工作", "reviewer-1").grants == ()
