"""People as others read them (services/identity/people.py): masked names for boards, full names and
masked phones for the admins concerned only."""
import uuid

import pytest
from marshmallow import ValidationError

from services.identity import people
from services.identity.cli import create_admin
from services.identity.tests.test_accounts import call, register, sql
from services.identity.tests.test_organizations import approved_org, communicator, identity  # noqa: F401


@pytest.mark.parametrize("name, shown", [("王小明", "王*明"), ("王明", "王*"), ("欧阳小明", "欧**明"), ("王", "*"),
                                         (" 李四 ", "李*"), ("阿依古丽·买买提", "阿******提"), ("", None), (None, None)])
def test_a_real_name_is_masked_keeping_its_first_and_last_character(name, shown):
    assert people.masked(name) == shown


def test_who_is_concerned():
    person = {"org_id": uuid.UUID(int=1), "region_path": ["110000", "110105", "110105001"]}
    assert people.concerns(True, set(), set(), person)
    assert people.concerns(False, {"110105"}, set(), person)
    assert people.concerns(False, {"110105001"}, set(), person)
    assert people.concerns(False, set(), {str(uuid.UUID(int=1))}, person)
    assert not people.concerns(False, {"110105002", "440106"}, {str(uuid.UUID(int=2))}, person)
    assert not people.concerns(False, set(), set(), {"org_id": None, "region_path": None})


def id_number(serial):
    """A valid resident ID number (GB 11643 check digit) born 1990-01-01 in 110105, one per serial."""
    body = f"11010519900101{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def shown(identity, user_ids, actor_id=None):
    return {p["user_id"]: (p["masked_name"], p["real_name"], p["phone"])
            for p in call(identity, "people", {"user_ids": user_ids, "actor_id": actor_id})}


def test_boards_get_masked_names_and_only_the_admins_concerned_get_full_names(identity, amqp_uri, approved_org):
    cast_admin, org = approved_org  # 张科普, verified in 110105, admin of 北京市朝阳区科学技术协会 (a county CAST)
    chaoyang = communicator(identity, amqp_uri, "13800150001", id_number=id_number(101), real_name="王小明")
    guangzhou = communicator(identity, amqp_uri, "13800150002", id_number=id_number(102), real_name="欧阳小明",
                             region_code="440106")
    member_far = communicator(identity, amqp_uri, "13800150003", id_number=id_number(103), real_name="李四",
                              region_code="440106", org_id=org["id"])
    unverified = register(identity, "13800150004")["user"]["id"]
    everyone = [chaoyang, guangzhou, member_far, unverified]
    platform_admin = str(create_admin(identity.config["DATABASE_URL"], "13900000019", "kepu2026science"))
    district = communicator(identity, amqp_uri, "13800150005", id_number=id_number(104),
                            real_name="赵区管", region_code="440106", communicator_type="district_admin")

    masked_only = shown(identity, everyone)
    assert masked_only == {chaoyang: ("王*明", None, None), guangzhou: ("欧**明", None, None),
                           member_far: ("李*", None, None)}  # no verified name: not named at all
    assert shown(identity, everyone, platform_admin) == {
        chaoyang: ("王*明", "王小明", "138****0001"), guangzhou: ("欧**明", "欧阳小明", "138****0002"),
        member_far: ("李*", "李四", "138****0003")}
    # the CAST's admin: its region (朝阳区) and its members wherever they live
    assert shown(identity, everyone, cast_admin) == {
        chaoyang: ("王*明", "王小明", "138****0001"), guangzhou: ("欧**明", None, None),
        member_far: ("李*", "李四", "138****0003")}
    # the district admin of 广州市荔湾区: its communicators only
    assert shown(identity, everyone, district) == {
        chaoyang: ("王*明", None, None), guangzhou: ("欧**明", "欧阳小明", "138****0002"),
        member_far: ("李*", "李四", "138****0003")}
    # someone with no admin role: masked names only
    assert shown(identity, everyone, chaoyang) == masked_only


def test_a_bad_request_is_refused(identity):
    """(callers over RPC get the schema's refusal as InvalidInput: kepu_common.bus.rpc)"""
    with pytest.raises(ValidationError) as refused:
        call(identity, "people", {"user_ids": ["not-a-uuid"]})
    assert refused.value.messages == {"user_ids": {0: ["not_a_uuid"]}}
    with pytest.raises(ValidationError) as refused:
        call(identity, "people", {"user_ids": [str(uuid.uuid4())] * 1001})
    assert list(refused.value.messages) == ["user_ids"]


def test_user_verified_carries_the_masked_name_and_never_the_name(identity, amqp_uri):
    user = communicator(identity, amqp_uri, "13800150011", id_number=id_number(111), real_name="欧阳小明")
    (payload,) = [p for (p,) in sql(identity, "SELECT payload FROM outbox WHERE event_type = 'user_verified'")
                  if p["user_id"] == user]
    assert payload["masked_name"] == "欧**明"
    assert "欧阳小明" not in str(payload)
