import subprocess
import sys

import pytest

from kepu_common.interfaces.errors import Forbidden, InvalidInput, RuleBroken
from services.identity.cli import create_admin
from services.identity.service import IdentityService
from services.identity.tests.test_accounts import PASSWORD, call, codes, register, sql
from services.identity.tests.test_verification import decide, form


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


@pytest.fixture
def admin_id(identity):
    return str(create_admin(identity.config["DATABASE_URL"], "13900000001", PASSWORD))


def test_cli_creates_an_admin_who_signs_in_with_the_role(identity, admin_id):
    login = call(identity, "login", {"phone": "13900000001", "password": PASSWORD})
    assert {"role": "platform_admin", "scope": ""} in login["user"]["roles"]
    assert call(identity, "role_audit", admin_id)[0]["note"] == "granted by the create-admin command"


def test_cli_command_line(identity):
    env = {"DATABASE_URL": identity.config["DATABASE_URL"], "PATH": "/usr/bin:/bin",
           # identity's secret: phones are found by their keyed HMAC
           "IDENTITY_SECRET_KEY_FILE": identity.config["IDENTITY"]["secret_key_file"]}
    result = subprocess.run([sys.executable, "-m", "services.identity.cli", "create-admin", "--phone", "13900000002",
                             "--password-stdin"], input="weak\n", capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "too weak" in result.stderr
    result = subprocess.run([sys.executable, "-m", "services.identity.cli", "create-admin", "--phone", "13900000002",
                             "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert sql(identity, "SELECT role FROM user_roles") == [("platform_admin",)]


def id_number(region, serial):
    """A valid resident ID number (check digit per GB 11643) born 1990-01-01 in region."""
    body = f"{region}19900101{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def verified(identity, amqp_uri, phone, serial):
    """A registered account whose real-name verification was approved."""
    user = register(identity, phone)["user"]
    submitted = call(identity, "submit_verification", user["id"], form(id_number=id_number("110105", serial)))
    decide(identity, amqp_uri, submitted["id"], "approved")
    return user


def test_admin_grants_reviewer_stage_with_province_and_it_is_audited(identity, admin_id, amqp_uri):
    user = verified(identity, amqp_uri, "13800138100", 100)
    granted = call(identity, "grant_role", {"actor_id": admin_id, "user_id": user["id"], "role": "reviewer",
                                            "scope": "provincial:440000", "note": "广东省审核员"})
    assert granted["roles"] == [{"role": "communicator", "scope": ""}, {"role": "reviewer", "scope": "provincial:440000"}]
    audit = call(identity, "role_audit", user["id"])
    assert [(a["action"], a["actor_id"], a["note"]) for a in audit][1:] == [("grant", admin_id, "广东省审核员")]
    events = sql(identity, "SELECT payload->>'role', payload->>'scope' FROM outbox WHERE event_type = 'role_granted' "
                           "AND payload->>'user_id' = %s ORDER BY id", (user["id"],))
    assert events == [("communicator", ""), ("reviewer", "provincial:440000")]
    tokens = call(identity, "login", {"phone": "13800138100", "password": PASSWORD})["tokens"]
    assert tokens["access_token"]


@pytest.mark.parametrize("role,scope", [
    ("reviewer", ""), ("reviewer", "provincial"), ("reviewer", "national:110000"), ("reviewer", "provincial:440100"),
    ("wizard", ""),
])
def test_bad_grants_are_refused(identity, admin_id, role, scope):
    user = register(identity, "13800138101")["user"]
    with pytest.raises(InvalidInput):
        call(identity, "grant_role", {"actor_id": admin_id, "user_id": user["id"], "role": role, "scope": scope})
    assert sql(identity, "SELECT count(*) FROM role_audit WHERE user_id = %s", (user["id"],)) == [(0,)]


def test_only_platform_admins_grant(identity):
    user = register(identity, "13800138102")["user"]
    with pytest.raises(Forbidden):
        call(identity, "grant_role", {"actor_id": user["id"], "user_id": user["id"], "role": "platform_admin"})


def test_revoke_is_audited(identity, admin_id, amqp_uri):
    user = verified(identity, amqp_uri, "13800138103", 103)
    call(identity, "grant_role", {"actor_id": admin_id, "user_id": user["id"], "role": "reviewer", "scope": "initial"})
    left = call(identity, "revoke_role", {"actor_id": admin_id, "user_id": user["id"], "role": "reviewer",
                                          "scope": "initial"})
    assert left["roles"] == [{"role": "communicator", "scope": ""}]
    assert [a["action"] for a in call(identity, "role_audit", user["id"])] == ["grant", "grant", "revoke"]


@pytest.mark.parametrize("role,scope", [("reviewer", "initial"), ("reviewer", "provincial:440000"),
                                        ("platform_admin", ""), ("street_admin", "110105001"),
                                        ("district_admin", "110105")])
def test_roles_that_review_or_administer_need_a_verified_account(identity, admin_id, amqp_uri, role, scope):
    unverified = register(identity, "13800138104")["user"]
    with pytest.raises(RuleBroken) as error:
        call(identity, "grant_role", {"actor_id": admin_id, "user_id": unverified["id"], "role": role, "scope": scope})
    assert error.value.message == "role_needs_verified_account"
    assert codes(error) == {"user_id": "account_not_verified"}
    assert call(identity, "me", unverified["id"])["roles"] == []
    assert sql(identity, "SELECT count(*) FROM role_audit WHERE user_id = %s", (unverified["id"],)) == [(0,)]
    assert sql(identity, "SELECT count(*) FROM outbox WHERE event_type = 'role_granted' "
                         "AND payload->>'user_id' = %s", (unverified["id"],)) == [(0,)]
    # a pending verification is not yet a verified account
    call(identity, "submit_verification", unverified["id"], form(id_number=id_number("110105", 104)))
    with pytest.raises(RuleBroken):
        call(identity, "grant_role", {"actor_id": admin_id, "user_id": unverified["id"], "role": role, "scope": scope})


def test_the_communicator_role_needs_no_verification_check(identity, admin_id):
    user = register(identity, "13800138105")["user"]
    granted = call(identity, "grant_role", {"actor_id": admin_id, "user_id": user["id"], "role": "communicator"})
    assert granted["roles"] == [{"role": "communicator", "scope": ""}]


def test_find_a_user_by_exact_phone_answers_masked(identity, admin_id, amqp_uri):
    user = verified(identity, amqp_uri, "13800138106", 106)
    for typed in ("13800138106", "+86 138-0013-8106", "１３８００１３８１０６"):
        found = call(identity, "find_users_by_phone", admin_id, {"phone": typed})
        assert [(f["id"], f["phone"], f["real_name"], f["verified"]) for f in found] == [
            (user["id"], "138****8106", "张*普", True)]
    assert call(identity, "find_users_by_phone", admin_id, {"phone": "13800138107"}) == []  # exact, not a prefix


@pytest.mark.parametrize("phone", ["1380013810", "23800138106", "138001381066", "abc", ""])
def test_a_malformed_phone_is_its_own_error(identity, admin_id, phone):
    with pytest.raises(InvalidInput) as error:
        call(identity, "find_users_by_phone", admin_id, {"phone": phone})
    assert error.value.message == "phone_invalid" and codes(error) == {"phone": "phone_invalid"}


def test_only_platform_admins_look_up_phones(identity):
    user = register(identity, "13800138108")["user"]
    with pytest.raises(Forbidden):
        call(identity, "find_users_by_phone", user["id"], {"phone": "13800138108"})
