"""Organization entry, the directory, membership and area views."""
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, NotFound
from kepu_common.data.storage import Storage
from services.identity import organizations
from services.identity.cli import create_admin
from services.identity.service import IdentityService
from services.identity.tests.test_accounts import call, codes, register, sql
from services.identity.tests.test_verification import decide, form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


def communicator(container, amqp_uri, phone, id_number="11010519491231002X", **changes):
    user_id = register(container, phone)["user"]["id"]
    if changes.get("communicator_type") in ("district_admin", "street_admin"):  # they show an appointment letter
        changes.setdefault("appointment_letter_key", upload_letter(container, user_id))
    submitted = call(container, "submit_verification", user_id, form(id_number=id_number, **changes))
    decide(container, amqp_uri, submitted["id"], "approved")
    return user_id


def upload_licence(container, user_id, body=PNG):
    storage = Storage.from_config(container.config["STORAGE"])
    key = f"licences/{user_id}/{uuid.uuid4().hex}"
    storage.client.put_object(storage.bucket("licences"), key, io.BytesIO(body), len(body))
    return key


def upload_letter(container, user_id, body=PNG):
    storage = Storage.from_config(container.config["STORAGE"])
    key = f"appointments/{user_id}/{uuid.uuid4().hex}"
    storage.client.put_object(storage.bucket("licences"), key, io.BytesIO(body), len(body))
    return key


def org_form(licence_key, **changes):
    data = {"name": "北京市朝阳区科学技术协会", "category": "county_cast", "region_code": "110105",
            "licence_key": licence_key, "contact_name": "李联络", "contact_phone": "010-65000000"}
    data.update(changes)
    return data


def decide_org(container, amqp_uri, org_id, decision, comment=""):
    decide(container, amqp_uri, org_id, decision, comment, subject_type="organization", stage="org")


@pytest.fixture
def approved_org(identity, amqp_uri):
    admin = communicator(identity, amqp_uri, "13800140000")
    org = call(identity, "register_org", admin, org_form(upload_licence(identity, admin)))
    decide_org(identity, amqp_uri, org["id"], "approved")
    return admin, org


def test_entry_review_and_directory(identity, amqp_uri, approved_org):
    admin, org = approved_org
    assert call(identity, "get_org", org["id"])["status"] == "approved"
    me = call(identity, "me", admin)
    assert {"role": "org_admin", "scope": org["id"]} in me["roles"]
    review = sql(identity, "SELECT payload FROM outbox WHERE event_type = 'review_requested' "
                           "AND payload->>'stage' = 'org'")[0][0]
    assert review["snapshot"]["licence_key"].startswith(f"licences/{admin}/")
    assert review["scope"] == "110000"
    hits = call(identity, "search_orgs", {"q": "科学技术"})
    assert [h["name"] for h in hits] == ["北京市朝阳区科学技术协会"] and hits[0]["match"] == "contains"
    assert call(identity, "search_orgs", {"q": "北京市朝阳区"})[0]["match"] == "prefix"
    assert call(identity, "search_orgs", {"q": "北京市朝阳区科学技术协会"})[0]["match"] == "exact"
    for short_form in ("科协", "朝阳区科协", "北京朝阳", "北京朝阳科协", "北京市朝阳区科协", "北 京 朝 阳"):
        assert [h["name"] for h in call(identity, "search_orgs", {"q": short_form})] == ["北京市朝阳区科学技术协会"]
    assert call(identity, "search_orgs", {"q": "北京朝阳科协"})[0]["match"] == "exact"
    assert call(identity, "search_orgs", {"q": "北京朝阳"})[0]["match"] == "prefix"
    assert call(identity, "search_orgs", {"q": "朝阳区科协"})[0]["match"] == "contains"
    assert call(identity, "search_orgs", {"q": "广东省科协"}) == []
    assert call(identity, "search_orgs", {"q": "上海朝阳"}) == []
    assert call(identity, "search_orgs", {"q": "朝阳", "region": "110000"})  # district under its municipality
    assert call(identity, "search_orgs", {"q": "朝阳", "region": "310000"}) == []
    assert call(identity, "search_orgs", {"q": "朝阳", "category": "school"}) == []


def test_pending_and_rejected_organizations_stay_out_of_the_directory(identity, amqp_uri):
    admin = communicator(identity, amqp_uri, "13800140001")
    org = call(identity, "register_org", admin, org_form(upload_licence(identity, admin), name="某某科技有限公司",
                                                          category="enterprise"))
    assert call(identity, "search_orgs", {"q": "科技"}) == []
    decide_org(identity, amqp_uri, org["id"], "rejected", "营业执照不清晰")
    rejected = call(identity, "get_org", org["id"])
    assert (rejected["status"], rejected["review_comment"]) == ("rejected", "营业执照不清晰")
    assert call(identity, "search_orgs", {"q": "科技"}) == []


def test_only_verified_communicators_register(identity):
    user = register(identity, "13800140002")["user"]["id"]
    with pytest.raises(Forbidden):
        call(identity, "register_org", user, org_form(upload_licence(identity, user)))
    assert sql(identity, "SELECT count(*) FROM organizations") == [(0,)]


def test_licence_must_be_an_image_of_ones_own(identity, amqp_uri):
    admin = communicator(identity, amqp_uri, "13800140003")
    with pytest.raises(InvalidInput) as error:
        call(identity, "register_org", admin, org_form(upload_licence(identity, admin, b"MZ\x90\x00 not an image")))
    assert codes(error) == {"licence_key": "not_an_image"}
    stranger = str(uuid.uuid4())
    with pytest.raises(InvalidInput) as error:
        call(identity, "register_org", admin, org_form(upload_licence(identity, stranger)))
    assert codes(error) == {"licence_key": "not_your_upload"}
    with pytest.raises(InvalidInput) as error:
        call(identity, "register_org", admin, org_form(f"licences/{admin}/missing"))
    assert codes(error) == {"licence_key": "no_such_upload"}
    assert sql(identity, "SELECT count(*) FROM organizations") == [(0,)]


def test_duplicate_name_is_refused(identity, amqp_uri, approved_org):
    other = communicator(identity, amqp_uri, "13800140004", id_number="440106199001011235")
    with pytest.raises(Conflict):
        call(identity, "register_org", other, org_form(upload_licence(identity, other)))


def test_second_communicator_joins_and_the_admin_sees_them(identity, amqp_uri, approved_org):
    admin, org = approved_org
    member = communicator(identity, amqp_uri, "13800140005", id_number="440106199001011235",
                          org_id=org["id"], region_code="440106")
    listed = call(identity, "org_members", admin, org["id"])["items"]
    assert {m["user_id"] for m in listed} == {admin, member}
    joined = next(m for m in listed if m["user_id"] == member)
    assert joined["phone"] == "138****0005" and joined["verification_status"] == "approved"
    assert joined["region"] == "广东省广州市天河区" and joined["shares"] is None
    with pytest.raises(Forbidden):
        call(identity, "org_members", member, org["id"])


def membership_events(container):
    return [(event_type, payload["user_id"], payload["org_id"], payload["actor_id"]) for event_type, payload in sql(
        container, "SELECT event_type, payload FROM outbox WHERE event_type IN ('member_joined', 'member_left') "
                   "ORDER BY id")]


def test_approval_announces_the_communicator_and_the_membership(identity, amqp_uri, approved_org):
    admin, org = approved_org
    assert membership_events(identity) == [("member_joined", admin, org["id"], None)]  # the registrant
    member = communicator(identity, amqp_uri, "13800140007", id_number="440106199001011235",
                          org_id=org["id"], region_code="440106")
    verified = sql(identity, "SELECT payload FROM outbox WHERE event_type = 'user_verified' "
                             "AND payload->>'user_id' = %s", (member,))[0][0]
    assert (verified["region_code"], verified["communicator_type"], verified["org_id"]) == (
        "440106", "individual", org["id"])
    assert membership_events(identity)[-1] == ("member_joined", member, org["id"], None)
    granted = sql(identity, "SELECT payload->>'role' FROM outbox WHERE event_type = 'role_granted' "
                            "AND payload->>'user_id' = %s", (member,))
    assert granted == [("communicator",)]


def test_leaving_and_removal_are_announced(identity, amqp_uri, approved_org):
    admin, org = approved_org
    member = communicator(identity, amqp_uri, "13800140008", id_number="440106199001011235", region_code="440106")
    call(identity, "join_org", member, org["id"])
    call(identity, "join_org", member, org["id"])  # joining again changes nothing
    assert call(identity, "leave_org", member) == {"org_id": org["id"]}
    with pytest.raises(Conflict) as error:
        call(identity, "leave_org", member)
    assert error.value.message == "not_in_an_org"
    call(identity, "join_org", member, org["id"])
    with pytest.raises(Forbidden):
        call(identity, "remove_member", member, org["id"], admin)
    assert call(identity, "remove_member", admin, org["id"], member) == {"org_id": org["id"]}
    with pytest.raises(NotFound) as error:
        call(identity, "remove_member", admin, org["id"], member)
    assert codes(error) == {"user_id": "not_a_member"}
    assert membership_events(identity)[1:] == [
        ("member_joined", member, org["id"], member), ("member_left", member, org["id"], member),
        ("member_joined", member, org["id"], member), ("member_left", member, org["id"], admin)]
    assert [m["user_id"] for m in call(identity, "org_members", admin, org["id"])["items"]] == [admin]


def test_area_admin_sees_communicators_inside_their_area_only(identity, amqp_uri, approved_org):
    admin, _ = approved_org  # verified in 110105 (北京市朝阳区)
    platform_admin = str(create_admin(identity.config["DATABASE_URL"], "13900000009", "kepu2026science"))
    area_admin = communicator(identity, amqp_uri, "13800140006", id_number="440106199001011235",
                              region_code="440106", communicator_type="district_admin")
    call(identity, "grant_role", {"actor_id": platform_admin, "user_id": area_admin, "role": "district_admin",
                                  "scope": "110105"})
    seen = call(identity, "region_communicators", area_admin, "110105")["items"]
    assert [c["user_id"] for c in seen] == [admin]
    with pytest.raises(Forbidden):
        call(identity, "region_communicators", area_admin, "110000")  # the whole city is wider than theirs
    with pytest.raises(Forbidden):
        call(identity, "region_communicators", admin, "110105")


def test_approved_area_admins_get_their_role_and_see_exactly_their_area(identity, amqp_uri, approved_org):
    county_wide, _ = approved_org  # an individual verified for 110105 (北京市朝阳区) as a whole
    district = communicator(identity, amqp_uri, "13800140010", id_number="440106199001011235",
                            region_code="110105", communicator_type="district_admin")
    street = communicator(identity, amqp_uri, "13800140011", id_number="110105199001011232",
                          region_code="110105001", communicator_type="street_admin")  # 建外街道
    neighbour = communicator(identity, amqp_uri, "13800140012", id_number="110105199001011259",
                             region_code="110105002")  # 朝外街道, same district
    assert {"role": "district_admin", "scope": "110105"} in call(identity, "me", district)["roles"]
    street_me = call(identity, "me", street)
    assert {"role": "street_admin", "scope": "110105001"} in street_me["roles"]
    assert (street_me["verification"]["region_code"], street_me["verification"]["township_code"]) == (
        "110105", "110105001")
    review = sql(identity, "SELECT payload->'snapshot' FROM outbox WHERE event_type = 'review_requested' "
                           "AND payload->'snapshot'->>'communicator_type' = 'street_admin'")[0][0]
    assert (review["communicator_type"], review["communicator_type_label"], review["region"]) == (
        "street_admin", "乡镇街道管理员", "北京市朝阳区建外街道")
    in_district = {c["user_id"] for c in call(identity, "region_communicators", district, "110105")["items"]}
    assert in_district == {county_wide, district, street, neighbour}
    in_street = call(identity, "region_communicators", street, "110105001")["items"]
    assert [(c["user_id"], c["region"]) for c in in_street] == [(street, "北京市朝阳区建外街道")]
    with pytest.raises(Forbidden):
        call(identity, "region_communicators", street, "110105002")  # the neighbouring street
    with pytest.raises(Forbidden):
        call(identity, "region_communicators", street, "110105")  # the district is wider than theirs
    assert [c["user_id"] for c in call(identity, "region_communicators", district, "110105002")["items"]] == [neighbour]


def test_a_street_admin_region_that_is_not_a_township_is_refused(identity):
    user_id = register(identity, "13800140013")["user"]["id"]
    with pytest.raises(InvalidInput) as error:
        call(identity, "submit_verification", user_id, form(region_code="110105", communicator_type="street_admin"))
    assert (error.value.message, codes(error)) == ("street_admin_needs_township", {"region_code": "not_a_township"})
    with pytest.raises(InvalidInput) as error:
        call(identity, "submit_verification", user_id, form(region_code="110105999", communicator_type="street_admin"))
    assert codes(error) == {"region_code": "region_unknown"}
    with pytest.raises(InvalidInput) as error:
        call(identity, "submit_verification", user_id, form(region_code="110105001",
                                                            communicator_type="district_admin"))
    assert codes(error) == {"region_code": "not_a_county"}
    assert sql(identity, "SELECT count(*) FROM verifications") == [(0,)]


def test_me_shows_the_organization_one_belongs_to_and_those_one_administers(identity, amqp_uri, approved_org):
    admin, org = approved_org
    member = communicator(identity, amqp_uri, "13800140014", id_number="440106199001011235", org_id=org["id"])
    assert call(identity, "me", member)["organization"] == {"id": org["id"], "name": org["name"], "status": "approved"}
    assert call(identity, "me", member)["administers"] == []
    admin_me = call(identity, "me", admin)
    assert admin_me["organization"]["id"] == org["id"] and [o["id"] for o in admin_me["administers"]] == [org["id"]]
    with pytest.raises(Conflict) as error:  # leaving an organization one does not belong to: 409, nothing changes
        call(identity, "leave_org", member, {"org_id": str(uuid.uuid4())})
    assert (error.value.message, codes(error)) == ("not_a_member_of_org", {"org_id": "not_a_member"})
    assert call(identity, "me", member)["organization"]["id"] == org["id"]  # nothing changed
    assert call(identity, "leave_org", member, {"org_id": org["id"]}) == {"org_id": org["id"]}
    assert call(identity, "me", member)["organization"] is None
    with pytest.raises(Conflict) as error:
        call(identity, "leave_org", member)
    assert codes(error) == {"org_id": "not_a_member"}


def test_abandoned_licence_uploads_are_removed(identity, approved_org, monkeypatch):
    admin, _ = approved_org
    abandoned = upload_licence(identity, admin)
    storage = Storage.from_config(identity.config["STORAGE"])
    bucket = storage.bucket("licences")
    tomorrow = datetime.now(timezone.utc) + timedelta(days=2)
    real = organizations.abandoned_licences
    monkeypatch.setattr(organizations, "abandoned_licences",
                        lambda cur, store, bucket_, older_than: real(cur, store, bucket_, tomorrow))
    call(identity, "housekeeping")
    left = [o.object_name for o in storage.client.list_objects(bucket, prefix="licences/", recursive=True)]
    assert abandoned not in left
    assert len(left) == 1  # the approved organization's licence stays


def test_abandoned_appointment_letters_are_removed_and_used_ones_stay(identity, amqp_uri, monkeypatch):
    street = communicator(identity, amqp_uri, "13800140020", region_code="110105001", communicator_type="street_admin")
    used = sql(identity, "SELECT appointment_letter_key FROM verifications WHERE user_id = %s", (street,))[0][0]
    abandoned = upload_letter(identity, street)
    storage = Storage.from_config(identity.config["STORAGE"])
    tomorrow = datetime.now(timezone.utc) + timedelta(days=2)
    real = organizations.abandoned_licences
    monkeypatch.setattr(organizations, "abandoned_licences",
                        lambda cur, store, bucket_, older_than: real(cur, store, bucket_, tomorrow))
    call(identity, "housekeeping")
    left = [o.object_name for o in storage.client.list_objects(storage.bucket("licences"), prefix="appointments/",
                                                               recursive=True)]
    assert left == [used] and abandoned not in left
